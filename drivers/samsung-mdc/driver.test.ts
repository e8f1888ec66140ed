import { describe, it, expect } from "vitest";
import { fakeClock, type FakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import type { ActionContext, DeviceError, DriverEvent, Health } from "../types.js";
import { MdcDriver } from "./driver.js";
import { fakeDisplay, frame, playChain, type FakeDisplay } from "./fake-chain.js";
import { FakeTransport, hexBytes, toHex } from "../transport/fake.js";
import type { MdcState } from "./state.js";

function setup(options: Record<string, unknown> = {}, chain: Record<number, Partial<FakeDisplay>> = { 1: {} }, kind: "serial" | "tcp" = "serial") {
  const clock = fakeClock();
  const transport = new FakeTransport(kind);
  const displays = new Map(Object.entries(chain).map(([id, d]) => [Number(id), fakeDisplay(d)]));
  playChain(transport, displays);
  const driver = new MdcDriver();
  const health: Health[] = [];
  const events: DriverEvent[] = [];
  driver.on("health", (h) => health.push(h));
  driver.on("event", (e) => events.push(e));
  const ctx = {
    deviceId: "wall-main", transport, logger: memoryLogger(), clock, signal: new AbortController().signal,
    options: { timeoutMs: 500, ...options },
  };
  const d = (id: number) => displays.get(id)!;
  return { clock, transport, displays, d, driver, health, events, ctx };
}

const actx = (clock: FakeClock, ms = 10_000): ActionContext => ({ signal: new AbortController().signal, deadline: clock.now() + ms });
const written = (t: FakeTransport) => t.written.map(toHex);
/** Lets an action run while fake time passes (timeouts, NAK retries). */
async function settle<T>(clock: FakeClock, p: Promise<T>, ms: number): Promise<T> {
  const caught = p.catch((e: unknown) => e);
  await clock.tickAsync(ms);
  const r = await caught;
  if (r instanceof Error) throw r;
  return r as T;
}

describe("MDC driver: first contact and poll", () => {
  it("start polls display 1 with exact frames, reads identity once, and reports ok", async () => {
    const { driver, ctx, transport } = setup();
    await driver.start(ctx);
    expect(written(transport)).toEqual([
      "AA 00 01 00 01", // status
      "AA 25 01 00 26", // brightness
      "AA F9 01 00 FA", // panel
      "AA 0D 01 00 0E", // error status
      "AA 8A 01 00 8B", // model name
      "AA 0B 01 00 0C", // serial number
      "AA 0E 01 00 0F", // software version
    ]);
    expect(driver.health).toEqual({ status: "ok" });
    transport.written.length = 0;
    const s = await driver.poll();
    expect(written(transport)).toHaveLength(4); // identity is not read again on this connection
    expect(Object.keys(s).sort()).toEqual([...driver.stateFields].sort());
    expect(s).toMatchObject({
      power: "on", input: "hdmi1", blanked: false, volume: 30, mute: false, brightness: 50, temperature: 40,
      fanFault: false, noSync: false, model: "QM55R", serial: "SN0001", software: "S-1090.2",
    });
    expect(s.displays["main"]).toMatchObject({ id: 1, power: "on", health: { status: "ok" } });
  });

  it("a wall of two: per-display state, summaries common or mixed, serials by name", async () => {
    const { driver, ctx } = setup({ displays: { left: 1, right: 2 } }, { 1: {}, 2: { input: 0x23, serial: "SN0002" } });
    await driver.start(ctx);
    const s: MdcState = await driver.poll();
    expect(s.displays["left"]!.input).toBe("hdmi1");
    expect(s.displays["right"]!.input).toBe("hdmi2");
    expect(s.input).toBe("mixed");
    expect(s.power).toBe("on");
    expect(s.serial).toBe("left=SN0001,right=SN0002");
  });
});

describe("MDC driver: actions", () => {
  it("power.set on the whole wall goes display by display and reports each", async () => {
    const { driver, ctx, transport, clock, d } = setup({ displays: { left: 1, right: 2 } }, { 1: { power: 0 }, 2: { power: 0 } });
    await driver.start(ctx);
    transport.written.length = 0;
    const res = await driver.actions["power.set"]!.run({ on: true }, actx(clock));
    expect(written(transport)).toEqual(["AA 11 01 01 01 14", "AA 11 02 01 01 15"]);
    expect(res).toEqual({ ok: true, displays: { left: "ok", right: "ok" } });
    expect(d(1).power).toBe(1);
    expect((await driver.poll()).displays["left"]!.power).toBe("on");
  });

  it("one display by name; an unknown name is invalid_args", async () => {
    const { driver, ctx, transport, clock } = setup({ displays: { left: 1, right: 2 } }, { 1: {}, 2: {} });
    await driver.start(ctx);
    transport.written.length = 0;
    await driver.actions["input.select"]!.run({ input: "hdbaset", display: "right" }, actx(clock));
    expect(written(transport)).toEqual(["AA 14 02 01 55 6C"]);
    await expect(driver.actions["blank.set"]!.run({ on: true, display: "middle" }, actx(clock))).rejects.toMatchObject({
      code: "invalid_args",
      message: 'unknown display "middle"; this device has: left, right',
    });
    await expect(driver.actions["brightness.set"]!.run({ percent: 120 }, actx(clock))).rejects.toMatchObject({ code: "invalid_args" });
  });

  it("blank.set sends panel F9 01 and state reads blanked", async () => {
    const { driver, ctx, transport, clock } = setup();
    await driver.start(ctx);
    transport.written.length = 0;
    await driver.actions["blank.set"]!.run({ on: true }, actx(clock));
    expect(written(transport)).toEqual(["AA F9 01 01 01 FC"]);
    expect((await driver.poll()).blanked).toBe(true);
  });

  it("partial failure of a group: device_error naming the display that failed", async () => {
    const { driver, ctx, clock, d } = setup({ displays: { left: 1, right: 2 } }, { 1: {}, 2: {} });
    await driver.start(ctx);
    d(2).silent = true;
    const err = (await settle(clock, driver.actions["volume.set"]!.run({ percent: 10 }, actx(clock)), 600).catch((e: unknown) => e)) as DeviceError;
    expect(err.code).toBe("device_error");
    expect(err.message).toBe("1 of 2 displays failed: right (timeout)");
    expect(err.details).toMatchObject({ succeeded: ["left"], failed: { right: { code: "timeout" } } });
    expect(d(1).volume).toBe(10);
    expect(driver.health).toMatchObject({ status: "unreachable", code: "timeout" });
  });

  it("a whole wall failing the same way keeps that code (timeout), listing every display", async () => {
    const { driver, ctx, clock, d } = setup({ displays: { left: 1, right: 2 } }, { 1: {}, 2: {} });
    await driver.start(ctx);
    d(1).silent = true;
    d(2).silent = true;
    const err = (await settle(clock, driver.actions["power.reboot"]!.run({}, actx(clock)), 1000).catch((e: unknown) => e)) as DeviceError;
    expect(err).toMatchObject({ code: "timeout", message: "2 of 2 displays failed: left (timeout), right (timeout)" });
    expect(err.details).toMatchObject({ succeeded: [] });
  });

  it("a NAK becomes device_error with the NAK code", async () => {
    const { driver, ctx, clock, d } = setup();
    await driver.start(ctx);
    d(1).nakAll = 0x03;
    await expect(driver.actions["mute.set"]!.run({ on: true }, actx(clock))).rejects.toMatchObject({
      code: "device_error", message: "main refused mute (NAK error 0x03)", details: { nak: 3 },
    });
  });

  it("NAKs while booting after power-on are retried every nakRetryMs within the deadline", async () => {
    const { driver, ctx, clock, d, transport } = setup({ nakRetryMs: 1000, bootMs: 20_000 }, { 1: { power: 0 } });
    await driver.start(ctx);
    await driver.actions["power.set"]!.run({ on: true }, actx(clock));
    d(1).nakNext = 2; // the panel is still booting
    transport.written.length = 0;
    const res = await settle(clock, driver.actions["input.select"]!.run({ input: "dp1" }, actx(clock)), 2500);
    expect(res).toEqual({ ok: true, displays: { main: "ok" } });
    expect(written(transport)).toEqual(["AA 14 01 01 25 3B", "AA 14 01 01 25 3B", "AA 14 01 01 25 3B"]);
  });

  it("booting NAKs past the deadline end as device_error, not a hang", async () => {
    const { driver, ctx, clock, d } = setup({ nakRetryMs: 1000 }, { 1: { power: 0 } });
    await driver.start(ctx);
    await driver.actions["power.set"]!.run({ on: true }, actx(clock));
    d(1).nakNext = 100;
    const p = driver.actions["input.select"]!.run({ input: "dp1" }, actx(clock, 3000));
    await expect(settle(clock, p, 3000)).rejects.toMatchObject({ code: "device_error", details: { booting: true } });
  });
});

describe("MDC driver: health", () => {
  it("a silent display: poll rejects `timeout` after timeoutMs, health unreachable; back to ok when it answers", async () => {
    const { driver, ctx, clock, d } = setup();
    await driver.start(ctx);
    d(1).silent = true;
    await expect(settle(clock, driver.poll(), 500)).rejects.toMatchObject({ code: "timeout" });
    expect(driver.health).toMatchObject({ status: "unreachable", code: "timeout" });
    d(1).silent = false;
    await driver.poll();
    expect(driver.health).toEqual({ status: "ok" });
  });

  it("over-temperature and fan faults degrade health; the threshold is an option", async () => {
    const { driver, ctx, d, health } = setup({ maxTemperatureC: 60 });
    await driver.start(ctx);
    d(1).temperature = 61;
    await driver.poll();
    expect(driver.health).toEqual({ status: "degraded", code: "overtemperature", message: "main: temperature at or above 60 °C" });
    d(1).temperature = 40;
    d(1).fan = 1;
    const s = await driver.poll();
    expect(driver.health).toMatchObject({ status: "degraded", code: "fan_fault" });
    expect(s.fanFault).toBe(true);
    d(1).fan = 0;
    d(1).temperatureError = 1; // the display's own flag counts below the threshold too
    await driver.poll();
    expect(driver.health.code).toBe("overtemperature");
    expect(health.map((h) => h.code ?? h.status)).toEqual(["ok", "overtemperature", "fan_fault", "overtemperature"]);
  });

  it("a display that NAKs every read is degraded/nak; a wall's health is its worst display", async () => {
    const { driver, ctx, d } = setup({ displays: { left: 1, right: 2 } }, { 1: {}, 2: {} });
    await driver.start(ctx);
    d(2).nakAll = 0x01;
    const s = await driver.poll();
    expect(s.displays["right"]!.health).toMatchObject({ status: "degraded", code: "nak" });
    expect(driver.health).toMatchObject({ status: "degraded", code: "nak" });
  });

  it("answers from the wrong display id are discarded and counted; the request then times out", async () => {
    const { driver, ctx, clock, d, events } = setup();
    await driver.start(ctx);
    d(1).answerAs = 7;
    await expect(settle(clock, driver.poll(), 500)).rejects.toMatchObject({ code: "timeout" });
    const s = await (d(1).answerAs = null, driver.poll());
    expect(s.linkErrors.wrongId).toBe(1);
    expect(events.find((e) => e.type === "wrong_display_id")?.data).toMatchObject({ expected: 1, got: 7 });
  });

  it("a bad checksum is counted and reported, and the good answer behind it is used", async () => {
    const { driver, ctx, transport } = setup();
    await driver.start(ctx);
    const play = transport.responder!;
    transport.responder = (w) => {
      const r = play(w);
      return r ? [hexBytes("AA FF 01 03 41 11 01 57"), ...r] : r;
    };
    const s = await driver.poll();
    expect(s.power).toBe("on");
    expect(s.linkErrors.badChecksum).toBe(4);
  });

  it("a reply cut short is counted as short when its request times out", async () => {
    const { driver, ctx, clock, transport } = setup();
    await driver.start(ctx);
    transport.responder = () => [hexBytes("AA FF 01 09 41 00")];
    await expect(settle(clock, driver.poll(), 500)).rejects.toMatchObject({ code: "timeout" });
    expect((await (playChain(transport, new Map([[1, fakeDisplay()]])), driver.poll())).linkErrors.short).toBe(1);
  });
});

describe("MDC driver: secured protocol on TCP", () => {
  it("the MDCSTART<<TLS>> greeting gives fault/unsupported_protocol at once; requests fail fast without writing", async () => {
    const { driver, ctx, transport, health } = setup({}, { 1: {} }, "tcp");
    transport.responder = undefined;
    const started = driver.start(ctx);
    transport.feed(Buffer.from("MDCSTART<<TLS>>", "latin1"));
    await started;
    expect(driver.health).toMatchObject({ status: "fault", code: "unsupported_protocol" });
    expect(driver.health.message).toMatch(/Secured Protocol/);
    const before = transport.written.length;
    await expect(driver.poll()).rejects.toMatchObject({ code: "device_error", details: { mdc: "unsupported_protocol" } });
    expect(transport.written.length).toBe(before);
    expect(health.filter((h) => h.status === "fault")).toHaveLength(1);
  });

  it("stays fault across a reconnect that greets the same way, and clears once the display answers plain MDC", async () => {
    const { driver, ctx, transport } = setup({}, { 1: {} }, "tcp");
    const play = transport.responder!;
    transport.responder = () => [Buffer.from("MDCSTART<<TLS>>", "latin1")];
    await driver.start(ctx);
    expect(driver.health.code).toBe("unsupported_protocol");
    transport.drop();
    expect(driver.health.code).toBe("unsupported_protocol");
    transport.responder = play;
    transport.goOpen();
    await new Promise<void>((r) => setImmediate(r));
    await driver.poll();
    expect(driver.health).toEqual({ status: "ok" });
  });

  it("on serial the same bytes are only junk (secured firmware exists on TCP only)", async () => {
    const { driver, ctx, transport } = setup();
    await driver.start(ctx);
    transport.feed(Buffer.from("MDCSTART<<TLS>>", "latin1"));
    expect(driver.health).toEqual({ status: "ok" });
    expect((await driver.poll()).linkErrors.junk).toBe(1);
  });
});

describe("MDC driver: lifecycle", () => {
  it("bad options: fault/bad_config and a DeviceError naming the path", async () => {
    const { driver, ctx } = setup({ displays: { left: 254 } });
    await expect(driver.start(ctx)).rejects.toMatchObject({ code: "invalid_args", message: /options\.displays\.left/ });
    expect(driver.health).toMatchObject({ status: "fault", code: "bad_config" });
  });

  it("an absent device: start resolves after connectTimeoutMs with unreachable, then recovers", async () => {
    const { driver, ctx, transport, clock } = setup({ connectTimeoutMs: 1000 });
    transport.openable = false;
    await settle(clock, driver.start(ctx), 1000);
    expect(driver.health).toMatchObject({ status: "unreachable", code: "transport_closed" });
    transport.goOpen();
    await new Promise<void>((r) => setImmediate(r));
    await driver.poll();
    expect(driver.health).toEqual({ status: "ok" });
  });

  it("stop fails waiting actions, closes the transport and leaves no timer", async () => {
    const { driver, ctx, clock, d, transport } = setup({ nakRetryMs: 1000 }, { 1: { power: 0 } });
    await driver.start(ctx);
    await driver.actions["power.set"]!.run({ on: true }, actx(clock));
    d(1).nakNext = 100;
    const p = driver.actions["input.select"]!.run({ input: "dp1" }, actx(clock)).catch((e: DeviceError) => e.code);
    await clock.tickAsync(10);
    await driver.stop();
    await driver.stop();
    expect(await p).toBe("cancelled");
    expect(transport.state).toBe("closed");
    expect(clock.fake.countTimers()).toBe(0);
  });
});

it("frame helper agrees with the PROTOCOLS.md example", () => {
  expect(toHex(frame(0xff, 1, [0x41, 0x11, 0x01]))).toBe("AA FF 01 03 41 11 01 56");
});
