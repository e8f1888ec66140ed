/**
 * The console's page logic without a browser: the fleet store fed the contract's payloads, the
 * command tracker under a fake clock, and its topics checked against the agent's builders and the
 * broker's ACL (every filter the page subscribes to must be granted to the role that uses it).
 */
import { describe, expect, it } from "vitest";
import { topics as agentTopics, parseTopic as agentParse } from "../agent/topics.js";
import { Acl } from "../broker/acl.js";
import { Commands, type CommandRecord } from "../console/src/commands.js";
import { codecView, linkFacts, switchView } from "../console/src/device-model.js";
import type { CodecState } from "../drivers/codec/vocabulary.js";
import { emptyPort, emptyState, type SwitchState } from "../drivers/snmp-switch/state.js";
import type { StampState } from "../drivers/stamp/state.js";
import { deviceIds, Fleet, regionOf, siteLevel } from "../console/src/fleet.js";
import { parseTopic, subscriptions, topics } from "../console/src/topics.js";
import { fakeClock } from "./helpers/clock.js";

const T = "roomgate/v1/district-07";
const j = (v: unknown) => JSON.stringify(v);

describe("the console's fleet store", () => {
  it("builds each site from the retained topics, groups by region and takes the worst health", () => {
    const f = new Fleet();
    f.apply(`${T}/agent/state`, j({ state: "online", bootSeq: 2, version: "0.1.0", ts: 1 }));
    f.apply(`${T}/agent/meta`, j({ site: "district-07", region: ["province", "district-07"], devices: { cam: { kind: "camera", protocol: "visca", actions: {} } } }));
    f.apply(`${T}/dev/cam/health`, j({ status: "ok", since: 1 }));
    f.apply(`${T}/dev/led/health`, j({ status: "degraded", code: "slow", since: 2 }));
    f.apply("roomgate/v1/hq-01/agent/state", j({ state: "lost", bootSeq: 1 }));
    f.apply("roomgate/v1/hq-01/dev/cam/health", j({ status: "ok" }));
    const s7 = f.sites.get("district-07")!;
    expect(regionOf(s7)).toBe("province");
    expect(regionOf(f.sites.get("hq-01")!)).toBe("no region");
    expect(siteLevel(s7)).toBe("degraded");
    expect(siteLevel(f.sites.get("hq-01")!)).toBe("offline"); // a lost agent's health is stale
    expect(deviceIds(s7)).toEqual(["cam", "led"]);
    expect(f.byRegion().map((g) => [g.region, g.sites.map((s) => s.id)])).toEqual([["no region", ["hq-01"]], ["province", ["district-07"]]]);
  });

  it("keeps alarms while retained, drops them on the empty payload, and lists the most severe first", () => {
    const f = new Fleet();
    f.apply(`${T}/alarm/a-minor`, j({ severity: "minor", code: "x", raisedAt: 5, message: "m" }));
    f.apply(`${T}/alarm/b-critical`, j({ severity: "critical", code: "not_secure", raisedAt: 1, message: "m" }));
    f.apply("roomgate/v1/s2/alarm/c-critical", j({ severity: "critical", code: "y", raisedAt: 9, message: "m" }));
    expect(f.alarms().map((a) => a.id)).toEqual(["c-critical", "b-critical", "a-minor"]);
    expect(f.apply(`${T}/alarm/b-critical`, "")).toBe(true);
    expect(f.alarms().map((a) => a.id)).toEqual(["c-critical", "a-minor"]);
  });

  it("ignores and counts what is out of contract, and never throws", () => {
    const f = new Fleet();
    expect(f.apply(`${T}/dev/cam/health`, "{not json")).toBe(false);
    expect(f.apply(`${T}/dev/cam/health`, j({ status: "sleepy" }))).toBe(false);
    expect(f.apply(`${T}/alarm/x`, j([1, 2]))).toBe(false);
    expect(f.apply(`${T}/readiness`, j({ result: "pass" }))).toBe(false);
    expect(f.apply(`${T}/res/op`, j({ id: "1" }))).toBe(false);
    expect(f.apply("other/topic", "x")).toBe(false);
    expect(f.malformed).toBe(4);
    expect(f.sites.get("district-07")?.health.size).toBe(0);
  });
});

