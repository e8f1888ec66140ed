/**
 * The Cisco driver against the Cisco simulator on real links (SSH mostly, RS-232 on a pty for the
 * console's reboot), real clock unless a test is about a long wait. The stories an operator or a
 * monitoring script would notice: calls that connect with their quality, calls that end coded,
 * far-end hang-ups, registration lost, a reboot, a silent link, a refused password.
 * Every wait is on an event and bounded.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { actionContext, healthBecomes as healthOf, nextEmitted, startDriver, type StartedDriver } from "../conformance.js";
import { startCiscoSimulator, type CiscoSimHandle, type CiscoSimulatorSpec } from "../../simulators/cisco/index.js";
import { createTransport, type TransportSpec } from "../transport/index.js";
import type { CallEnded, CodecState } from "../codec/vocabulary.js";
import type { Clock, Driver, DriverContext, DriverEvent, Health } from "../types.js";
import { CiscoDriver, FEEDBACK } from "./driver.js";

const base = { timeoutMs: 500, connectTimeoutMs: 3000, loginPromptMs: 300, keepaliveMs: 60_000, qualityIntervalMs: 0, pushIntervalMs: 0, connectedHoldMs: 100, dialTimeoutMs: 3000, disconnectGraceMs: 300 };

const healthBecomes = (d: CiscoDriver, match: (h: Health) => boolean, ms?: number) => healthOf(d as unknown as Driver, match, ms);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Resolves with the first emitted value that matches (the current state counts for `state`), failing after `ms`. */
const next = <T>(driver: CiscoDriver, event: "state" | "event", match: (v: T) => boolean, ms = 5000): Promise<T> => nextEmitted(driver, event, match, ms);

const ended = (driver: CiscoDriver, match: (e: CallEnded) => boolean = () => true) =>
  next<DriverEvent>(driver, "event", (e) => e.type === "call.ended" && match(e.data as unknown as CallEnded)).then((e) => e.data as unknown as CallEnded);

async function ssh(spec: Partial<CiscoSimulatorSpec> = {}, options: Record<string, unknown> = {}, password = "cisco"): Promise<{ sim: CiscoSimHandle; driver: CiscoDriver; started: StartedDriver }> {
  const sim = await startCiscoSimulator({ link: "ssh", port: 0, ...spec } as CiscoSimulatorSpec);
  cleanups.push(() => sim.close());
  const transport: TransportSpec = { type: "ssh", host: "127.0.0.1", port: sim.port!, username: "admin", password, hostFingerprint: sim.hostFingerprint };
  const started = await startDriver({ transport, options: { ...base, ...options }, createDriver: () => new CiscoDriver() } as never);
  cleanups.push(() => started.driver.stop());
  return { sim, driver: started.driver as unknown as CiscoDriver, started };
}

const run = (driver: CiscoDriver, name: string, args: unknown) => driver.actions[name]!.run(args, actionContext());

describe("Cisco driver against the simulator: start", () => {
  it("a reachable codec goes from unknown to ok, with no unreachable on the way (no health alarm at every agent start)", async () => {
    const sim = await startCiscoSimulator({ link: "ssh", port: 0 });
    cleanups.push(() => sim.close());
    const seen: string[] = [];
    const transport: TransportSpec = { type: "ssh", host: "127.0.0.1", port: sim.port!, username: "admin", password: "cisco" };
    const started = await startDriver({
      transport,
      options: base,
      createDriver: () => {
        const d = new CiscoDriver();
        d.on("health", (h: Health) => seen.push(h.status));
        return d;
      },
    } as never);
    cleanups.push(() => started.driver.stop());
    expect(started.driver.health.status).toBe("ok");
    expect(seen).toEqual(["ok"]);
  });
});

