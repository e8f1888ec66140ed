/**
 * The MDC driver against the MDC simulator over real links: a daisy chain of two displays on one
 * pty, and TCP on 127.0.0.1 (secured-protocol detection). Real clock: every wait is on an
 * event or a settled promise, and bounded.
 */
import { describe, it, expect, afterEach } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { actionContext, healthBecomes, startDriver, type DriverFixture, type StartedDriver } from "../conformance.js";
import { startSamsungMdcSimulator, type MdcSimHandle } from "../../simulators/samsung-mdc/index.js";
import { MdcDriver } from "./driver.js";
import type { MdcState } from "./state.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function run(sim: MdcSimHandle, transport: DriverFixture["transport"], options: Record<string, unknown>): Promise<StartedDriver> {
  const fixture = {
    transport, options, createDriver: () => new MdcDriver(),
  } as unknown as DriverFixture; // startDriver reads only these three
  const started = await startDriver(fixture);
  cleanups.push(() => started.driver.stop());
  return started;
}

async function chainOnPty(spec: Record<string, unknown> = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-mdc-sim-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const devicePath = path.join(dir, "wall");
  const sim = await startSamsungMdcSimulator({ link: "serial", devicePath, displays: [1, 2], ...spec });
  cleanups.push(() => sim.close());
  const { driver } = await run(sim, { type: "serial", path: devicePath, baudRate: 9600 }, {
    displays: { left: 1, right: 2 }, timeoutMs: 500, nakRetryMs: 200, bootMs: 5000,
  });
  return { sim, driver };
}

describe("MDC driver on a daisy chain of two displays (one pty)", () => {
  it("polls both, drives the wall as a group and one display by name", async () => {
    const { sim, driver } = await chainOnPty();
    expect(driver.health).toEqual({ status: "ok" });
    const res = await driver.actions["blank.set"]!.run({ on: true, display: "right" }, actionContext());
    expect(res).toEqual({ ok: true, displays: { right: "ok" } });
    expect([sim.display(1).blanked, sim.display(2).blanked]).toEqual([false, true]);
    let s = (await driver.poll()) as MdcState;
    expect(s.blanked).toBe("mixed");
    expect(s.displays["right"]).toMatchObject({ id: 2, blanked: true, model: "QM55R", serial: "0AB1H4NM900002" });
    await driver.actions["input.select"]!.run({ input: "dp2" }, actionContext());
    expect([sim.display(1).inputCode, sim.display(2).inputCode]).toEqual([0x26, 0x26]);
    s = (await driver.poll()) as MdcState;
    expect(s.input).toBe("dp2");
  });

  it("over-temperature on one display degrades the device, naming it; clears when it cools", async () => {
    const { sim, driver } = await chainOnPty();
    sim.control("overtemp", ["on", "2"]);
    await driver.poll();
    expect(driver.health).toEqual({
      status: "degraded", code: "overtemperature", message: "right: the display reports a temperature error",
    });
    expect(((await driver.poll()) as MdcState).displays["right"]!.temperature).toBe(85);
    sim.control("overtemp", ["off", "2"]);
    await driver.poll();
    expect(driver.health).toEqual({ status: "ok" });
  });

  it("power-on of the wall, then a command during boot: NAKs retried until the display is ready", async () => {
    const { sim, driver } = await chainOnPty({ bootMs: 800 });
    await driver.actions["power.set"]!.run({ on: false }, actionContext());
    await driver.actions["power.set"]!.run({ on: true }, actionContext());
    expect(sim.display(1).power).toBe("booting");
    expect(((await driver.poll()) as MdcState).power).toBe("booting");
    await driver.actions["brightness.set"]!.run({ percent: 33 }, actionContext(5000));
    expect([sim.display(1).brightness, sim.display(2).brightness]).toEqual([33, 33]);
  });

  it("a NAK storm on the chain: actions fail with device_error, health degraded/nak", async () => {
    const { sim, driver } = await chainOnPty();
    sim.control("nakstorm", ["on"]);
    await expect(driver.actions["mute.set"]!.run({ on: true, display: "left" }, actionContext())).rejects.toMatchObject({
      code: "device_error", message: "left refused mute (NAK error 0x01)",
    });
    await driver.poll();
    expect(driver.health).toMatchObject({ status: "degraded", code: "nak" });
  });

  it("garbage before every answer: counted, and the answers still read", async () => {
    const { sim, driver } = await chainOnPty();
    sim.faults.garbage = true;
    const s = (await driver.poll()) as MdcState;
    expect(s.power).toBe("on");
    expect(s.linkErrors.badChecksum).toBeGreaterThanOrEqual(8);
    expect(s.linkErrors.junk).toBeGreaterThanOrEqual(8);
    expect(driver.health).toEqual({ status: "ok" });
  });
});

describe("MDC driver on TCP: secured-protocol detection", () => {
  it("start resolves fast with fault/unsupported_protocol, sends nothing more, recovers when turned off", async () => {
    const sim = await startSamsungMdcSimulator({ link: "tcp", host: "127.0.0.1", port: 0 });
    cleanups.push(() => sim.close());
    sim.setSecured(true);
    const t0 = Date.now();
    const { driver } = await run(sim, { type: "tcp", host: "127.0.0.1", port: sim.port! }, { timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(2000); // well before the 3 s request timeout
    expect(driver.health).toMatchObject({ status: "fault", code: "unsupported_protocol" });
    await expect(driver.poll()).rejects.toMatchObject({ code: "device_error", details: { mdc: "unsupported_protocol" } });
    expect(sim.chain.heard).toHaveLength(0);
    sim.setSecured(false); // drops the connection; the transport reconnects and the driver polls again
    await healthBecomes(driver, (h) => h.status === "ok");
  });
});