describe("the console's commands", () => {
  function setup(publish: (t: string, p: string) => Promise<void> = async () => {}) {
    const clock = fakeClock();
    const sent: { topic: string; body: any }[] = [];
    let changes = 0;
    const commands = new Commands({
      user: "op-anna",
      clock,
      onChange: () => void (changes += 1),
      publish: async (topic, payload) => {
        sent.push({ topic, body: JSON.parse(payload) });
        await publish(topic, payload);
      },
    });
    return { clock, sent, commands, changes: () => changes };
  }

  it("is pending until the agent answers, then shows the answer; it expires when we stop waiting", async () => {
    const { clock, sent, commands } = setup();
    const rec = commands.send("k", "district-07", "cam-main", "preset.recall", { preset: 2 });
    expect(rec.status).toBe("pending");
    expect(commands.isPending("k")).toBe(true);
    expect(sent[0]!.topic).toBe(agentTopics.cmd("district-07", "op-anna"));
    expect(sent[0]!.body).toEqual({ id: rec.id, device: "cam-main", action: "preset.recall", args: { preset: 2 }, expiresAt: clock.now() + 20_000 });
    expect(commands.answer("district-11", j({ id: rec.id, status: "ok" }))).toBe(false); // another site's answer
    await clock.tickAsync(1840);
    expect(commands.answer("district-07", j({ id: rec.id, status: "ok", data: { preset: 2 } }))).toBe(true);
    expect(commands.latest("k")).toMatchObject({ status: "ok", data: { preset: 2 }, answeredAt: rec.sentAt + 1840 });
    expect(commands.answer("district-07", j({ id: rec.id, status: "error" }))).toBe(false); // answered once
  });

  it("shows the agent's error with its code, and our own timeout when no answer comes", async () => {
    const { clock, commands } = setup();
    const a = commands.send("a", "s", "cam", "preset.recall", { preset: 1 });
    commands.answer("s", j({ id: a.id, status: "error", error: { code: "device_error", message: "not executable" } }));
    expect(commands.latest("a")).toMatchObject({ status: "error", error: { code: "device_error", message: "not executable" } });
    const b = commands.send("b", "s", undefined, "readiness.run", {});
    await clock.tickAsync(20_000);
    expect(b.status).toBe("pending"); // a readiness check runs past the usual deadline
    await clock.tickAsync(100_000);
    expect(b).toMatchObject({ status: "timeout", error: { code: "no_answer" } });
  });

  it("reports a command it could not send, and runs a follow-up once settled", async () => {
    const { commands } = setup(async () => {
      throw new Error("client disconnecting");
    });
    const rec = await new Promise<CommandRecord>((settled) => commands.send("k", "s", "cam", "move", { direction: "left" }, settled));
    expect(rec).toMatchObject({ status: "error", error: { code: "not_sent", message: "client disconnecting" } });
    expect(commands.isPending("k")).toBe(false);
  });
});

