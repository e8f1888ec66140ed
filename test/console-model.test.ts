/**
 * The console's page logic without a browser: the fleet store fed the contract's payloads, the
 * command tracker under a fake clock, and its topics checked against the agent's builders and the
 * broker's ACL (every filter the page subscribes to must be granted to the role that uses it).
 */
import { describe, expect, it } from "vitest";
import { topics as agentTopics, parseTopic as agentParse } from "../agent/topics.js";
import { Acl } from "../broker/acl.js";
import { Commands, type CommandRecord } from "../console/src/commands.js";
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
