/**
 * The driver against the simulator on real endpoints: what an operator does (switch input, blank,
 * set brightness) shows on the simulated wall, and every fault the simulator can play ends in a
 * coded error and the right health, never a hang. Real time; every wait is bounded.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { actionContext, startDriver, type DriverFixture, type StartedDriver } from "../conformance.js";
import { startNovastarSimulator, type NovastarSimHandle, type NovastarSimulatorSpec } from "../../simulators/novastar/index.js";
import type { DeviceError, Driver, DriverEvent } from "../types.js";
import { NovastarDriver, type NovastarState } from "./driver.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tcpSetup(spec: Partial<NovastarSimulatorSpec> = {}, options: Record<string, unknown> = {}) {
  const sim = await startNovastarSimulator({ link: "tcp", port: 0, ...spec } as NovastarSimulatorSpec);
  cleanups.push(() => sim.close());
  return connect(sim, { type: "tcp", host: "127.0.0.1", port: sim.port! }, options);
}

async function connect(sim: NovastarSimHandle, transport: DriverFixture["transport"], options: Record<string, unknown>) {
  const fixture: DriverFixture = {
    transport,
    options: { timeoutMs: 300, connectTimeoutMs: 2000, ...options },
    createDriver: () => new NovastarDriver(),
    goodAction: { name: "brightness.set", args: { percent: 50 } },
    badArgs: { name: "brightness.set", args: { percent: -1 } },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    silence: (on) => {
      sim.faults.silent = on;
    },
    teardown: () => sim.close(),
  };
  const started: StartedDriver = await startDriver(fixture, "wall-main");
  cleanups.push(() => started.driver.stop());
  return { sim, driver: started.driver as Driver<NovastarState>, started };
}

/** The driver's next event of `type`, failing after `ms`. */
function nextEvent(driver: Driver, type: string, ms = 3000): Promise<DriverEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      driver.off("event", on);
      reject(new Error(`no ${type} event within ${ms} ms`));
    }, ms);
    const on = (e: DriverEvent): void => {
      if (e.type !== type) return;
      clearTimeout(timer);
      driver.off("event", on);
      resolve(e);
    };
    driver.on("event", on);
  });
}

const act = (d: Driver, name: string, args: unknown) => d.actions[name]!.run(args, actionContext());
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error("expected a failure"); }, (e: unknown) => e as DeviceError);

