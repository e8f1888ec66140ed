/**
 * The ENC/1 driver against the encryptor simulator end to end, over TCP and a 9600 baud pty:
 * what the interlock relies on (a non-SECURE line becomes a `state` event well within 200 ms,
 * silence becomes UNKNOWN) and what the device saw (only queries and acks). Real I/O, real clock;
 * every wait is on an event and bounded.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startEnc1Simulator, type Enc1SimHandle } from "../../simulators/enc1/index.js";
import { healthBecomes, nextEmitted, startDriver, type DriverFixture } from "../conformance.js";
import type { Driver, DriverEvent } from "../types.js";
import type { Enc1DriverState } from "./state.js";
import { Enc1Driver } from "./driver.js";

const HB_MS = 200;
const options = { timeoutMs: 400, connectTimeoutMs: 1500, heartbeatIntervalMs: HB_MS };
const READ_ONLY = /^\$(Q,(ST|ID)|ACK,\d+)\*[0-9A-F]{2}\n$/;

const stateBecomes = (driver: Driver, match: (s: Enc1DriverState) => boolean, ms = 3000): Promise<Enc1DriverState> => nextEmitted(driver, "state", match, ms);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function boot(link: "tcp" | "serial"): Promise<{ sim: Enc1SimHandle; driver: Driver; events: DriverEvent[] }> {
  let sim: Enc1SimHandle;
  let transport: DriverFixture["transport"];
  if (link === "tcp") {
    sim = await startEnc1Simulator({ link: "tcp", host: "127.0.0.1", port: 0, heartbeatMs: HB_MS });
    cleanups.push(() => sim.close());
    transport = { type: "tcp", host: "127.0.0.1", port: sim.port! };
  } else {
    const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-enc1-e2e-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const devicePath = path.join(dir, "enc");
    sim = await startEnc1Simulator({ link: "serial", devicePath, baudRate: 9600, heartbeatMs: HB_MS });
    cleanups.push(() => sim.close());
    transport = { type: "serial", path: devicePath, baudRate: 9600 };
  }
  const fixture = { transport, options, createDriver: () => new Enc1Driver() } as unknown as DriverFixture;
  const secure = (d: Driver) => stateBecomes(d, (s) => s.secure);
  const { driver } = await startDriver(fixture, "enc-main");
  cleanups.push(() => driver.stop());
  const events: DriverEvent[] = [];
  driver.on("event", (e) => events.push(e));
  if (!(await driver.poll()).secure) await secure(driver);
  return { sim, driver, events };
}

describe.each(["tcp", "serial"] as const)("ENC/1 driver and simulator over %s", (link) => {
  it("BYPASS on the device is a state event within 200 ms, with the critical alarm; the device saw only queries and acks", async () => {
    const { sim, driver, events } = await boot(link);
    const t0 = performance.now();
    const seen = stateBecomes(driver, (s) => s.state === "BYPASS");
    sim.control("state", ["BYPASS"]);
    const s = await seen;
    const latency = performance.now() - t0;
    expect(s).toMatchObject({ state: "BYPASS", secure: false, alarm: "BYPASS_ACTIVE" });
    expect(latency).toBeLessThan(200); // the wire time of the line at 9600 baud included
    // the AL line follows the ST line (in the same read over TCP, one line time later on serial)
    await driver.poll();
    expect(events.filter((e) => e.type === "enc.alarm").map((e) => e.data)).toContainEqual({ code: "BYPASS_ACTIVE", severity: "critical", action: "raise" });
    // acks arrive at the device, and nothing else ever did
    await driver.poll();
    expect(sim.device.acks.length).toBeGreaterThan(0);
    const lines = sim.device.receivedLines();
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines) expect(l).toMatch(READ_ONLY);
  });

  it("silence: UNKNOWN within 3 heartbeat intervals; heartbeats back: secure again", async () => {
    const { sim, driver } = await boot(link);
    const t0 = performance.now();
    const unknown = stateBecomes(driver, (s) => s.state === "UNKNOWN");
    sim.faults.silent = true;
    const s = await unknown;
    expect(performance.now() - t0).toBeLessThan(3 * HB_MS + 250);
    expect(s.secure).toBe(false);
    expect(driver.health).toMatchObject({ status: "unreachable", code: "heartbeat_lost" });
    const back = stateBecomes(driver, (x) => x.secure);
    sim.faults.silent = false;
    await back;
    await healthBecomes(driver, (h) => h.status === "ok");
  });

  it("tamper, zeroize and key expiry each end `secure`; bad checksums degrade health until good lines return", async () => {
    const { sim, driver } = await boot(link);
    let next = stateBecomes(driver, (s) => s.state === "TAMPER");
    sim.control("tamper", []);
    expect(await next).toMatchObject({ secure: false });
    next = stateBecomes(driver, (s) => s.state === "ZEROIZED" && s.alarms.includes("ZEROIZED"));
    sim.control("zeroize", []);
    expect(await next).toMatchObject({ secure: false, key: "NONE", tunnel: "DOWN", alarms: ["TAMPER", "ZEROIZED"] });
    next = stateBecomes(driver, (s) => s.state === "SECURE");
    sim.control("state", ["SECURE"]);
    await next;
    next = stateBecomes(driver, (s) => s.state === "KEY_EXPIRED");
    sim.control("key", ["expired"]);
    expect(await next).toMatchObject({ secure: false, key: "EXPIRED" });

  });

  it("a burst of bad checksums degrades health until good lines return; only bad lines is heartbeat loss", async () => {
    const { sim, driver } = await boot(link);
    sim.device.sendRaw(Buffer.from("$ENC,HB,1,1*00\n".repeat(5)));
    await healthBecomes(driver, (h) => h.status === "degraded" && h.code === "checksum_errors", 3000);
    await healthBecomes(driver, (h) => h.status === "ok", 3000); // three good heartbeats later
    expect(((await driver.poll()) as Enc1DriverState).checksumErrors).toBe(5);

    const unknown = stateBecomes(driver, (s) => s.state === "UNKNOWN");
    sim.control("badchecksum", ["on"]);
    await unknown;
    const h = await healthBecomes(driver, (x) => x.code === "heartbeat_lost" && /fail their checksum/.test(x.message ?? ""), 3000);
    expect(h.status).toBe("unreachable");
    sim.control("badchecksum", ["off"]);
    await stateBecomes(driver, (s) => s.secure);
    await healthBecomes(driver, (x) => x.status === "ok", 3000);
  });

  it("garbage on the line is counted and dropped; the state stays correct", async () => {
    const { sim, driver } = await boot(link);
    sim.faults.garbage = true;
    const next = stateBecomes(driver, (s) => s.state === "MAINT");
    sim.control("state", ["MAINT"]);
    await next;
    const polled = (await driver.poll()) as Enc1DriverState;
    expect(polled.droppedLines).toBeGreaterThan(0);
    expect(polled.checksumErrors).toBe(0);
    expect(driver.health.status).toBe("ok");
  });
});