describe("Cisco driver against the simulator: calls", () => {
  it("a dial connects, the call carries its quality, a loss storm shows in it, and our hang-up ends it locally", async () => {
    const { sim, driver } = await ssh({ numbers: { "8001@mcu.prov": { kind: "answer", ringMs: 150, name: "District 11" } } }, { qualityIntervalMs: 200 });
    expect(driver.health.status).toBe("ok");
    const qualitySeen = next<CodecState>(driver, "state", (s) => s.calls[0]?.quality !== undefined);
    const result = await run(driver, "call.dial", { number: "8001@mcu.prov", protocol: "sip", rateKbps: 1920 });
    expect(result).toEqual({ callId: "1", remote: "8001@mcu.prov", state: "connected", protocol: "sip" });
    const withQuality = await qualitySeen;
    expect(withQuality.calls[0]).toMatchObject({ id: "1", direction: "outgoing", remote: "8001@mcu.prov", remoteName: "District 11", state: "connected", protocol: "sip", rateKbps: 1920 });
    expect(withQuality.calls[0]!.quality!.audio.rx).toMatchObject({ lossPct: 0, rateKbps: 64 });
    expect(withQuality.calls[0]!.quality!.video.tx.rateKbps).toBe(1856);

    sim.control("storm", ["4", "60"]);
    const stormy = await next<CodecState>(driver, "state", (s) => s.calls[0]?.quality?.video.rx.lossPct === 4);
    expect(stormy.calls[0]!.quality!.audio.rx.jitterMs).toBeGreaterThanOrEqual(62);

    const gone = ended(driver);
    expect(await run(driver, "call.hangup", {})).toEqual({ ended: ["1"] });
    expect(await gone).toMatchObject({ callId: "1", local: true, reason: "local", cause: "LocalDisconnect" });
    expect(sim.mcu.active()).toEqual([]);
    expect((await driver.poll()).calls).toEqual([]);
  });

  it("a refused number is call_rejected, one nobody answers is no_answer (and disconnected), one that drops at once is call_dropped", async () => {
    const { sim, driver } = await ssh(
      {
        numbers: {
          busy: { kind: "reject", cause: "busy" },
          void: { kind: "no-answer" },
          flaky: { kind: "answer", ringMs: 50, hangupAfterMs: 30 },
        },
      },
      { dialTimeoutMs: 600, connectedHoldMs: 300 },
    );
    await expect(run(driver, "call.dial", { number: "busy" })).rejects.toMatchObject({ code: "call_rejected", details: { cause: "RemoteBusy: Busy", reason: "rejected" } });
    const t0 = Date.now();
    await expect(run(driver, "call.dial", { number: "void" })).rejects.toMatchObject({ code: "no_answer" });
    expect(Date.now() - t0).toBeLessThan(2000);
    const noAnswerEnd = await ended(driver, (e) => e.remote === "void");
    expect(noAnswerEnd).toMatchObject({ local: true, reason: "no_answer", connectedMs: 0 });
    expect(sim.mcu.active()).toEqual([]); // the attempt was disconnected, not left ringing
    await expect(run(driver, "call.dial", { number: "flaky" })).rejects.toMatchObject({ code: "call_dropped" });
  });

  it("the far end hangs up: call.ended with local false; a dial while unregistered is not_registered", async () => {
    const { sim, driver } = await ssh();
    await run(driver, "call.dial", { number: "8002@mcu.prov" });
    const gone = ended(driver);
    expect(sim.control("hangup", [])).toBe("ended 1");
    expect(await gone).toMatchObject({ callId: "1", remote: "8002@mcu.prov", direction: "outgoing", local: false, reason: "remote", cause: "RemoteDisconnect" });
    expect((await gone).connectedMs).toBeGreaterThan(0);

    sim.control("register", ["sip", "off"]);
    await healthBecomes(driver, (h) => h.status === "degraded" && h.code === "not_registered");
    await expect(run(driver, "call.dial", { number: "8003@mcu.prov", protocol: "sip" })).rejects.toMatchObject({ code: "not_registered" });
  });

  it("an incoming call rings in state and is answered", async () => {
    const { sim, driver } = await ssh();
    sim.control("incoming", ["9001@district.gov"]);
    await next<CodecState>(driver, "state", (s) => s.calls[0]?.state === "ringing" && s.calls[0].direction === "incoming");
    expect(await run(driver, "call.answer", {})).toEqual({ callId: "1" });
    await next<CodecState>(driver, "state", (s) => s.calls[0]?.state === "connected");
  });
});