describe("the console's topics", () => {
  it("are the agent's topics", () => {
    expect(topics.cmd("s1", "op")).toBe(agentTopics.cmd("s1", "op"));
    expect(topics.res("s1", "op")).toBe(agentTopics.res("s1", "op"));
    expect(topics.rebirth("s1")).toBe(agentTopics.rebirth("s1"));
    const samples = [agentTopics.agentState("s1"), agentTopics.agentMeta("s1"), agentTopics.deviceHealth("s1", "d"), agentTopics.deviceState("s1", "d"),
      agentTopics.alarm("s1", "a"), agentTopics.readiness("s1"), agentTopics.event("s1"), agentTopics.res("s1", "u")];
    for (const t of samples) expect(parseTopic(t)?.site, t).toBe(agentParse(t)?.site);
    expect(samples.map((t) => parseTopic(t)?.kind)).toEqual(["agent-state", "agent-meta", "device-health", "device-state", "alarm", "readiness", "event", "res"]);
  });

  it("subscribes only to what the broker grants an operator (its sites) or a monitor (no responses)", () => {
    const op = new Acl({ username: "op-anna", role: "operator", sites: ["district-07"] });
    for (const f of subscriptions("district-07", "op-anna")) expect(op.canSubscribe(f), f).toBe(true);
    expect(op.canSubscribe(subscriptions("+", "op-anna")[0]!)).toBe(false); // hence /console/whoami
    const all = new Acl({ username: "op-all", role: "operator", sites: "*" });
    for (const f of subscriptions("+", "op-all")) expect(all.canSubscribe(f), f).toBe(true);
    const mon = new Acl({ username: "noc", role: "monitor", sites: "*" });
    for (const f of subscriptions("+", undefined)) expect(mon.canSubscribe(f), f).toBe(true);
    expect(mon.canPublish(topics.cmd("district-07", "noc"))).toBe(false);
  });
});

