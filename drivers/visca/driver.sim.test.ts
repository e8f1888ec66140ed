/**
 * The VISCA driver against the VISCA camera simulator over real links: a pty at 9600 baud
 * (serial transport) and a real UDP socket on 127.0.0.1 (VISCA over IP). Real clock: every wait is
 * on an event (health, state) and bounded.
 */
import { describe, it, expect, afterEach } from "vitest";
import dgram from "node:dgram";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { systemClock } from "../clock.js";
import { healthBecomes } from "../conformance.js";
import { createTransport, type TransportSpec } from "../transport/index.js";
import type { ActionContext, DriverContext } from "../types.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { startViscaSimulator } from "../../simulators/visca/index.js";
import { ViscaDriver } from "./driver.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const actx = (ms = 10_000): ActionContext => ({ signal: new AbortController().signal, deadline: Date.now() + ms });

async function startDriver(spec: TransportSpec, options: Record<string, unknown> = {}) {
  const logger = memoryLogger();
  const transport = await createTransport(spec, {
    clock: systemClock,
    logger,
    backoff: { initialMs: 20, maxMs: 100, jitter: 0 },
  });
  const driver = new ViscaDriver();
  const abort = new AbortController();
  const ctx: DriverContext = {
    deviceId: "cam-sim", transport, logger, clock: systemClock, signal: abort.signal,
    options: { ackTimeoutMs: 500, inquiryTimeoutMs: 500, completionTimeoutMs: 5000, ...options },
  };
  cleanups.push(() => driver.stop());
  await driver.start(ctx);
  return { driver, transport, logger };
}

describe("ViscaDriver against the simulator on a real pty (serial, 9600 8N1)", () => {
  it("handshake, poll, commands round trip; unplug -> unreachable; replug -> ok", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-visca-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const devicePath = path.join(dir, "cam");
    const sim = await startViscaSimulator({ link: "serial", devicePath, baudRate: 9600, recallMs: 300 });
    cleanups.push(() => sim.close());

    const { driver, logger } = await startDriver({ type: "serial", path: devicePath, baudRate: 9600 });
    expect(driver.health).toEqual({ status: "ok" });
    expect(await driver.poll()).toEqual({
      power: "on", pan: 0, tilt: 0, zoom: 0, focusMode: "auto", lastPreset: null, garbledFrames: 0,
    });

    await driver.actions["position"]!.run({ pan: 120, tilt: -40, panSpeed: 24, tiltSpeed: 23 }, actx());
    await driver.actions["zoom.position"]!.run({ position: 0x1000 }, actx());
    await driver.actions["preset.set"]!.run({ preset: 5 }, actx());
    await driver.actions["home"]!.run({}, actx());
    expect(await driver.poll()).toMatchObject({ pan: 0, tilt: 0, zoom: 0x1000 });
    await driver.actions["preset.recall"]!.run({ preset: 5 }, actx());
    expect(sim.camera.position()).toMatchObject({ pan: 120, tilt: -40 });
    expect(await driver.poll()).toMatchObject({ pan: 120, tilt: -40, lastPreset: 5 });

    await sim.unplug();
    await healthBecomes(driver, (h) => h.status === "unreachable");
    await expect(driver.poll()).rejects.toMatchObject({ code: expect.stringMatching(/not_connected|timeout/) });
    await sim.replug();
    await healthBecomes(driver, (h) => h.status === "ok");
    expect((await driver.poll()).power).toBe("on");
    // Nothing went unmatched or garbled on a clean line.
    expect(logger.records.filter((r) => r.msg === "VISCA reply matched no request" || r.msg?.startsWith("garbled"))).toEqual([]);
  });
});

describe("ViscaDriver against the simulator on real UDP (VISCA over IP)", () => {
  async function udpSetup() {
    const sim = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, recallMs: 200 });
    cleanups.push(() => sim.close());
    const d = await startDriver({ type: "udp", host: "127.0.0.1", port: sim.port });
    return { sim, ...d };
  }

  it("command round trip and poll values", async () => {
    const { sim, driver } = await udpSetup();
    expect(driver.health).toEqual({ status: "ok" });
    await driver.actions["power"]!.run({ on: true }, actx());
    await driver.actions["position"]!.run({ pan: -300, tilt: 25, panSpeed: 24, tiltSpeed: 23 }, actx());
    await driver.actions["focus"]!.run({ mode: "manual" }, actx());
    expect(sim.camera.focusMode).toBe("manual");
    expect(await driver.poll()).toMatchObject({ power: "on", pan: -300, tilt: 25, focusMode: "manual" });

    // Junk in front of every reply: counted and reported, and the replies behind it still land.
    const garbled: unknown[] = [];
    driver.on("event", (e) => e.type === "garbled_frame" && garbled.push(e.data));
    sim.faults.garbage = true;
    await driver.actions["home"]!.run({}, actx());
    const state = await driver.poll();
    expect(state).toMatchObject({ pan: 0, tilt: 0 });
    expect(state.garbledFrames).toBeGreaterThanOrEqual(6); // ACK, Completion, four answers
    expect(garbled).toMatchObject([{ reason: "no_header", bytes: "007e13" }]); // rate-limited to one
  });

  it("sequence reset dance: another controller moves the camera's sequence; the driver resets and resends", async () => {
    const { sim, driver } = await udpSetup();
    const events: string[] = [];
    driver.on("event", (e) => events.push(e.type));
    // After start the driver used sequences 0..3 (four inquiries): the camera expects 4 next.
    // A second controller takes 4, so the driver's next request (4) is out of order.
    const rogue = dgram.createSocket("udp4");
    cleanups.push(() => new Promise<void>((r) => rogue.close(() => r())));
    const answered = new Promise<Buffer>((resolve) => rogue.once("message", resolve));
    const inquiry = Buffer.from("0110000500000004" + "81090400ff", "hex");
    rogue.send(inquiry, sim.port, "127.0.0.1");
    const reply = await answered;
    expect(reply.toString("hex")).toBe("0111000400000004" + "905002ff");

    await expect(driver.actions["home"]!.run({}, actx())).resolves.toEqual({ ok: true });
    expect(events).toContain("sequence_reset");
    expect(sim.camera.position()).toMatchObject({ pan: 0, tilt: 0 });
  });

  it("unplug -> requests time out, health unreachable; replug -> ok again", async () => {
    const { sim, driver } = await udpSetup();
    await sim.unplug();
    await expect(driver.poll()).rejects.toMatchObject({ code: expect.stringMatching(/timeout|not_connected/) });
    await healthBecomes(driver, (h) => h.status === "unreachable");
    await sim.replug();
    // The transport reconnects (ICMP refusals made it back off); on open the driver resets the sequence and polls.
    await healthBecomes(driver, (h) => h.status === "ok");
    expect((await driver.poll()).power).toBe("on");
  });
});
