/**
 * The ONVIF driver against the simulated camera on a real HTTP endpoint: sessions, actions that
 * move the simulated camera, clock skew, credentials, bad answers.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { startOnvifSimulator, type OnvifSimHandle, type OnvifSimSpec } from "../../simulators/onvif/index.js";
import { systemClock } from "../clock.js";
import { actionContext, healthBecomes } from "../conformance.js";
import { HttpEndpoint } from "../transport/http.js";
import { DeviceError, type Clock, type DriverEvent, type Health } from "../types.js";
import { OnvifDriver, type OnvifState } from "./driver.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(spec: OnvifSimSpec = {}, options: Record<string, unknown> = {}, clock: Clock = systemClock) {
  const sim = await startOnvifSimulator({ speed: 5, discovery: { enabled: false }, ...spec });
  cleanups.push(() => sim.close());
  const logger = memoryLogger();
  const driver = new OnvifDriver();
  const events: DriverEvent[] = [];
  const healths: Health[] = [];
  const states: OnvifState[] = [];
  driver.on("event", (e) => events.push(e));
  driver.on("health", (h) => healths.push(h));
  driver.on("state", (s) => states.push(s));
  const transport = new HttpEndpoint({ host: "127.0.0.1", port: sim.port, path: "/onvif/device_service" });
  await driver.start({
    deviceId: "cam-onvif", transport, logger, clock, signal: new AbortController().signal,
    options: { username: "admin", password: "admin", timeoutMs: 1000, statusIntervalMs: 50, ...options },
  });
  cleanups.push(() => driver.stop());
  return { sim, driver, logger, events, healths, states };
}

const run = (d: OnvifDriver, name: string, args: unknown) => d.actions[name]!.run(args, actionContext());
const rounded = (sim: OnvifSimHandle) => {
  const p = sim.camera.position();
  return [p.pan, p.tilt, p.zoom].map((v) => Number(v.toFixed(3)));
};

describe("ONVIF driver against the simulated camera", () => {
  it("first contact: device information, profile, credential-free URIs, PTZ, and the clock skew in health", async () => {
    const { sim, driver } = await setup({ manufacturer: "ACME", model: "PTZ 9", firmware: "2.10", serial: "0042" });
    expect(driver.health).toMatchObject({ status: "ok" });
    expect(driver.health.message).toMatch(/^camera clock [+-]\d+\.\d s from ours$/);
    const s = await driver.poll();
    expect(s).toMatchObject({
      manufacturer: "ACME", model: "PTZ 9", firmware: "2.10", serial: "0042", ptz: true, profile: "profile_1",
      streamUri: "rtsp://127.0.0.1:554/profile_1", snapshotUri: `http://127.0.0.1:${sim.port}/onvif/snapshot/profile_1.jpg`,
      pan: 0, tilt: 0, zoom: 0, moveStatus: "idle", malformedReplies: 0,
    });
    expect(Math.abs(s.clockSkewMs!)).toBeLessThan(1500);
  });

  it("preset.recall (VISCA shape, a number) moves the simulated camera and reports arrival", async () => {
    const { sim, driver } = await setup();
    const res = await run(driver, "preset.recall", { preset: 3 });
    expect(res).toEqual({ ok: true, token: "3", arrived: true });
    expect(rounded(sim)).toEqual([-0.6, 0.1, 0.2]);
    expect(sim.camera.moving()).toBe(false);
    const s = await driver.poll();
    expect(s).toMatchObject({ lastPreset: "3", moveStatus: "idle" });
    expect([s.pan, s.tilt, s.zoom].map((v) => Number(v!.toFixed(3)))).toEqual([-0.6, 0.1, 0.2]);
  });

  it("a preset can be named by its name; set, list and reset work", async () => {
    const { sim, driver } = await setup();
    await run(driver, "preset.recall", { preset: "Lectern" });
    expect(rounded(sim)).toEqual([0.5, -0.2, 0.4]);
    await run(driver, "move.absolute", { pan: 0.25, tilt: 0.5, zoom: 0.75, speed: 1 });
    expect(rounded(sim)).toEqual([0.25, 0.5, 0.75]);
    const set = (await run(driver, "preset.set", { preset: 7 })) as { token: string };
    const list = (await run(driver, "preset.list", {})) as { presets: { token: string; name: string; pan: number | null }[] };
    expect(list.presets.find((p) => p.token === set.token)).toMatchObject({ name: "7", pan: 0.25 });
    await run(driver, "home", {});
    expect(rounded(sim)).toEqual([0, 0, 0]);
    await run(driver, "preset.recall", { preset: 7 }); // by name now
    expect(rounded(sim)).toEqual([0.25, 0.5, 0.75]);
    await run(driver, "preset.reset", { preset: 7 });
    expect(sim.camera.presets().map((p) => p.name)).not.toContain("7");
  });

  it("an unknown preset is invalid_args with the camera's own reason", async () => {
    const { driver } = await setup();
    const e = await run(driver, "preset.recall", { preset: 99 }).then(() => null, (err: unknown) => err);
    expect(e).toBeInstanceOf(DeviceError);
    expect((e as DeviceError).code).toBe("invalid_args");
    expect((e as DeviceError).message).toMatch(/^camera refused GotoPreset: .+ \(ter:InvalidArgVal\/ter:NoToken\)$/);
    expect(driver.health.status).toBe("ok"); // a refusal is an answer
  });

  it("move starts continuous motion and stop ends it; zoom.position maps 0..16384 onto 0..1", async () => {
    const { sim, driver } = await setup();
    await run(driver, "move", { direction: "right", panSpeed: 24, tiltSpeed: 1 });
    expect(sim.camera.moving()).toBe(true);
    await run(driver, "stop", {});
    expect(sim.camera.moving()).toBe(false);
    expect(sim.camera.position().pan).toBeGreaterThan(0);
    await run(driver, "zoom.position", { position: 8192 });
    expect(sim.camera.position().zoom).toBeCloseTo(0.5, 3);
  });

  it("a PTZ fault from the camera (ter:MovingPTZ) is busy", async () => {
    const { sim, driver } = await setup();
    sim.faults.ptzFault = "MovingPTZ";
    await expect(run(driver, "preset.recall", { preset: 1 })).rejects.toMatchObject({ code: "busy" });
  });

  it("a camera without PTZ: ptz false in state, PTZ actions refused with a reason, poll still works", async () => {
    const { driver } = await setup({ ptz: false });
    const s = await driver.poll();
    expect(s).toMatchObject({ ptz: false, pan: null, moveStatus: null });
    await expect(run(driver, "home", {})).rejects.toMatchObject({ code: "device_error", message: "the camera has no PTZ service" });
  });

  for (const skew of [+600_000, -600_000]) {
    it(`a camera clock ${skew > 0 ? "10 min ahead" : "10 min behind"} (window 5 min) still works; the skew is reported`, async () => {
      const { sim, driver, events } = await setup({ clockSkewMs: skew, createdWindowMs: 300_000 });
      expect(driver.health.status).toBe("ok");
      expect(driver.health.message).toMatch(skew > 0 ? /^camera clock \+(599|600)\.\d s from ours$/ : /^camera clock -(600|599)\.\d s from ours$/);
      const s = await driver.poll();
      expect(Math.abs(s.clockSkewMs! - skew)).toBeLessThan(1500);
      await run(driver, "preset.recall", { preset: 2 });
      expect(rounded(sim)).toEqual([0.5, -0.2, 0.4]);
      expect(sim.stats.authFailures).toBe(0);
      expect(events.find((e) => e.type === "clock_skew")?.data).toMatchObject({ source: "utc" });
    });
  }

  it("a camera clock that jumps after connect: one re-sync and retry, then ok", async () => {
    const clock = fakeClock(Date.now());
    const { sim, driver } = await setup({}, {}, clock);
    sim.faults.clockSkewMs = 600_000;
    await clock.tickAsync(61_000); // the re-sync is allowed once a minute
    await driver.poll();
    expect(sim.stats.authFailures).toBe(1);
    expect(driver.health.status).toBe("ok");
  });

  it("a wrong password: fault/auth_failed, then nothing is sent until authRetryMs has passed", async () => {
    const clock = fakeClock(Date.now());
    const { sim, driver, events } = await setup({ password: "right" }, { password: "wrong-pw", authRetryMs: 60_000 }, clock);
    expect(driver.health).toMatchObject({ status: "fault", code: "auth_failed" });
    expect(driver.health.message).toMatch(/^camera refused the credentials for GetProfiles: .*\(ter:NotAuthorized\)$/);
    const afterStart = sim.stats.requests;
    // GetSystemDateAndTime and GetCapabilities are PRE_AUTH in ONVIF Core; GetProfiles is refused.
    expect(afterStart).toBe(3);
    for (let i = 0; i < 5; i++) {
      await expect(driver.poll()).rejects.toMatchObject({ code: "device_error", details: { onvif: "auth_failed" } });
      await expect(run(driver, "home", {})).rejects.toMatchObject({ details: { onvif: "auth_failed" } });
    }
    await clock.tickAsync(30_000);
    expect(sim.stats.requests).toBe(afterStart);
    const before = events.length;
    await clock.tickAsync(30_000); // the slow cadence: one attempt a minute
    await waitUntil(() => sim.stats.authFailures >= 2);
    expect(sim.stats.requests).toBe(afterStart + 3);
    expect(driver.health.code).toBe("auth_failed");
    expect(events.length).toBe(before); // still failing: no repeated event
  });

  it("an HTML 401 page for a wrong password is fault/auth_failed too, in the camera's words", async () => {
    const { driver } = await setup({ password: "right", html401: true }, { password: "wrong-pw" });
    expect(driver.health).toMatchObject({ status: "fault", code: "auth_failed" });
    expect(driver.health.message).toBe("camera refused the credentials for GetProfiles (HTTP 401: Document Error: Unauthorized)");
  });

  it("garbage answers: degraded/malformed_reply and counted, never a crash; ok again when they stop", async () => {
    const { sim, driver, events } = await setup();
    sim.faults.garbage = true;
    await expect(driver.poll()).rejects.toMatchObject({ code: "device_error", details: { onvif: "malformed" } });
    expect(driver.health).toMatchObject({ status: "degraded", code: "malformed_reply" });
    expect(events.filter((e) => e.type === "malformed_reply")).toHaveLength(1);
    sim.faults.garbage = false;
    const s = await driver.poll();
    expect(s.malformedReplies).toBe(1);
    expect(driver.health.status).toBe("ok");
  });

  it("the password never appears in health, state, events or the log; passwordFile works", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-onvif-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, "cam.password");
    await writeFile(file, "S3cret-Pw-é\n");
    const { driver, logger, events, healths, states } = await setup({ password: "S3cret-Pw-é" }, { password: undefined, passwordFile: file });
    await run(driver, "preset.recall", { preset: 1 });
    await driver.poll();
    const wrong = await setup({ password: "other" }, { password: "S3cret-Pw-é" });
    expect(wrong.driver.health.code).toBe("auth_failed");
    const all = JSON.stringify([driver.health, healths, states, events, logger.records, wrong.healths, wrong.events, wrong.logger.records]);
    expect(all).not.toContain("S3cret");
    expect(driver.health.status).toBe("ok");
  });

  it("bad options: fault/bad_config and start rejects, naming the field but not the value", async () => {
    const driver = new OnvifDriver();
    const transport = new HttpEndpoint({ host: "127.0.0.1", port: 1, path: "/onvif/device_service" });
    const start = driver.start({
      deviceId: "x", transport, logger: memoryLogger(), clock: systemClock, signal: new AbortController().signal,
      options: { password: "hunter2", passwordFile: "/nope", timeoutMs: -1 },
    });
    await expect(start).rejects.toMatchObject({ code: "invalid_args" });
    expect(driver.health).toMatchObject({ status: "fault", code: "bad_config" });
    expect(driver.health.message).toContain("options.timeoutMs");
    expect(driver.health.message).toContain("options.passwordFile: give password or passwordFile, not both");
    expect(driver.health.message).not.toContain("hunter2");
  });

  it("unplugged mid-session: unreachable, then back by itself", async () => {
    const { sim, driver } = await setup();
    await sim.unplug();
    await expect(driver.poll()).rejects.toMatchObject({ code: "not_connected" });
    expect(driver.health).toMatchObject({ status: "unreachable", code: "connect_failed" });
    await sim.replug();
    await healthBecomes(driver, (h) => h.status === "ok");
    await expect(driver.poll()).resolves.toMatchObject({ ptz: true });
  });
});

/** Waits on real I/O, bounded (no fixed sleeps). */
async function waitUntil(cond: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