describe("the console's conference and network cards", () => {
  const media = (lossPct: number | null, jitterMs: number | null, rateKbps: number | null) => ({ lossPct, jitterMs, rateKbps });
  /** A codec's state as its driver publishes it (the vocabulary's type, so a renamed field fails to compile). */
  const codec: CodecState = {
    model: "Group 500",
    software: "6.2.2",
    registration: { sip: { status: "registered", server: "mcu.province.gov", detail: "sipserver online" }, h323: { status: "failed", detail: "gatekeeper offline" } },
    registered: false,
    calls: [{
      id: "34", direction: "outgoing", remote: "8001@mcu.province.gov", remoteName: "Province MCU", state: "connected", protocol: "h323", rateKbps: 1920, since: 1_700_000_000_000,
      quality: { audio: { rx: media(0.25, 4, 64), tx: media(0, 3, 64) }, video: { rx: media(3.5, 41.2, 1800), tx: media(null, null, null) }, at: 1_700_000_001_000 },
    }],
    mic: { muted: true },
    volume: 40,
    standby: false,
    content: { active: true, direction: "sending", source: 2 },
    camera: { source: 1 },
  };

  it("shows a codec's registrations in its own words, each call with its quality per direction, mic and standby, and its call alarms", () => {
    const v = codecView("codec-main", codec, ["codec-main-call-quality", "codec-meeting-call-dropped", "enc-1-temp"]);
    expect(v.registrations).toEqual([
      { protocol: "SIP", status: "registered", detail: "sipserver online", server: "mcu.province.gov" },
      { protocol: "H.323", status: "failed", detail: "gatekeeper offline", server: undefined },
    ]);
    expect(v.registered).toBe(false);
    expect(v.calls).toHaveLength(1);
    expect(v.calls[0]).toMatchObject({ id: "34", remote: "8001@mcu.province.gov", remoteName: "Province MCU", direction: "outgoing", state: "connected", protocol: "H.323", rate: "1920 kbps", since: 1_700_000_000_000 });
    expect(v.calls[0]!.quality).toEqual([
      { media: "audio", direction: "rx", loss: "0.3 %", jitter: "4 ms", rate: "64 kbps" },
      { media: "audio", direction: "tx", loss: "0.0 %", jitter: "3 ms", rate: "64 kbps" },
      { media: "video", direction: "rx", loss: "3.5 %", jitter: "41 ms", rate: "1800 kbps" },
      { media: "video", direction: "tx", loss: "–", jitter: "–", rate: "–" }, // the device did not say
    ]);
    expect(v).toMatchObject({ muted: true, standby: false, volume: "40 %", content: "sending (input 2)" });
    expect(v.alarms).toEqual(["quality"]); // its own, not the other codec's
  });

  it("reads an idle, a half-reported and a nonsense codec state without throwing", () => {
    const idle = codecView("c", { ...codec, calls: [], mic: { muted: false }, standby: true, content: { active: false } }, []);
    expect(idle).toMatchObject({ calls: [], muted: false, standby: true, content: "none", alarms: [] });
    expect(codecView("c", { calls: [{ id: 7, state: "ringing" }] }, []).calls[0]).toMatchObject({ id: "7", remote: "–", protocol: "–", rate: "–", quality: [] });
    for (const junk of [undefined, null, 42, "x", [], { registration: "yes", calls: "many", mic: [] }]) {
      expect(codecView("c", junk, []), JSON.stringify(junk)).toMatchObject({ registrations: [], calls: [], muted: undefined, standby: undefined, volume: "–" });
    }
  });

  it("shows a switch's named ports with their link, PoE and neighbour, and which may be power-cycled", () => {
    const cam = { ...emptyPort(5, false), ifName: "ge5", admin: "up" as const, oper: "up" as const, speedMbps: 1000, inErrorsPerSec: 0, outErrorsPerSec: 0.5,
      poe: { enabled: true, detection: "deliveringPower" as const, class: 2, powerW: 4.1 }, neighbour: { chassisId: "00:11", portId: "eth0", sysName: "cam-aux" } };
    const uplink = { ...emptyPort(24, true), admin: "up" as const, oper: "up" as const, speedMbps: 10_000 };
    const codecPort = { ...emptyPort(7, false), admin: "up" as const, oper: "down" as const, speedMbps: 100, poe: { enabled: false, detection: "disabled" as const, class: null, powerW: null } };
    const state: SwitchState = { ...emptyState({ "cam-aux": cam, uplink, codec: codecPort }), pse: { powerW: 370, consumptionW: 23.6, status: "on" }, traps: { listening: true, received: 4, dropped: 0 }, cycling: ["codec"] };
    const v = switchView(state);
    expect(v.ports.map((p) => [p.name, p.ifIndex, p.status, p.up, p.speed, p.poe, p.neighbour, p.protected, p.cycling])).toEqual([
      ["cam-aux", "5", "up/up", true, "1 Gb/s", "deliveringPower, class 2, 4.1 W", "cam-aux", false, false],
      ["uplink", "24", "up/up", true, "10 Gb/s", "–", "–", true, false],
      ["codec", "7", "up/down", false, "100 Mb/s", "off", "–", false, true],
    ]);
    expect(v.ports.map((p) => p.hasPoe)).toEqual([true, false, true]);
    expect(v.ports[0]!.errors).toBe("0 in, 1 out /s");
    expect(v).toMatchObject({ pse: "on, 24 W of 370 W", traps: "listening, 4 received" });
    expect(switchView(emptyState({}))).toEqual({ ports: [], pse: "–", traps: "not listening (polling only)" });
    expect(switchView("garbage")).toEqual({ ports: [], pse: "–", traps: "–" });
  });

  it("shows a WAN link's loss, round trip and jitter, and dashes before the first reply", () => {
    const band = "ok" as const;
    const link: StampState = {
      reflector: "udp:127.0.0.1:8620", windowMs: 60_000, probesSent: 600, repliesReceived: 594, lost: 6, lossPct: 1, rttMs: { min: 8.1, p50: 12.345, p95: 30.2, max: 48 },
      jitterMs: 2.04, reordered: 0, duplicates: 0, late: 0, quality: "warn", bands: { loss: "warn", rtt: band, jitter: band }, alarms: [], malformed: 0, strangers: 0, lastReplyAt: 1, since: 0,
    };
    expect(Object.fromEntries(linkFacts(link))).toEqual({ quality: "warn", loss: "1.00 %", "round trip p50": "12.3 ms", "round trip p95": "30.2 ms", jitter: "2.0 ms", probes: "594 answered of 600", reflector: "udp:127.0.0.1:8620" });
    expect(Object.fromEntries(linkFacts({ ...link, lossPct: null, rttMs: null, jitterMs: null, probesSent: 0, repliesReceived: 0 }))).toMatchObject({ loss: "–", "round trip p50": "–", jitter: "–", probes: "0 answered of 0" });
  });
});