describe("Cisco driver against the simulator: room controls, registration, links", () => {
  it("mute, volume, standby, camera and presentation reach the codec, and changes made at the codec come back", async () => {
    const { sim, driver } = await ssh();
    await run(driver, "mic.mute", { on: true });
    await run(driver, "volume.set", { percent: 35 });
    await run(driver, "standby.set", { on: true });
    await run(driver, "camera.select", { source: 2 });
    await run(driver, "camera.preset", { preset: 3 });
    await run(driver, "content.start", { source: 3 });
    expect([sim.codec.muted, sim.codec.volume, sim.codec.standby, sim.codec.mainVideoSource, sim.codec.lastPreset, sim.codec.presentation]).toEqual([true, 35, "Standby", 2, 3, { mode: "Sending", source: 3 }]);
    expect(await driver.poll()).toMatchObject({ mic: { muted: true }, volume: 35, standby: true, camera: { source: 2 }, content: { active: true, direction: "sending", source: 3 } });
    await expect(run(driver, "camera.preset", { preset: 9 })).rejects.toMatchObject({ code: "device_error", message: expect.stringContaining("Preset 9 not found") });

    sim.control("volume", ["72"]);
    sim.control("mute", ["off"]);
    sim.control("standby", ["off"]);
    await next<CodecState>(driver, "state", (s) => s.volume === 72 && !s.mic.muted && !s.standby);
    await run(driver, "content.stop", {});
    expect(sim.codec.presentation).toEqual({ mode: "Off" });
  });

  it("registration lost: degraded/not_registered with the codec's words; back: ok", async () => {
    const { sim, driver } = await ssh();
    expect((await driver.poll()).registration).toEqual({
      sip: { status: "registered", server: "room-codec@province.gov", detail: "Registered" },
      h323: { status: "registered", server: "10.20.0.5", detail: "Registered" },
    });
    sim.control("register", ["h323", "off"]);
    const h = await healthBecomes(driver, (x) => x.status === "degraded");
    expect(h).toMatchObject({ code: "not_registered", message: expect.stringContaining("H.323 Discovering") });
    sim.control("register", ["h323", "on"]);
    await healthBecomes(driver, (x) => x.status === "ok");
  });

  it("SSH: after a reboot the driver logs in again, re-registers its feedback and hears changes", async () => {
    const { sim, driver } = await ssh({ bootMs: 300 });
    expect(sim.shells[0]!.registrations.map((r) => `/${r.join("/")}`)).toEqual([...FEEDBACK]);
    expect(sim.control("reboot", [])).toBe("rebooting; back in 300 ms");
    await healthBecomes(driver, (h) => h.status === "unreachable");
    await healthBecomes(driver, (h) => h.status === "ok");
    expect(sim.shells).toHaveLength(2);
    expect(sim.shells[1]!.registrations).toHaveLength(FEEDBACK.length);
    expect(sim.codec.peripherals.has("roomgate-dev-under-test")).toBe(true);
    sim.control("volume", ["66"]);
    await next<CodecState>(driver, "state", (s) => s.volume === 66);
  });

  it("RS-232: a reboot logs the console out; the driver logs in again and re-registers", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-cisco-sim-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const sim = await startCiscoSimulator({ link: "serial", devicePath: path.join(dir, "codec"), bootMs: 200, password: "c0nsole" });
    cleanups.push(() => sim.close());
    const started = await startDriver({ transport: { type: "serial", path: sim.devicePath!, baudRate: 115200 }, options: { ...base, password: "c0nsole" }, createDriver: () => new CiscoDriver() } as never);
    cleanups.push(() => started.driver.stop());
    const driver = started.driver as unknown as CiscoDriver;
    expect(driver.health.status).toBe("ok");
    const reset = next<DriverEvent>(driver, "event", (e) => e.type === "session_reset");
    sim.control("reboot", []);
    await reset;
    expect(driver.health).toMatchObject({ status: "unreachable", code: "no_session" });
    await healthBecomes(driver, (h) => h.status === "ok");
    expect(sim.shells[0]!.registrations).toHaveLength(FEEDBACK.length);
    sim.control("volume", ["41"]);
    await next<CodecState>(driver, "state", (s) => s.volume === 41);
    expect(sim.shells[0]!.received.filter((l) => l === "***")).toHaveLength(2); // logged in twice, password never kept
    expect(JSON.stringify(started.logger.records)).not.toContain("c0nsole");
  });

  it("a silent codec is found by the keepalive alone: unreachable, link reset; back when it answers", async () => {
    const { sim, driver, started } = await ssh({}, { keepaliveMs: 250, timeoutMs: 250 });
    sim.faults.silent = true;
    const t0 = Date.now();
    await healthBecomes(driver, (h) => h.status === "unreachable");
    expect(Date.now() - t0).toBeLessThan(2000); // keepalive interval + its deadline, with margin
    await expect.poll(() => started.logger.records.some((r) => r.msg === "the codec does not answer: resetting the link"), { timeout: 3000 }).toBe(true);
    sim.faults.silent = false;
    await healthBecomes(driver, (h) => h.status === "ok", 8000);
  });

  it("garbage before every reply is skipped; the codec's sessions all taken: unreachable/session_limit", async () => {
    const { sim, driver } = await ssh({ maxSessions: 1 });
    sim.faults.garbage = true;
    await run(driver, "volume.set", { percent: 12 });
    expect((await driver.poll()).volume).toBe(12);
    sim.faults.garbage = false;
    const second = await startDriver({ transport: { type: "ssh", host: "127.0.0.1", port: sim.port!, username: "admin", password: "cisco", hostFingerprint: sim.hostFingerprint }, options: { ...base, connectTimeoutMs: 800 }, createDriver: () => new CiscoDriver() } as never);
    cleanups.push(() => second.driver.stop());
    await healthBecomes(second.driver as unknown as CiscoDriver, (h) => h.code === "session_limit");
    expect(second.driver.health.status).toBe("unreachable");
  });

  it("a bad SSH password: fault/auth_failed, and the password is in no log, health or state", async () => {
    const { sim, driver, started } = await ssh({}, { connectTimeoutMs: 800 }, "Wr0ng-Pa55");
    await healthBecomes(driver, (h) => h.status === "fault" && h.code === "auth_failed");
    expect(sim.refusedLogins).toBeGreaterThanOrEqual(1);
    const everything = JSON.stringify([started.logger.records, driver.health, await driver.poll().catch((e: Error) => e.message)]);
    expect(everything).not.toContain("Wr0ng-Pa55");
  });
});