describe("NovaStar driver + simulator (tcp)", () => {
  it("switches input, blanks and sets brightness: the simulated wall changes, and poll reads it back", async () => {
    const { sim, driver } = await tcpSetup({ brightness: 0x10, input: "dvi" });
    expect(driver.health.status).toBe("ok");
    await act(driver, "input.select", { input: "hdmi" });
    await act(driver, "brightness.set", { percent: 75 });
    await act(driver, "blank.set", { on: true });
    expect([sim.controller.input, sim.controller.brightness, sim.controller.blackout]).toEqual(["hdmi", 191, true]);
    expect(await driver.poll()).toMatchObject({ input: "hdmi", brightness: 75, blackout: true, frozen: false, model: "mctrl4k", modelId: "0311" });
    await act(driver, "freeze.set", { on: true });
    await act(driver, "testpattern.set", { pattern: "white" });
    expect([sim.controller.frozen, sim.controller.testPattern]).toEqual([true, 5]);
    await act(driver, "blank.set", { on: false });
    expect([sim.controller.blackout, sim.controller.frozen, sim.controller.testPattern]).toEqual([false, false, 0]);
  });

  it("recognises a VX4S by its model id and uses its input register", async () => {
    const { sim, driver } = await tcpSetup({ model: "vx4s" });
    expect((await driver.poll()).model).toBe("vx4s");
    await act(driver, "input.select", { input: "sdi" });
    expect(sim.controller.input).toBe("sdi");
  });

  it("a wrong model in the options meets status 04: device_error bad_command, health degraded", async () => {
    const { driver } = await tcpSetup({ model: "mctrl4k" }, { model: "vx4s" });
    const err = await failure(act(driver, "input.select", { input: "hdmi" }));
    expect(err).toMatchObject({ code: "device_error", details: { deviceStatus: 4, code: "bad_command" } });
    expect(driver.health).toMatchObject({ status: "degraded", code: "bad_command" });
  });

  it("status faults: 01 -> timeout, 03 -> device_error check_error, off -> ok again", async () => {
    const { sim, driver } = await tcpSetup();
    sim.control!("status", ["1"]);
    expect(await failure(act(driver, "blank.set", { on: true }))).toMatchObject({ code: "timeout", details: { deviceStatus: 1 } });
    sim.control!("status", ["3"]);
    expect(await failure(act(driver, "blank.set", { on: true }))).toMatchObject({ code: "device_error", details: { code: "check_error" } });
    expect(sim.controller.blackout).toBe(false);
    sim.control!("status", ["off"]);
    await driver.poll();
    expect(driver.health).toEqual({ status: "ok" });
  });

  it("wrong serial: replies are discarded and counted, the request times out, health unreachable", async () => {
    const { sim, driver } = await tcpSetup();
    sim.control!("wrongserial", ["on"]);
    expect(await failure(act(driver, "brightness.set", { percent: 20 }))).toMatchObject({ code: "timeout" });
    expect(driver.health).toMatchObject({ status: "unreachable", code: "timeout" });
    sim.control!("wrongserial", ["off"]);
    const state = await driver.poll();
    expect(state.discardedReplies).toBe(1);
    expect(driver.health.status).toBe("ok");
  });

  it("bad checksums are counted, never matched; junk before replies is skipped", async () => {
    const { sim, driver } = await tcpSetup();
    sim.control!("badchecksum", ["on"]);
    expect(await failure(act(driver, "freeze.set", { on: true }))).toMatchObject({ code: "timeout" });
    sim.control!("badchecksum", ["off"]);
    sim.faults.garbage = true; // a fake AA 55 header before every reply
    const state = await driver.poll();
    expect(state.checksumErrors).toBeGreaterThanOrEqual(1);
    expect(state.model).toBe("mctrl4k");
  });

  it("a slow controller: timeout, and the late reply is discarded rather than taken for the next request", async () => {
    const { sim, driver } = await tcpSetup();
    sim.faults.slowMs = 450;
    const discarded = nextEvent(driver, "discarded_reply");
    expect(await failure(act(driver, "brightness.set", { percent: 30 }))).toMatchObject({ code: "timeout" });
    sim.faults.slowMs = 0;
    expect(await discarded).toMatchObject({ data: { reason: "unsolicited", register: "0x02000001" } });
    const state = await driver.poll();
    expect(state.discardedReplies).toBe(1);
    expect(state.brightness).toBe(30);
  });

  it("a controller that echoes written data in write replies works the same", async () => {
    const { sim, driver } = await tcpSetup({ echoWriteData: true });
    await act(driver, "brightness.set", { percent: 100 });
    expect(sim.controller.brightness).toBe(255);
    expect((await driver.poll()).checksumErrors).toBe(0);
  });
});

describe("NovaStar driver + simulator (serial pty, 115200)", () => {
  it("switches input and blanks over the serial line", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-nova-drv-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const devicePath = path.join(dir, "wall");
    const sim = await startNovastarSimulator({ link: "serial", devicePath, model: "vx4s", input: "dvi" });
    cleanups.push(() => sim.close());
    const { driver } = await connect(sim, { type: "serial", path: devicePath, baudRate: 115200 }, {});
    await act(driver, "input.select", { input: "dp" });
    await act(driver, "blank.set", { on: true });
    expect([sim.controller.input, sim.controller.blackout]).toEqual(["dp", true]);
    expect(await driver.poll()).toMatchObject({ input: "dp", blackout: true, model: "vx4s" });
  });
});
