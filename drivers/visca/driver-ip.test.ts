import { describe, it, expect } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import type { ActionContext, DeviceError, DriverEvent, Health } from "../types.js";
import { ViscaDriver } from "./driver.js";
import { FakeTransport, hexBytes, toHex } from "../transport/fake.js";

/** `type len seq payload` with hand-written header bytes (PROTOCOLS.md, VISCA over IP). */
function datagram(type: string, seq: number, payload: string): Buffer {
  const p = hexBytes(payload);
  const h = Buffer.alloc(8);
  h.writeUInt16BE(parseInt(type, 16), 0);
  h.writeUInt16BE(p.length, 2);
  h.writeUInt32BE(seq, 4);
  return Buffer.concat([h, p]);
}

/** A VISCA-over-IP camera: answers 0111 with the request's sequence; `onCommand` may override. */
function ipCamera(t: FakeTransport) {
  const cam = {
    onCommand: undefined as ((seq: number, payload: string) => Buffer[] | undefined) | undefined,
  };
  t.responder = (w) => {
    const type = w.readUInt16BE(0);
    const seq = w.readUInt32BE(4);
    const payload = toHex(w.subarray(8));
    if (type === 0x0200 && payload === "01") return [datagram("0201", seq, "01")];
    const inquiries: Record<string, string> = {
      "81 09 04 00 FF": "90 50 02 FF",
      "81 09 06 12 FF": "90 50 00 00 00 0A 00 00 00 05 FF",
      "81 09 04 47 FF": "90 50 00 00 00 00 FF",
      "81 09 04 38 FF": "90 50 03 FF",
    };
    if (type === 0x0110 && inquiries[payload]) return [datagram("0111", seq, inquiries[payload])];
    if (type === 0x0100) {
      const custom = cam.onCommand?.(seq, payload);
      if (custom) return custom;
      return [datagram("0111", seq, "90 41 FF"), datagram("0111", seq, "90 51 FF")];
    }
    return [datagram("0201", seq, "0F 02")];
  };
  return cam;
}

function setup() {
  const clock = fakeClock();
  const transport = new FakeTransport("udp");
  const driver = new ViscaDriver();
  const health: Health[] = [];
  const events: DriverEvent[] = [];
  driver.on("health", (h) => health.push(h));
  driver.on("event", (e) => events.push(e));
  const ctx = {
    deviceId: "cam-ip", transport, logger: memoryLogger(), clock,
    signal: new AbortController().signal, options: { address: 3 },
  };
  return { clock, transport, driver, health, events, ctx };
}

const actx = (now: number): ActionContext => ({ signal: new AbortController().signal, deadline: now + 30_000 });
const written = (t: FakeTransport) => t.written.map(toHex);

describe("ViscaDriver over VISCA-over-IP", () => {
  it("start resets the sequence, then numbers requests from 0 with 81 addressing whatever the option says", async () => {
    const s = setup();
    ipCamera(s.transport);
    await s.driver.start(s.ctx);
    expect(written(s.transport)).toEqual([
      "02 00 00 01 00 00 00 00 01",
      "01 10 00 05 00 00 00 00 81 09 04 00 FF",
      "01 10 00 05 00 00 00 01 81 09 06 12 FF",
      "01 10 00 05 00 00 00 02 81 09 04 47 FF",
      "01 10 00 05 00 00 00 03 81 09 04 38 FF",
    ]);
    expect(s.health).toEqual([{ status: "ok" }]);
    expect(await s.driver.poll()).toMatchObject({ power: "on", pan: 10, tilt: 5, zoom: 0, focusMode: "manual" });
    s.transport.written.length = 0;
    await s.driver.actions["preset.recall"]!.run({ preset: 5 }, actx(s.clock.now()));
    expect(written(s.transport)).toEqual(["01 00 00 07 00 00 00 08 81 01 04 3F 02 05 FF"]);
    await s.driver.stop();
  });

  it("sequence out of order (0F 01): reset, wait for its reply, renumber from 0 and resend the request once", async () => {
    const s = setup();
    const cam = ipCamera(s.transport);
    await s.driver.start(s.ctx);
    let refusals = 0;
    cam.onCommand = (seq) => (refusals++ === 0 ? [datagram("0201", seq, "0F 01")] : undefined);
    s.transport.written.length = 0;
    await expect(s.driver.actions["home"]!.run({}, actx(s.clock.now()))).resolves.toEqual({ ok: true });
    expect(written(s.transport)).toEqual([
      "01 00 00 05 00 00 00 04 81 01 06 04 FF",
      "02 00 00 01 00 00 00 05 01",
      "01 00 00 05 00 00 00 00 81 01 06 04 FF",
    ]);
    expect(s.events.map((e) => e.type)).toContain("sequence_reset");
    await s.driver.stop();
  });

  it("a request refused twice for its sequence fails device_error instead of looping", async () => {
    const s = setup();
    const cam = ipCamera(s.transport);
    await s.driver.start(s.ctx);
    cam.onCommand = (seq) => [datagram("0201", seq, "0F 01")];
    const err = (await s.driver.actions["home"]!.run({}, actx(s.clock.now())).catch((e: DeviceError) => e)) as DeviceError;
    expect(err).toMatchObject({ code: "device_error", details: { visca: "sequence" } });
    await s.driver.stop();
  });

  it("malformed (0F 02) fails the request it names with device_error {visca: malformed}", async () => {
    const s = setup();
    const cam = ipCamera(s.transport);
    await s.driver.start(s.ctx);
    cam.onCommand = (seq) => [datagram("0201", seq, "0F 02")];
    const err = (await s.driver.actions["power"]!.run({ on: true }, actx(s.clock.now())).catch((e: DeviceError) => e)) as DeviceError;
    expect(err).toMatchObject({ code: "device_error", details: { visca: "malformed" } });
    // The link is free again: the next inquiry goes out and is answered.
    expect((await s.driver.poll()).power).toBe("on");
    await s.driver.stop();
  });

  it("a datagram with a bad header counts as garbled, never throws", async () => {
    const s = setup();
    ipCamera(s.transport);
    await s.driver.start(s.ctx);
    s.transport.feed(hexBytes("01 11 00"));
    s.transport.feed(datagram("0111", 0, "90 41")); // frame without FF
    expect(s.events.filter((e) => e.type === "garbled_frame")).toMatchObject([{ data: { reason: "bad_header" } }]);
    expect((await s.driver.poll()).garbledFrames).toBe(2);
    await s.driver.stop();
  });

  it("no answer to the sequence reset: start resolves with unreachable/timeout", async () => {
    const s = setup();
    s.transport.responder = () => undefined;
    const p = s.driver.start(s.ctx);
    await s.clock.tickAsync(2000);
    await p;
    expect(s.health).toEqual([
      { status: "unreachable", code: "timeout", message: "no answer to the sequence reset within 2000 ms" },
    ]);
    await s.driver.stop();
  });
});