describe("Cisco driver on the console: a refused login is not hammered", () => {
  it("telnet: Login incorrect -> fault/auth_failed; the next try waits authRetryMs; a right password heals it", async () => {
    const clock = fakeClock();
    const sim = await startCiscoSimulator({ link: "tcp", port: 0, password: "right", clock });
    cleanups.push(() => sim.close());
    const logger = memoryLogger();
    const transport = await createTransport({ type: "tcp", host: "127.0.0.1", port: sim.port! }, { clock, logger });
    const ctx: DriverContext = { deviceId: "codec-1", transport, logger, clock: clock as Clock, signal: new AbortController().signal, options: { ...base, password: "wrong-one", authRetryMs: 60_000 } };
    const driver = new CiscoDriver();
    cleanups.push(() => driver.stop());
    const starting = driver.start(ctx);
    await healthBecomes(driver, (h) => h.code === "auth_failed");
    expect(driver.health.status).toBe("fault");
    expect(sim.refusedLogins).toBe(1);
    await clock.tickAsync(59_000);
    expect(sim.refusedLogins).toBe(1); // nothing sent meanwhile
    sim.users["admin"] = "wrong-one"; // the codec's password is changed to what the site file says
    await clock.tickAsync(1_000);
    await starting;
    // The retry is real I/O from here on: no timer needs to fire for a login that succeeds.
    await healthBecomes(driver, (h) => h.status === "ok");
    expect(sim.refusedLogins).toBe(1);
    expect(JSON.stringify(logger.records)).not.toContain("wrong-one");
  });
});
