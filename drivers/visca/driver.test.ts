import { describe, it, expect } from "vitest";
import { fakeClock, type FakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import type { ActionContext, DeviceError, DriverEvent, Health } from "../types.js";
import { TransportError } from "../transport/types.js";
import { ViscaDriver, type ViscaState } from "./driver.js";
import { FakeTransport, hexBytes, toHex } from "../transport/fake.js";

/**
 * A camera played byte by byte from PROTOCOLS.md (hand-written bytes, not the codec, so a codec
 * bug cannot hide here). `hold` keeps Completions back until the test releases them.
 */
function serialCamera(t: FakeTransport) {
  const cam = {
    power: "02", // 02 on, 03 standby
    pt: "00 00 00 01 0F 0F 0F 0E", // pan 1, tilt -2
    zoom: "01 02 03 04", // 0x1234
    focus: "02", // auto
    silent: false,
    holdCompletion: false,
    held: [] as string[],
  };
  t.responder = (w) => {
    if (cam.silent) return;
    const h = toHex(w);
    const answers: Record<string, string> = {
      "88 30 01 FF": "88 30 02 FF",
      "88 01 00 01 FF": "88 01 00 01 FF",
      "81 09 04 00 FF": `90 50 ${cam.power} FF`,
      "81 09 06 12 FF": `90 50 ${cam.pt} FF`,
      "81 09 04 47 FF": `90 50 ${cam.zoom} FF`,
      "81 09 04 38 FF": `90 50 ${cam.focus} FF`,
    };
    const a = answers[h];
    if (a) return [hexBytes(a)];
    if (h.startsWith("81 01 ")) {
      if (cam.holdCompletion) {
        cam.held.push("90 51 FF");
        return [hexBytes("90 41 FF")];
      }
      return [hexBytes("90 41 FF"), hexBytes("90 51 FF")];
    }
    return [hexBytes("90 60 02 FF")];
  };
  return cam;
}

const HANDSHAKE_AND_POLL = [
  "88 30 01 FF",
  "88 01 00 01 FF",
  "81 09 04 00 FF",
  "81 09 06 12 FF",
  "81 09 04 47 FF",
  "81 09 04 38 FF",
];

async function flush(rounds = 10) {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

function setup(kind: "serial" | "udp" = "serial", options: Record<string, unknown> = {}) {
  const clock = fakeClock();
  const transport = new FakeTransport(kind);
  const logger = memoryLogger();
  const driver = new ViscaDriver();
  const health: Health[] = [];
  const states: ViscaState[] = [];
  const events: DriverEvent[] = [];
  driver.on("health", (h) => health.push(h));
  driver.on("state", (s) => states.push(s));
  driver.on("event", (e) => events.push(e));
  const abort = new AbortController();
  const ctx = { deviceId: "cam-main", transport, logger, clock, signal: abort.signal, options };
  return { clock, transport, logger, driver, health, states, events, ctx, abort };
}

function actx(clock: FakeClock, ms = 30_000): ActionContext {
  return { signal: new AbortController().signal, deadline: clock.now() + ms };
}

const written = (t: FakeTransport) => t.written.map(toHex);

describe("ViscaDriver over a serial link", () => {
  it("start runs AddressSet, IF_Clear and the first poll, then reports ok and the camera's state", async () => {
    const s = setup();
    serialCamera(s.transport);
    await s.driver.start(s.ctx);
    expect(written(s.transport)).toEqual(HANDSHAKE_AND_POLL);
    expect(s.health).toEqual([{ status: "ok" }]);
    expect(s.states.at(-1)).toEqual({
      power: "on", pan: 1, tilt: -2, zoom: 0x1234, focusMode: "auto", lastPreset: null, garbledFrames: 0,
    });
    expect(s.driver.kind).toBe("camera");
    expect(s.driver.stateFields).toEqual(["power", "pan", "tilt", "zoom", "focusMode", "lastPreset", "garbledFrames"]);
    await s.driver.stop();
  });

  it("preset.recall {preset: 5} writes 81 01 04 3F 02 05 FF and resolves only on Completion", async () => {
    const s = setup();
    const cam = serialCamera(s.transport);
    await s.driver.start(s.ctx);
    s.transport.written.length = 0;
    cam.holdCompletion = true;
    let result: unknown;
    const p = s.driver.actions["preset.recall"]!.run({ preset: 5 }, actx(s.clock)).then((r) => (result = r));
    await flush();
    expect(written(s.transport)).toEqual(["81 01 04 3F 02 05 FF"]);
    expect(result).toBeUndefined();
    s.transport.feed(hexBytes(cam.held.shift()!));
    await p;
    expect(result).toEqual({ ok: true });
    expect(s.states.at(-1)?.lastPreset).toBe(5);
    await s.driver.stop();
  });

  it("encodes every action as the bytes of PROTOCOLS.md", async () => {
    const s = setup();
    serialCamera(s.transport);
    await s.driver.start(s.ctx);
    const cases: [string, unknown, string[]][] = [
      ["power", { on: false }, ["81 01 04 00 03 FF"]],
      ["power", { on: true }, ["81 01 04 00 02 FF"]],
      ["preset.set", { preset: 3 }, ["81 01 04 3F 01 03 FF"]],
      ["preset.reset", { preset: 0 }, ["81 01 04 3F 00 00 FF"]],
      ["move", { direction: "up" }, ["81 01 06 01 0C 0A 03 01 FF"]],
      ["move", { direction: "down-left", panSpeed: 24, tiltSpeed: 23 }, ["81 01 06 01 18 17 01 02 FF"]],
      ["stop", {}, ["81 01 06 01 0C 0A 03 03 FF", "81 01 04 07 00 FF"]],
      ["position", { pan: -2, tilt: 0x0123 }, ["81 01 06 02 0C 0A 0F 0F 0F 0E 00 01 02 03 FF"]],
      ["home", {}, ["81 01 06 04 FF"]],
      ["zoom", { direction: "tele" }, ["81 01 04 07 02 FF"]],
      ["zoom", { direction: "wide", speed: 7 }, ["81 01 04 07 37 FF"]],
      ["zoom", { direction: "stop" }, ["81 01 04 07 00 FF"]],
      ["zoom.position", { position: 16384 }, ["81 01 04 47 04 00 00 00 FF"]],
      ["focus", { mode: "manual" }, ["81 01 04 38 03 FF"]],
      ["focus", { mode: "one-push" }, ["81 01 04 18 01 FF"]],
    ];
    for (const [name, args, bytes] of cases) {
      s.transport.written.length = 0;
      await expect(s.driver.actions[name]!.run(args, actx(s.clock))).resolves.toEqual({ ok: true });
      expect([name, written(s.transport)]).toEqual([name, bytes]);
    }
    expect(s.states.at(-1)).toMatchObject({ power: "on", pan: 0, tilt: 0, zoom: 16384, focusMode: "manual" });
    for (const spec of Object.values(s.driver.actions)) expect(spec.description.length).toBeGreaterThan(10);
    await s.driver.stop();
  });

  it("rejects bad args with invalid_args and writes nothing", async () => {
    const s = setup();
    serialCamera(s.transport);
    await s.driver.start(s.ctx);
    s.transport.written.length = 0;
    const bad: [string, unknown][] = [
      ["preset.recall", { preset: 255 }],
      ["move", { direction: "sideways" }],
      ["move", { direction: "up", panSpeed: 25 }],
      ["position", { pan: 40000, tilt: 0 }],
      ["zoom.position", { position: 16385 }],
      ["power", {}],
    ];
    for (const [name, args] of bad) {
      await expect(s.driver.actions[name]!.run(args, actx(s.clock))).rejects.toMatchObject({ code: "invalid_args" });
    }
    expect(s.transport.written).toEqual([]);
    await s.driver.stop();
  });

  it("skips the position inquiries while the camera is in standby", async () => {
    const s = setup();
    const cam = serialCamera(s.transport);
    cam.power = "03";
    await s.driver.start(s.ctx);
    expect(written(s.transport)).toEqual(HANDSHAKE_AND_POLL.slice(0, 3));
    expect(s.states.at(-1)).toMatchObject({ power: "standby", pan: null, zoom: null });
    await s.driver.stop();
  });

  it("a silent camera: start resolves with health unreachable/timeout at ackTimeoutMs; back to ok on the next reply", async () => {
    const s = setup("serial", { ackTimeoutMs: 1500 });
    const cam = serialCamera(s.transport);
    cam.silent = true;
    let started = false;
    const p = s.driver.start(s.ctx).then(() => (started = true));
    await s.clock.tickAsync(1499);
    expect(started).toBe(false);
    await s.clock.tickAsync(1);
    await p;
    expect(s.health).toEqual([{ status: "unreachable", code: "timeout", message: "no reply within 1500 ms" }]);
    expect(written(s.transport)).toEqual(["88 30 01 FF"]);

    cam.silent = false;
    const state = await s.driver.poll();
    expect(state.power).toBe("on");
    expect(s.health.map((h) => h.status)).toEqual(["unreachable", "ok"]);
    await s.driver.stop();
  });

  it("poll after the camera goes silent rejects with timeout and emits health once", async () => {
    const s = setup();
    const cam = serialCamera(s.transport);
    await s.driver.start(s.ctx);
    cam.silent = true;
    const p = s.driver.poll().catch((e: DeviceError) => e);
    await s.clock.tickAsync(2000);
    expect(await p).toMatchObject({ code: "timeout" });
    const p2 = s.driver.poll().catch((e: DeviceError) => e);
    await s.clock.tickAsync(2000);
    expect(await p2).toMatchObject({ code: "timeout" });
    expect(s.health.map((h) => `${h.status}/${h.code ?? ""}`)).toEqual(["ok/", "unreachable/timeout"]);
    await s.driver.stop();
  });

  it("unplug -> unreachable/transport_closed, pending action fails not_connected; replug -> handshake again, ok", async () => {
    const s = setup();
    const cam = serialCamera(s.transport);
    await s.driver.start(s.ctx);
    cam.holdCompletion = true;
    const p = s.driver.actions["home"]!.run({}, actx(s.clock)).catch((e: DeviceError) => e);
    await flush();
    s.transport.drop();
    expect(await p).toMatchObject({ code: "not_connected" });
    expect(s.health.at(-1)).toMatchObject({ status: "unreachable", code: "transport_closed" });
    await expect(s.driver.actions["home"]!.run({}, actx(s.clock))).rejects.toMatchObject({ code: "not_connected" });

    cam.holdCompletion = false;
    s.transport.written.length = 0;
    s.transport.goOpen();
    await flush(30);
    expect(written(s.transport)).toEqual(HANDSHAKE_AND_POLL);
    expect(s.health.at(-1)).toEqual({ status: "ok" });
    await s.driver.stop();
  });

  it("an absent device does not hang start: it resolves after connectTimeoutMs and comes up later", async () => {
    const s = setup("serial", { connectTimeoutMs: 3000 });
    serialCamera(s.transport);
    s.transport.openable = false;
    const p = s.driver.start(s.ctx);
    await s.clock.tickAsync(3000);
    await p;
    expect(s.health).toMatchObject([{ status: "unreachable", code: "transport_closed" }]);
    s.transport.goOpen();
    await flush(30);
    expect(written(s.transport)).toEqual(HANDSHAKE_AND_POLL);
    expect(s.health.at(-1)).toEqual({ status: "ok" });
    await s.driver.stop();
  });

  it("garbled bytes count in state, raise one event per 10 s and log at warn, never throw", async () => {
    const s = setup();
    serialCamera(s.transport);
    await s.driver.start(s.ctx);
    s.transport.feed(hexBytes("12 34 90 41 FF"));
    s.transport.feed(hexBytes("56"));
    await s.clock.tickAsync(9999);
    s.transport.feed(hexBytes("78"));
    expect(s.events.filter((e) => e.type === "garbled_frame")).toHaveLength(1);
    await s.clock.tickAsync(1);
    s.transport.feed(hexBytes("3A"));
    const garbled = s.events.filter((e) => e.type === "garbled_frame");
    expect(garbled).toHaveLength(2);
    expect(garbled[0]!.data).toMatchObject({ reason: "no_header", bytes: "1234", total: 1 });
    expect(garbled[1]!.data).toMatchObject({ bytes: "3a", suppressedSinceLast: 2, total: 4 });
    expect(s.logger.records.filter((r) => r.level === "warn" && r.msg === "garbled bytes from the camera link")).toHaveLength(2);
    expect((await s.driver.poll()).garbledFrames).toBe(4);
    await s.driver.stop();
  });

  it("replies nobody waits for become one unmatched_reply event per 10 s, never a throw", async () => {
    const s = setup();
    serialCamera(s.transport);
    await s.driver.start(s.ctx);
    s.transport.feed(hexBytes("90 51 FF 90 50 02 FF"));
    const unmatched = s.events.filter((e) => e.type === "unmatched_reply");
    expect(unmatched).toEqual([{ type: "unmatched_reply", data: { reply: { type: "completion", address: 1, socket: 1 } } }]);
    expect((await s.driver.poll()).power).toBe("on"); // the stray answer did not satisfy the next inquiry
    await s.driver.stop();
  });

  it("a network change (90 38 FF) redoes the handshake and re-reads the camera", async () => {
    const s = setup();
    serialCamera(s.transport);
    await s.driver.start(s.ctx);
    s.transport.written.length = 0;
    s.transport.feed(hexBytes("90 38 FF"));
    await flush(30);
    expect(s.events.map((e) => e.type)).toContain("network_change");
    expect(written(s.transport)).toEqual(HANDSHAKE_AND_POLL);
    await s.driver.stop();
  });

  it("the action deadline bounds the wait: a slow Completion fails timeout at the deadline", async () => {
    const s = setup();
    const cam = serialCamera(s.transport);
    await s.driver.start(s.ctx);
    cam.holdCompletion = true;
    const p = s.driver.actions["preset.recall"]!.run({ preset: 1 }, actx(s.clock, 700)).catch((e: DeviceError) => e);
    await s.clock.tickAsync(699);
    await s.clock.tickAsync(1);
    expect(await p).toMatchObject({ code: "timeout", details: { stage: "completion" } });
    // The camera did ACK: it is reachable, so health stays ok.
    expect(s.health.at(-1)).toEqual({ status: "ok" });
    await s.driver.stop();
  });

  it("bad options: start rejects invalid_args, health fault/bad_config, nothing opened", async () => {
    const s = setup("serial", { address: 9 });
    await expect(s.driver.start(s.ctx)).rejects.toMatchObject({ code: "invalid_args" });
    expect(s.health).toMatchObject([{ status: "fault", code: "bad_config" }]);
    expect(s.health[0]!.message).toContain("options.address");
    expect(s.transport.state).toBe("idle");
  });

  it("a transport that can never open: start rejects invalid_args with health fault/bad_config", async () => {
    const s = setup();
    s.transport.openRejects = new TransportError("bad_config", "baudRate 1234 not supported");
    await expect(s.driver.start(s.ctx)).rejects.toMatchObject({ code: "invalid_args" });
    expect(s.health).toEqual([{ status: "fault", code: "bad_config", message: "baudRate 1234 not supported" }]);
    expect(s.transport.listeners_()).toBe(0);
  });

  it("stop is idempotent, removes its listeners, closes the transport; the abort signal stops it too", async () => {
    const s = setup();
    serialCamera(s.transport);
    await s.driver.start(s.ctx);
    expect(s.transport.listeners_()).toBe(2);
    await Promise.all([s.driver.stop(), s.driver.stop()]);
    await s.driver.stop();
    expect(s.transport.listeners_()).toBe(0);
    expect(s.transport.state).toBe("closed");

    const s2 = setup();
    serialCamera(s2.transport);
    await s2.driver.start(s2.ctx);
    s2.abort.abort();
    await flush();
    expect(s2.transport.listeners_()).toBe(0);
    expect(s2.transport.state).toBe("closed");
  });

  it("a camera address beyond the chain's AddressSet count: unreachable/address_absent, no inquiry sent", async () => {
    const s = setup("serial", { address: 3 });
    serialCamera(s.transport); // answers 88 30 02 FF: one camera on the chain
    await s.driver.start(s.ctx);
    expect(written(s.transport)).toEqual(["88 30 01 FF"]);
    expect(s.health).toMatchObject([{ status: "unreachable", code: "address_absent" }]);
    await s.driver.stop();
  });

  it("uses the configured camera address and ignores replies of other cameras on the chain", async () => {
    const s = setup("serial", { address: 2 });
    s.transport.responder = (w) => {
      const h = toHex(w);
      if (h === "88 30 01 FF") return [hexBytes("88 30 03 FF")];
      if (h === "88 01 00 01 FF") return [hexBytes("88 01 00 01 FF")];
      if (h === "82 09 04 00 FF") return [hexBytes("90 50 02 FF"), hexBytes("A0 50 03 FF")]; // camera 1 chatter first
      return undefined;
    };
    await s.driver.start(s.ctx);
    expect(s.states.at(-1)?.power).toBe("standby");
    expect(s.events.map((e) => e.type)).toContain("foreign_reply");
    await s.driver.stop();
  });
});
