import { describe, expect, it } from "vitest";
import { fakeClock, type FakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import type { ActionContext, DeviceError, DriverEvent, Health } from "../types.js";
import { encodeMeterBlob } from "./addresses.js";
import { X32Driver, type X32State } from "./driver.js";
import { FakeTransport } from "../transport/fake.js";
import { decodePacket, describeMessage, encodeMessage, type OscArg } from "./osc.js";

/** A desk played in memory: answers /xinfo and queries, stores sets (no echo), can go silent. */
function fakeDesk(t: FakeTransport) {
  const desk = {
    silent: false,
    params: new Map<string, OscArg>([
      ["/ch/01/mix/on", { type: "i", value: 1 }],
      ["/ch/01/mix/fader", { type: "f", value: 0.75 }],
      ["/main/st/mix/on", { type: "i", value: 1 }],
      ["/main/st/mix/fader", { type: "f", value: 0.5 }],
    ]),
  };
  t.responder = (w) => {
    if (desk.silent) return;
    const r = decodePacket(w);
    if (!r.ok) return;
    const m = r.messages[0]!;
    if (m.address === "/xinfo") {
      return [encodeMessage("/xinfo", ["10.0.0.9", "FOH", "X32", "4.06"].map((value) => ({ type: "s" as const, value })))];
    }
    const cur = desk.params.get(m.address);
    if (!cur) return;
    if (m.args.length === 0) return [encodeMessage(m.address, [cur])];
    desk.params.set(m.address, m.args[0]!);
  };
  return desk;
}

const OPTIONS = { channels: { mics: { path: "/ch/01" }, program: { path: "/main/st" } } };

function setup(options: Record<string, unknown> = OPTIONS) {
  const clock = fakeClock();
  const transport = new FakeTransport("udp");
  const logger = memoryLogger();
  const driver = new X32Driver();
  const health: Health[] = [];
  const states: X32State[] = [];
  const events: DriverEvent[] = [];
  driver.on("health", (h) => health.push(h));
  driver.on("state", (s) => states.push(s));
  driver.on("event", (e) => events.push(e));
  const ctx = { deviceId: "mixer", transport, logger, clock, signal: new AbortController().signal, options };
  return { clock, transport, logger, driver, health, states, events, ctx };
}

const actx = (clock: FakeClock, ms = 10_000): ActionContext => ({ signal: new AbortController().signal, deadline: clock.now() + ms });
const sent = (t: FakeTransport) => t.written.map((w) => {
  const r = decodePacket(w);
  return r.ok ? describeMessage(r.messages[0]!) : "<bad>";
});

async function flush(rounds = 10) {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

describe("X32Driver (fake UDP link, fake clock)", () => {
  it("start: /xinfo, /xremote, then reads every strip; health ok and the desk's state", async () => {
    const s = setup();
    fakeDesk(s.transport);
    await s.driver.start(s.ctx);
    expect(sent(s.transport)).toEqual([
      "/xinfo ,",
      "/xremote ,",
      "/ch/01/mix/on ,",
      "/ch/01/mix/fader ,",
      "/main/st/mix/on ,",
      "/main/st/mix/fader ,",
    ]);
    expect(s.health).toEqual([{ status: "ok" }]);
    expect(await s.driver.poll()).toEqual({
      channels: {
        mics: { muted: false, levelDb: 0, signalDb: null },
        program: { muted: false, levelDb: -10, signalDb: null },
      },
      ip: "10.0.0.9", name: "FOH", model: "X32", firmware: "4.06", lastPreset: null, garbledPackets: 0,
    });
    expect(s.driver.kind).toBe("audio");
    expect(s.driver.protocol).toBe("x32");
    await s.driver.stop();
  });

  it("renews /xremote (and /meters) every 8 s, so the desk's 10 s never runs out", async () => {
    const s = setup({ ...OPTIONS, meters: true });
    fakeDesk(s.transport);
    await s.driver.start(s.ctx);
    const renewals = () => sent(s.transport).filter((m) => m.startsWith("/xremote") || m.startsWith("/meters"));
    expect(renewals()).toEqual(["/xremote ,", "/meters ,s \"/meters/1\""]);
    await s.clock.tickAsync(7_999);
    expect(renewals()).toHaveLength(2);
    await s.clock.tickAsync(1);
    expect(renewals()).toHaveLength(4);
    await s.clock.tickAsync(8_000);
    await s.clock.tickAsync(8_000);
    expect(renewals()).toHaveLength(8);
    // each renewal also probes /xinfo: the reachability check between polls
    expect(sent(s.transport).filter((m) => m === "/xinfo ,")).toHaveLength(4);
    await s.driver.stop();
  });

  it("mute.set writes /ch/01/mix/on ,i 0, updates state at once and confirms by re-query", async () => {
    const s = setup();
    const desk = fakeDesk(s.transport);
    await s.driver.start(s.ctx);
    s.transport.written.length = 0;
    await expect(s.driver.actions["mute.set"]!.run({ channel: "mics", on: true }, actx(s.clock))).resolves.toEqual({
      ok: true, channel: "mics", muted: true,
    });
    expect(s.transport.written[0]).toEqual(Buffer.from("/ch/01/mix/on\0\0\0,i\0\0\0\0\0\0", "latin1"));
    expect(sent(s.transport)).toEqual(["/ch/01/mix/on ,i 0", "/ch/01/mix/on ,"]);
    expect(desk.params.get("/ch/01/mix/on")).toEqual({ type: "i", value: 0 });
    expect((await s.driver.poll()).channels["mics"]!.muted).toBe(true);
    await s.driver.stop();
  });

  it("mute.toggle reads first; level.set and level.step follow the fader law", async () => {
    const s = setup();
    const desk = fakeDesk(s.transport);
    await s.driver.start(s.ctx);
    await s.driver.actions["mute.toggle"]!.run({ channel: "program" }, actx(s.clock));
    expect(desk.params.get("/main/st/mix/on")).toEqual({ type: "i", value: 0 });
    await expect(s.driver.actions["level.set"]!.run({ channel: "program", db: -30 }, actx(s.clock))).resolves.toEqual({
      ok: true, channel: "program", levelDb: -30,
    });
    expect(desk.params.get("/main/st/mix/fader")).toEqual({ type: "f", value: 0.25 });
    await expect(s.driver.actions["level.step"]!.run({ channel: "program", db: -30 }, actx(s.clock))).resolves.toMatchObject({
      levelDb: -60,
    });
    expect(desk.params.get("/main/st/mix/fader")).toEqual({ type: "f", value: 0.0625 });
    await s.driver.stop();
  });

  it("rejects out-of-range levels (schema for level.set, result check for level.step) and unknown channels", async () => {
    const s = setup();
    const desk = fakeDesk(s.transport);
    await s.driver.start(s.ctx);
    const a = s.driver.actions;
    expect(a["level.set"]!.args.safeParse({ channel: "mics", db: 10.5 }).success).toBe(false);
    await expect(a["level.set"]!.run({ channel: "mics", db: -91 }, actx(s.clock))).rejects.toMatchObject({ code: "invalid_args" });
    // mics is at 0 dB: +12 would be +12 dB
    const err = (await a["level.step"]!.run({ channel: "mics", db: 12 }, actx(s.clock)).catch((e: unknown) => e)) as DeviceError;
    expect(err.code).toBe("invalid_args");
    expect(err.message).toMatch(/gives 12 dB, outside -90\.\.10 dB/);
    expect(desk.params.get("/ch/01/mix/fader")).toEqual({ type: "f", value: 0.75 });
    await expect(a["mute.set"]!.run({ channel: "choir", on: true }, actx(s.clock))).rejects.toMatchObject({
      code: "invalid_args", message: 'unknown channel "choir"; known: mics, program',
    });
    expect(a["preset.recall"]!.args.safeParse({ preset: 100 }).success).toBe(false);
    await s.driver.stop();
  });

  it("preset.recall sends /-action/goscene ,i N and reads the strips back", async () => {
    const s = setup();
    fakeDesk(s.transport);
    await s.driver.start(s.ctx);
    s.transport.written.length = 0;
    await expect(s.driver.actions["preset.recall"]!.run({ preset: 7 }, actx(s.clock))).resolves.toEqual({ ok: true, preset: 7 });
    expect(s.transport.written[0]).toEqual(Buffer.from("/-action/goscene\0\0\0\0,i\0\0\0\0\0\x07", "latin1"));
    expect(sent(s.transport).slice(1)).toHaveLength(4);
    expect((await s.driver.poll()).lastPreset).toBe(7);
    await s.driver.stop();
  });

  it("a silent desk: timeout by the deadline, health unreachable; found again by the retry probe, then resubscribed", async () => {
    const s = setup();
    const desk = fakeDesk(s.transport);
    await s.driver.start(s.ctx);
    desk.silent = true;
    const p = s.driver.poll().catch((e: unknown) => e);
    await s.clock.tickAsync(1000);
    expect(await p).toMatchObject({ code: "timeout" });
    expect(s.driver.health).toMatchObject({ status: "unreachable", code: "timeout" });
    desk.silent = false;
    s.transport.written.length = 0;
    await s.clock.tickAsync(2000); // retryMs
    expect(s.driver.health.status).toBe("ok");
    expect(sent(s.transport).slice(0, 2)).toEqual(["/xinfo ,", "/xremote ,"]);
    await s.driver.stop();
  });

  it("pushes update the state, rate-limited to one state event per second (latest wins)", async () => {
    const s = setup();
    fakeDesk(s.transport);
    await s.driver.start(s.ctx);
    await s.clock.tickAsync(2000); // start's values went out (the first at once, the rest 1 s later)
    const before = s.states.length;
    s.transport.feed(encodeMessage("/ch/01/mix/fader", [{ type: "f", value: 0.5 }]));
    s.transport.feed(encodeMessage("/ch/01/mix/fader", [{ type: "f", value: 0.25 }]));
    s.transport.feed(encodeMessage("/ch/01/mix/on", [{ type: "i", value: 0 }]));
    expect(s.states).toHaveLength(before + 1); // the first change goes out at once
    expect(s.states.at(-1)!.channels["mics"]).toMatchObject({ levelDb: -10, muted: false });
    await s.clock.tickAsync(999);
    expect(s.states).toHaveLength(before + 1);
    await s.clock.tickAsync(1);
    expect(s.states).toHaveLength(before + 2);
    expect(s.states.at(-1)!.channels["mics"]).toMatchObject({ levelDb: -30, muted: true });
    await s.driver.stop();
  });

  it("meters: /meters/1 blob (little-endian count + floats) gives signalDb of /ch/NN strips", async () => {
    const s = setup({ ...OPTIONS, meters: true, pushIntervalMs: 0 });
    fakeDesk(s.transport);
    await s.driver.start(s.ctx);
    const values = new Array<number>(96).fill(0);
    values[0] = 0.1; // ch 01: -20 dBFS
    s.transport.feed(encodeMessage("/meters/1", [{ type: "b", value: encodeMeterBlob(values) }]));
    expect(s.states.at(-1)!.channels).toMatchObject({ mics: { signalDb: -20 }, program: { signalDb: null } });
    await s.driver.stop();
  });

  it("malformed datagrams are counted and reported (throttled), never thrown", async () => {
    const s = setup();
    fakeDesk(s.transport);
    await s.driver.start(s.ctx);
    const bad = [
      Buffer.from("/ch/01/mix/on\0XY,i\0\0\0\0\0\x01", "latin1"),
      Buffer.from("/ch/01/mix/on\0\0\0,x\0\0\0\0\0\x01", "latin1"),
      Buffer.from("/xinfo\0\0,ssss\0\0\0", "latin1"),
      encodeMessage("/meters/1", [{ type: "b", value: Buffer.from([0x60, 0, 0, 0]) }]), // says 96 floats, has none
    ];
    for (const b of bad) expect(() => s.transport.feed(b)).not.toThrow();
    expect((await s.driver.poll()).garbledPackets).toBe(4);
    expect(s.events.filter((e) => e.type === "garbled_packet")).toHaveLength(1);
    expect(s.events[0]!.data).toMatchObject({ code: "bad_padding" });
    await s.driver.stop();
  });

  it("a lost socket fails queries with not_connected and reports transport_closed; reopening resyncs", async () => {
    const s = setup();
    fakeDesk(s.transport);
    await s.driver.start(s.ctx);
    s.transport.drop();
    expect(s.driver.health).toMatchObject({ status: "unreachable", code: "transport_closed" });
    await expect(s.driver.poll()).rejects.toMatchObject({ code: "not_connected" });
    s.transport.written.length = 0;
    s.transport.goOpen();
    await flush();
    expect(s.driver.health.status).toBe("ok");
    expect(sent(s.transport).slice(0, 2)).toEqual(["/xinfo ,", "/xremote ,"]);
    await s.driver.stop();
  });

  it("bad options: health fault/bad_config and a message naming the path", async () => {
    const s = setup({ channels: { mics: { path: "/ch/33" } } });
    await expect(s.driver.start(s.ctx)).rejects.toMatchObject({ code: "invalid_args" });
    expect(s.driver.health).toMatchObject({ status: "fault", code: "bad_config" });
    expect(s.driver.health.message).toMatch(/options\.channels\.mics\.path/);
  });

  it("stop clears every timer and is idempotent", async () => {
    const s = setup();
    fakeDesk(s.transport);
    await s.driver.start(s.ctx);
    s.transport.feed(encodeMessage("/ch/01/mix/on", [{ type: "i", value: 0 }])); // schedules a trailing emit
    await s.driver.stop();
    await s.driver.stop();
    expect(s.clock.fake.countTimers()).toBe(0);
    expect(s.transport.state).toBe("closed");
  });
});
