import { describe, expect, it } from "vitest";
import { fakeClock, type FakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import type { ActionContext, DeviceError, DriverEvent, Health } from "../types.js";
import { NovastarDriver, type NovastarState } from "./driver.js";
import { FakeTransport, hexBytes, toHex } from "../transport/fake.js";

/**
 * A controller played from PROTOCOLS.md with its own byte handling (not the codec): register
 * memory keyed by device type, replies `AA 55` + status + echoed fields + data + checksum.
 */
function controller(t: FakeTransport) {
  const dev = {
    mem: new Map<string, number>([
      ["0:2", 0x03], ["0:3", 0x11], // model id 03 11 = MCTRL4K
      ["0:" + 0x02000023, 0x05], // input HDMI
      ["1:" + 0x02000001, 0x80], // brightness 50 %
      ["1:" + 0x02000100, 0x00], ["1:" + 0x02000101, 0x00], ["1:" + 0x02000102, 0x00],
      ["0:" + 0x0220002d, 0x10], // VX4S input register (DVI), present for the forced-model test
    ]),
    silent: false,
    status: 0,
    statusFor: new Map<number, number>(),
    serialShift: 0,
    corruptFirst: false,
  };
  t.responder = (w) => {
    if (dev.silent) return;
    const op = w[10]!, deviceType = w[6]!, reg = w.readUInt32LE(12), len = w.readUInt16LE(16);
    const status = dev.statusFor.get(reg) ?? dev.status;
    let data = Buffer.alloc(0);
    if (status === 0 && op === 0) data = Buffer.from(Array.from({ length: len }, (_, i) => dev.mem.get(`${deviceType}:${reg + i}`) ?? 0));
    if (status === 0 && op === 1) for (let i = 0; i < len; i++) dev.mem.set(`${deviceType}:${reg + i}`, w[18 + i]!);
    const body = Buffer.concat([Buffer.from([status, (w[3]! + dev.serialShift) & 0xff]), w.subarray(4, 18), data]);
    let sum = 0x5555;
    for (const b of body) sum += b;
    const reply = Buffer.concat([hexBytes("AA 55"), body, Buffer.from([sum & 0xff, (sum >> 8) & 0xff])]);
    if (dev.corruptFirst) {
      dev.corruptFirst = false;
      const bad = Buffer.from(reply);
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 0x01;
      return [bad, reply];
    }
    return [reply];
  };
  return dev;
}

async function flush(rounds = 10) {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

function setup(options: Record<string, unknown> = {}) {
  const clock = fakeClock();
  const transport = new FakeTransport("tcp");
  const dev = controller(transport);
  const driver = new NovastarDriver();
  const health: Health[] = [];
  const events: DriverEvent[] = [];
  driver.on("health", (h) => health.push(h));
  driver.on("event", (e) => events.push(e));
  const ctx = { deviceId: "wall-main", transport, logger: memoryLogger(), clock, signal: new AbortController().signal, options };
  return { clock, transport, dev, driver, health, events, ctx };
}

const actx = (clock: FakeClock, ms = 30_000): ActionContext => ({ signal: new AbortController().signal, deadline: clock.now() + ms });
const lastWrite = (t: FakeTransport) => toHex(t.written[t.written.length - 1]!);
const run = (d: NovastarDriver, name: string, args: unknown, clock: FakeClock) => d.actions[name]!.run(args, actx(clock));

describe("NovastarDriver", () => {
  it("starts: reads model id, brightness, pattern, blackout, freeze, input; publishes the state; health ok", async () => {
    const { driver, ctx, transport, health } = setup();
    await driver.start(ctx);
    expect(toHex(transport.written[0]!)).toBe("55 AA 00 00 FE 00 00 00 00 00 00 00 02 00 00 00 02 00 57 56");
    // brightness read from the first receiving card, serial 01
    expect(toHex(transport.written[1]!)).toBe("55 AA 00 01 FE 00 01 00 00 00 00 00 01 00 00 02 01 00 59 56");
    expect(transport.written.length).toBe(6);
    expect(health).toEqual([{ status: "ok" }]);
    const state: NovastarState = await driver.poll();
    expect(state).toEqual({
      brightness: 50, input: "hdmi", blackout: false, frozen: false, testPattern: "off",
      model: "mctrl4k", modelId: "0311", checksumErrors: 0, discardedReplies: 0,
    });
    expect(Object.keys(state).sort()).toEqual([...driver.stateFields].sort());
  });

  it("brightness.set: percent -> round(p * 255 / 100) on all receiving cards", async () => {
    const { driver, ctx, transport, clock, dev } = setup();
    await driver.start(ctx);
    await run(driver, "brightness.set", { percent: 50 }, clock);
    expect(lastWrite(transport)).toBe("55 AA 00 06 FE FF 01 FF FF FF 01 00 01 00 00 02 01 00 80 DB 5A");
    await run(driver, "brightness.set", { percent: 33 }, clock); // 84.15 -> 0x54
    expect(dev.mem.get("1:" + 0x02000001)).toBe(0x54);
    expect((await driver.poll()).brightness).toBe(33);
    await expect(run(driver, "brightness.set", { percent: 101 }, clock)).rejects.toMatchObject({ code: "invalid_args" });
  });

  it("input.select writes the model's value; an unknown input is invalid_args listing the valid ones", async () => {
    const { driver, ctx, transport, clock } = setup();
    await driver.start(ctx);
    await run(driver, "input.select", { input: "DP" }, clock);
    expect(lastWrite(transport)).toBe("55 AA 00 06 FE FF 00 00 00 00 01 00 23 00 00 02 01 00 5F DE 57");
    expect((await driver.poll()).input).toBe("dp");
    const before = transport.written.length;
    const err = (await run(driver, "input.select", { input: "sdi" }, clock).catch((e: unknown) => e)) as DeviceError;
    expect(err.code).toBe("invalid_args");
    expect(err.message).toBe('unknown input "sdi" on NovaStar MCTRL4K; valid: dvi, hdmi, dp');
    expect(transport.written.length).toBe(before);
  });

  it("blank.set on = FF at 0x02000100, off = normal 00 00 00; freeze.set and testpattern.set", async () => {
    const { driver, ctx, transport, clock } = setup();
    await driver.start(ctx);
    await run(driver, "blank.set", { on: true }, clock);
    expect(lastWrite(transport)).toBe("55 AA 00 06 FE FF 01 FF FF FF 01 00 00 01 00 02 01 00 FF 5A 5B");
    await run(driver, "freeze.set", { on: true }, clock);
    await run(driver, "testpattern.set", { pattern: "red" }, clock);
    expect(await driver.poll()).toMatchObject({ blackout: true, frozen: true, testPattern: "red" });
    await run(driver, "blank.set", { on: false }, clock);
    expect(toHex(transport.written.at(-1)!)).toMatch(/^55 AA 00 [0-9A-F]{2} FE FF 01 FF FF FF 01 00 00 01 00 02 03 00 00 00 00 /);
    expect(await driver.poll()).toMatchObject({ blackout: false, frozen: false, testPattern: "off" });
    await expect(run(driver, "testpattern.set", { pattern: "plaid" }, clock)).rejects.toThrow(/unknown test pattern "plaid"; valid: off, red, green/);
  });

  it("has no power.set: the protocol has no power register", () => {
    expect(Object.keys(new NovastarDriver().actions).sort()).toEqual(["blank.set", "brightness.set", "freeze.set", "input.select", "testpattern.set"]);
  });

  it("a silent controller: the request fails with `timeout` at timeoutMs, health unreachable", async () => {
    const { driver, ctx, clock, dev, health } = setup({ timeoutMs: 500 });
    await driver.start(ctx);
    dev.silent = true;
    let settled: unknown = "pending";
    const p = driver.poll().then(() => "resolved", (e: unknown) => e);
    void p.then((v) => (settled = v));
    await clock.tickAsync(499);
    expect(settled).toBe("pending");
    await clock.tickAsync(1);
    expect(await p).toMatchObject({ code: "timeout", details: { stage: "reply", register: "0x00000002" } });
    expect(health.at(-1)).toMatchObject({ status: "unreachable", code: "timeout" });
    dev.silent = false;
    await driver.poll();
    expect(driver.health).toEqual({ status: "ok" });
  });

  it("a reply with the wrong serial is discarded and counted, never matched", async () => {
    const { driver, ctx, clock, dev, events } = setup({ timeoutMs: 400 });
    await driver.start(ctx);
    dev.serialShift = 1;
    const p = run(driver, "brightness.set", { percent: 10 }, clock).catch((e: unknown) => e);
    await flush();
    await clock.tickAsync(400);
    expect(await p).toMatchObject({ code: "timeout" });
    expect(events).toContainEqual(expect.objectContaining({ type: "discarded_reply", data: expect.objectContaining({ reason: "wrong_serial" }) }));
    dev.serialShift = 0;
    expect((await driver.poll()).discardedReplies).toBe(1);
  });

  it("status bytes become coded errors: 01 timeout, 02/03 check_error, 04 bad_command; health degraded", async () => {
    const { driver, ctx, clock, dev } = setup();
    await driver.start(ctx);
    const cases: [number, string, string][] = [[1, "timeout", "device_timeout"], [2, "device_error", "check_error"], [3, "device_error", "check_error"], [4, "device_error", "bad_command"]];
    for (const [status, code, healthCode] of cases) {
      dev.status = status;
      const err = (await run(driver, "blank.set", { on: true }, clock).catch((e: unknown) => e)) as DeviceError;
      expect(err.code).toBe(code);
      expect(err.details).toMatchObject({ deviceStatus: status, register: "0x02000100" });
      expect(driver.health).toMatchObject({ status: "degraded", code: healthCode });
    }
    dev.status = 0;
    await driver.poll();
    expect(driver.health).toEqual({ status: "ok" });
  });

  it("a poll whose input register is refused (04) still publishes the rest, health degraded bad_command", async () => {
    const { driver, ctx, dev } = setup();
    dev.statusFor.set(0x02000023, 4);
    await driver.start(ctx);
    expect(await driver.poll()).toMatchObject({ input: null, brightness: 50, model: "mctrl4k" });
    expect(driver.health).toMatchObject({ status: "degraded", code: "bad_command" });
  });

  it("a reply with a bad checksum is counted and the good one after it still matches", async () => {
    const { driver, ctx, clock, dev, events } = setup();
    await driver.start(ctx);
    dev.corruptFirst = true;
    await run(driver, "freeze.set", { on: true }, clock);
    expect((await driver.poll()).checksumErrors).toBe(1);
    expect(events).toContainEqual(expect.objectContaining({ type: "garbled_frame" }));
  });

  it("auto: an unknown model id degrades health (unknown_model); input.select says to set options.model", async () => {
    const { driver, ctx, clock, dev, health } = setup();
    dev.mem.set("0:2", 0x0c).set("0:3", 0x62); // VX1000: not built in
    await driver.start(ctx);
    expect(health).toEqual([expect.objectContaining({ status: "degraded", code: "unknown_model" })]);
    expect(await driver.poll()).toMatchObject({ model: null, modelId: "0c62", input: null, brightness: 50 });
    await expect(run(driver, "input.select", { input: "hdmi" }, clock)).rejects.toMatchObject({ code: "device_error", details: { code: "unknown_model" } });
    await run(driver, "brightness.set", { percent: 100 }, clock);
    expect(dev.mem.get("1:" + 0x02000001)).toBe(0xff);
  });

  it("options pick the model and may replace its input map", async () => {
    const { driver, ctx, transport, clock, events } = setup({ model: "vx4s", inputs: { codec: 0x40, pc: 0x10 } });
    await driver.start(ctx);
    // The controller reports 03 11 (MCTRL4K): said once, as an event; the configured model wins.
    expect(events.filter((e) => e.type === "model_mismatch")).toEqual([
      { type: "model_mismatch", message: "configured vx4s, controller reports model id 0311", data: { configured: "vx4s", modelId: "0311" } },
    ]);
    await run(driver, "input.select", { input: "codec" }, clock);
    expect(lastWrite(transport)).toBe("55 AA 00 06 FE 00 00 00 00 00 01 00 2D 00 20 02 01 00 40 EA 56");
    expect(await driver.poll()).toMatchObject({ model: "vx4s", modelId: "0311", input: "codec" });
  });

  it("bad options: start rejects with invalid_args naming the path; health fault/bad_config", async () => {
    const { driver, ctx } = setup({ model: "vx9000", timeoutMs: -1 });
    await expect(driver.start(ctx)).rejects.toMatchObject({ code: "invalid_args" });
    await expect(driver.start({ ...ctx })).rejects.toThrow(/options\.model: unknown model "vx9000"|options\.timeoutMs/);
    expect(driver.health).toMatchObject({ status: "fault", code: "bad_config" });
  });

  it("link loss fails the request in flight with not_connected; the link coming back polls again", async () => {
    const { driver, ctx, transport, dev, health } = setup();
    await driver.start(ctx);
    dev.silent = true;
    const p = driver.poll().catch((e: unknown) => e);
    await flush();
    transport.drop();
    expect(await p).toMatchObject({ code: "not_connected" });
    expect(health.at(-1)).toMatchObject({ status: "unreachable", code: "transport_closed" });
    dev.silent = false;
    transport.goOpen();
    await flush(30);
    expect(driver.health).toEqual({ status: "ok" });
  });

  it("an action's deadline bounds the request even when timeoutMs is longer", async () => {
    const { driver, ctx, clock, dev } = setup({ timeoutMs: 5000 });
    await driver.start(ctx);
    dev.silent = true;
    const p = driver.actions["blank.set"]!.run({ on: true }, actx(clock, 300)).catch((e: unknown) => e);
    await flush();
    await clock.tickAsync(300);
    expect(await p).toMatchObject({ code: "timeout" });
  });

  it("stop is idempotent, cancels what is pending, closes the transport and leaves no timer", async () => {
    const { driver, ctx, transport, clock, dev } = setup();
    await driver.start(ctx);
    dev.silent = true;
    const p = driver.poll().catch((e: unknown) => e);
    await flush();
    await driver.stop();
    await driver.stop();
    expect(await p).toMatchObject({ code: "cancelled" });
    expect(transport.state).toBe("closed");
    expect(clock.fake.countTimers()).toBe(0);
    await expect(driver.poll()).rejects.toMatchObject({ code: "not_connected" });
  });
});
