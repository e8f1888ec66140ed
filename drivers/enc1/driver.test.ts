/**
 * The ENC/1 driver against an in-memory transport and a fake clock: what the interlock and the
 * centre see (state pushed synchronously, UNKNOWN on silence, alarm events, health), and bad input.
 */
import { describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { TransportError } from "../transport/types.js";
import { DeviceError, type DriverEvent, type Health } from "../types.js";
import { Enc1Driver } from "./driver.js";
import { FakeTransport, textResponder } from "../transport/fake.js";
import { al, dev, hb, st } from "./test-lines.js";
import type { Enc1DriverState } from "./state.js";

const actx = (clock: { now(): number }, ms = 5000) => ({ signal: new AbortController().signal, deadline: clock.now() + ms });

async function setup(options: Record<string, unknown> = {}) {
  const clock = fakeClock();
  const logger = memoryLogger();
  const t = new FakeTransport();
  const device = { state: "SECURE", answer: true, seq: 100 };
  t.responder = textResponder((w) => {
    if (!device.answer) return;
    if (w === "$Q,ST*7A\n") return [st(++device.seq, device.state)];
    if (w === "$Q,ID*70\n") return [dev("ENC,ID,RG-ENC1-SIM,1.0.0")];
  });
  const driver = new Enc1Driver();
  const states: Enc1DriverState[] = [];
  const events: DriverEvent[] = [];
  const healths: Health[] = [];
  driver.on("state", (s) => states.push(s));
  driver.on("event", (e) => events.push(e));
  driver.on("health", (h) => healths.push(h));
  const abort = new AbortController();
  await driver.start({ deviceId: "enc-main", transport: t, logger, clock, signal: abort.signal, options });
  await clock.tickAsync(0); // the ID answer
  return { clock, logger, t, device, driver, states, events, healths, abort };
}

describe("ENC/1 driver: state", () => {
  it("starts on the first status line: SECURE but not `secure` until a heartbeat proves the device alive", async () => {
    const { driver, t, states } = await setup();
    expect(t.writtenText().slice(0, 2)).toEqual(["$Q,ST*7A\n", "$Q,ID*70\n"]);
    expect(driver.health).toEqual({ status: "ok" });
    expect(states.at(-1)).toMatchObject({ state: "SECURE", secure: false, tunnel: "UP", key: "VALID", model: "RG-ENC1-SIM", firmware: "1.0.0" });
    t.feed(hb(1));
    expect(states.at(-1)).toMatchObject({ state: "SECURE", secure: true });
  });

  it("pushes a state change synchronously, in the data handler, and acks the status line", async () => {
    const { t, states } = await setup();
    t.feed(hb(1));
    const before = states.length;
    t.feed(st(7, "BYPASS", "UP", "VALID", "BYPASS_ACTIVE"));
    // No await between the line and this check: the interlock sees it in the same tick.
    expect(states.length).toBe(before + 1);
    expect(states.at(-1)).toMatchObject({ state: "BYPASS", secure: false, alarm: "BYPASS_ACTIVE" });
    expect(t.writtenText().at(-1)).toBe("$ACK,7*52\n");
  });

  it("a status line split across reads is applied when its last byte arrives", async () => {
    const { t, states } = await setup();
    t.feed(hb(1));
    const line = st(8, "TUNNEL_DOWN", "DOWN");
    const n = states.length;
    t.feed(line.slice(0, 20));
    t.feed(line.slice(20, 40));
    expect(states.length).toBe(n);
    t.feed(line.slice(40));
    expect(states.at(-1)).toMatchObject({ state: "TUNNEL_DOWN", tunnel: "DOWN", secure: false });
  });

  it("3 missed heartbeats at the configured interval: UNKNOWN, not secure, health heartbeat_lost", async () => {
    const { clock, t, driver, states } = await setup({ heartbeatIntervalMs: 2000 });
    t.feed(hb(1));
    expect(states.at(-1)).toMatchObject({ state: "SECURE", secure: true });
    await clock.tickAsync(5999);
    expect(states.at(-1)).toMatchObject({ state: "SECURE", secure: true });
    await clock.tickAsync(1);
    expect(states.at(-1)).toMatchObject({ state: "UNKNOWN", secure: false, tunnel: null, key: null });
    expect(driver.health).toMatchObject({ status: "unreachable", code: "heartbeat_lost" });
  });

  it("heartbeats that keep coming keep it SECURE; a stale status never comes back by itself", async () => {
    const { clock, t, driver, states } = await setup({ heartbeatIntervalMs: 1000, missedHeartbeats: 3 });
    for (let i = 1; i <= 10; i++) {
      t.feed(hb(i));
      await clock.tickAsync(1000);
    }
    expect(states.at(-1)).toMatchObject({ state: "SECURE", secure: true });
    await clock.tickAsync(2000);
    expect(states.at(-1)).toMatchObject({ state: "UNKNOWN", secure: false });
    const written = t.written.length;
    t.feed(hb(11)); // heartbeats resume: health ok, a fresh status is asked for ...
    expect(driver.health.status).toBe("ok");
    expect(t.writtenText()[written]).toBe("$Q,ST*7A\n");
    await clock.tickAsync(0); // ... and only its answer makes the state known again
    expect(states.at(-1)).toMatchObject({ state: "SECURE", secure: true });
  });

  it("an unknown state word is UNKNOWN (not secure) and reported once", async () => {
    const { t, states, events } = await setup();
    t.feed(hb(1));
    t.feed(st(9, "MELTDOWN"));
    t.feed(st(10, "MELTDOWN"));
    expect(states.at(-1)).toMatchObject({ state: "UNKNOWN", secure: false });
    expect(events.filter((e) => e.type === "enc.unknown_state")).toEqual([
      { type: "enc.unknown_state", message: "unknown state word MELTDOWN", data: { word: "MELTDOWN" } },
    ]);
  });

  it("the link drops: UNKNOWN at once, unreachable; it comes back: queries again", async () => {
    const { t, driver, states } = await setup();
    t.feed(hb(1));
    t.drop();
    expect(states.at(-1)).toMatchObject({ state: "UNKNOWN", secure: false });
    expect(driver.health).toMatchObject({ status: "unreachable", code: "transport_closed", message: "EIO: device unplugged" });
    await expect(driver.poll()).rejects.toMatchObject({ code: "not_connected" });
    const n = t.written.length;
    t.goOpen();
    expect(t.writtenText().slice(n)).toEqual(["$Q,ST*7A\n", "$Q,ID*70\n"]);
  });
});

describe("ENC/1 driver: alarms", () => {
  it("AL lines raise and clear enc.alarm events and the sorted `alarms` field, acked", async () => {
    const { t, states, events } = await setup();
    t.feed(al(11, "TEMP", "MIN", "RAISE"));
    t.feed(al(12, "BYPASS_ACTIVE", "CRIT", "RAISE"));
    t.feed(al(13, "BYPASS_ACTIVE", "CRIT", "RAISE")); // a repeat changes nothing
    t.feed(al(14, "PSU", "MAJ", "RAISE"));
    expect(states.at(-1)!.alarms).toEqual(["BYPASS_ACTIVE", "PSU", "TEMP"]);
    t.feed(al(15, "TEMP", "MIN", "CLEAR"));
    expect(states.at(-1)!.alarms).toEqual(["BYPASS_ACTIVE", "PSU"]);
    expect(events.filter((e) => e.type === "enc.alarm").map((e) => e.data)).toEqual([
      { code: "TEMP", severity: "minor", action: "raise" },
      { code: "BYPASS_ACTIVE", severity: "critical", action: "raise" },
      { code: "PSU", severity: "major", action: "raise" },
      { code: "TEMP", severity: "minor", action: "clear" },
    ]);
    expect(t.writtenText().filter((w) => w.startsWith("$ACK")).slice(1)).toEqual(["$ACK,11*65\n", "$ACK,12*66\n", "$ACK,13*67\n", "$ACK,14*60\n", "$ACK,15*61\n"]);
  });

  it("alarm=NONE in a status line clears alarms whose CLEAR was missed; silence clears nothing", async () => {
    const { clock, t, states, events } = await setup();
    t.feed(hb(1));
    t.feed(al(2, "TAMPER", "CRIT", "RAISE"));
    await clock.tickAsync(10_000); // heartbeats lost
    expect(states.at(-1)).toMatchObject({ state: "UNKNOWN", alarms: ["TAMPER"] });
    t.feed(hb(3));
    t.feed(st(4, "SECURE"));
    expect(states.at(-1)).toMatchObject({ state: "SECURE", alarms: [] });
    expect(events.filter((e) => e.type === "enc.alarm").at(-1)!.data).toEqual({ code: "TAMPER", severity: "critical", action: "clear" });
  });

  it("ackLines [] sends no acks", async () => {
    const { t } = await setup({ ackLines: [] });
    t.feed(st(5, "SECURE"));
    t.feed(al(6, "TEMP", "MIN", "RAISE"));
    expect(t.writtenText().filter((w) => w.startsWith("$ACK"))).toEqual([]);
  });
});

describe("ENC/1 driver: poll, action, health", () => {
  it("poll asks $Q,ST and returns exactly the state fields", async () => {
    const { driver, t } = await setup();
    const n = t.written.length;
    const s = await driver.poll();
    expect(t.writtenText().slice(n)).toEqual(["$Q,ST*7A\n", "$ACK,102*56\n"]);
    expect(Object.keys(s).sort()).toEqual([...driver.stateFields].sort());
    expect(s).toMatchObject({ state: "SECURE", lastStatusSeq: 102, checksumErrors: 0, droppedLines: 0 });
  });

  it("status.refresh returns the state; strict args refuse anything else", async () => {
    const { driver, clock } = await setup();
    const action = driver.actions["status.refresh"]!;
    await expect(action.run(action.args.parse({}), actx(clock))).resolves.toMatchObject({ state: "SECURE" });
    expect(action.args.safeParse({ zeroize: true }).success).toBe(false);
    expect(Object.keys(driver.actions)).toEqual(["status.refresh"]);
  });

  it("an unanswered query times out by its deadline; health degraded/timeout while heartbeats flow", async () => {
    const { driver, device, clock, t } = await setup({ timeoutMs: 500 });
    t.feed(hb(1));
    device.answer = false;
    const p = driver.poll();
    const check = expect(p).rejects.toMatchObject({ code: "timeout" });
    await clock.tickAsync(500);
    await check;
    expect(driver.health).toMatchObject({ status: "degraded", code: "timeout" });
    device.answer = true;
    await driver.poll();
    expect(driver.health).toEqual({ status: "ok" });
  });

  it("an ER answer fails the query it refers to with device_error", async () => {
    const { driver, t, events } = await setup();
    t.responder = textResponder((w) => (w === "$Q,ST*7A\n" ? [dev("ENC,ER,40,UNSUPPORTED")] : undefined));
    const err = await driver.poll().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ code: "device_error", message: "the encryptor refused $Q,ST (UNSUPPORTED)" });
    expect(events.at(-1)).toMatchObject({ type: "enc.query_refused", data: { reason: "UNSUPPORTED", query: "ST" } });
  });

  it("a burst of bad checksums: counted, logged once, degraded; good lines make it ok again", async () => {
    const { driver, t, logger } = await setup();
    const bad = "$ENC,HB,2,4*00\n";
    for (let i = 0; i < 10; i++) t.feed(bad);
    expect(driver.health).toMatchObject({ status: "degraded", code: "checksum_errors" });
    expect(logger.records.filter((r) => r.msg?.startsWith("bad line"))).toHaveLength(1);
    t.feed(hb(3));
    t.feed(hb(4));
    expect(driver.health.status).toBe("degraded");
    t.feed(hb(5));
    expect(driver.health).toEqual({ status: "ok" });
    expect((await driver.poll()).checksumErrors).toBe(10);
  });

  it("over-long, binary and unknown lines are dropped and counted; nothing of them is logged", async () => {
    const { driver, t, logger, events } = await setup();
    const secret = "00112233445566778899AABBCCDDEEFF";
    t.feed(`$ENC,ID,${secret},${"x".repeat(200)}*00\n`);
    t.feed(Buffer.from([0x24, 0x00, 0xff, 0x0a]));
    t.feed(dev(`ENC,XX,${secret}`));
    t.feed(`key=${secret}\n`);
    const s = await driver.poll();
    expect(s).toMatchObject({ droppedLines: 4, checksumErrors: 0 });
    expect(JSON.stringify(logger.records)).not.toContain(secret);
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(events.filter((e) => e.type === "garbled_line")).toHaveLength(1);
    expect(driver.health.status).toBe("ok");
  });

  it("a flood of lines is read in full and reported once", async () => {
    const { t, events, states } = await setup({ floodLinesPerSecond: 50 });
    t.feed(Array.from({ length: 500 }, (_, i) => hb(i + 1)).join(""));
    t.feed(st(999, "BYPASS"));
    expect(states.at(-1)).toMatchObject({ state: "BYPASS" });
    expect(events.filter((e) => e.type === "line_flood")).toHaveLength(1);
  });

  it("a throwing state listener is logged, never breaks the line handling", async () => {
    const { driver, t, logger, states } = await setup();
    driver.on("state", () => {
      throw new Error("listener bug");
    });
    t.feed(st(5, "BYPASS"));
    t.feed(st(6, "TAMPER"));
    expect(states.at(-1)).toMatchObject({ state: "TAMPER" });
    expect(logger.records.some((r) => r.msg === "a driver event listener threw")).toBe(true);
  });

  it("bad options: fault/bad_config and a DeviceError naming the field", async () => {
    const d = new Enc1Driver();
    const clock = fakeClock();
    const start = d.start({
      deviceId: "x", transport: new FakeTransport(), logger: memoryLogger(), clock, signal: new AbortController().signal,
      options: { missedHeartbeats: 0 },
    });
    await expect(start).rejects.toThrow(/options\.missedHeartbeats/);
    expect(d.health).toMatchObject({ status: "fault", code: "bad_config" });
  });

  it("a transport that can never open: start rejects, health fault/bad_config", async () => {
    const d = new Enc1Driver();
    const t = new FakeTransport();
    t.openRejects = new TransportError("bad_config", "serial path missing");
    const start = d.start({ deviceId: "x", transport: t, logger: memoryLogger(), clock: fakeClock(), signal: new AbortController().signal, options: {} });
    await expect(start).rejects.toMatchObject({ code: "invalid_args", message: "transport cannot open: serial path missing" });
    expect(d.health).toMatchObject({ status: "fault", code: "bad_config" });
    await d.stop();
  });

  it("an absent device: start resolves after connectTimeoutMs with health unreachable", async () => {
    const d = new Enc1Driver();
    const clock = fakeClock();
    const t = new FakeTransport();
    t.openable = false;
    const start = d.start({ deviceId: "x", transport: t, logger: memoryLogger(), clock, signal: new AbortController().signal, options: { connectTimeoutMs: 1000 } });
    await clock.tickAsync(1000);
    await start;
    expect(d.health).toMatchObject({ status: "unreachable", code: "transport_closed" });
    await d.stop();
  });

  it("a link that opens but stays quiet: start resolves with unreachable/timeout, then heartbeat_lost", async () => {
    const d = new Enc1Driver();
    const clock = fakeClock();
    const t = new FakeTransport();
    const start = d.start({ deviceId: "x", transport: t, logger: memoryLogger(), clock, signal: new AbortController().signal, options: { connectTimeoutMs: 1000 } });
    await clock.tickAsync(1000);
    await start;
    expect(d.health).toMatchObject({ status: "unreachable", code: "timeout" });
    await clock.tickAsync(5000);
    expect(d.health).toMatchObject({ status: "unreachable", code: "heartbeat_lost" });
    await d.stop();
  });

  it("stop is idempotent, closes the transport and leaves no timer", async () => {
    const { driver, t, clock } = await setup();
    t.feed(hb(1));
    const p = driver.poll().catch((e: unknown) => e);
    await driver.stop();
    await driver.stop();
    expect(t.state).toBe("closed");
    expect(clock.fake.countTimers()).toBe(0);
    expect(await p).toBeDefined();
  });
});
