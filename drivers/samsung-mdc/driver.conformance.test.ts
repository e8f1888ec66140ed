/**
 * The shared driver conformance suite (drivers/conformance.ts) against the MDC display simulator,
 * over both links: TCP on 127.0.0.1 and a pty at 9600 baud.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { driverConformance, type DriverFixture } from "../conformance.js";
import { startSamsungMdcSimulator, type MdcSimHandle } from "../../simulators/samsung-mdc/index.js";
import { MdcDriver } from "./driver.js";

const options = { timeoutMs: 1000, connectTimeoutMs: 1500 };

function fixture(sim: MdcSimHandle, transport: DriverFixture["transport"], teardown: () => Promise<void>): DriverFixture {
  return {
    transport,
    options,
    createDriver: () => new MdcDriver(),
    goodAction: {
      name: "input.select",
      args: { input: "hdbaset" },
      verify: () => expect(sim.display(1).inputCode).toBe(0x55),
    },
    badArgs: { name: "brightness.set", args: { percent: 101 } },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    silence: (on) => {
      sim.faults.silent = on;
    },
    teardown,
  };
}

driverConformance("mdc over tcp", async () => {
  const sim = await startSamsungMdcSimulator({ link: "tcp", host: "127.0.0.1", port: 0 });
  return fixture(sim, { type: "tcp", host: "127.0.0.1", port: sim.port! }, () => sim.close());
});

driverConformance("mdc over serial (pty, 9600)", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-mdc-conf-"));
  const devicePath = path.join(dir, "display");
  const sim = await startSamsungMdcSimulator({ link: "serial", devicePath, baudRate: 9600 });
  return fixture(sim, { type: "serial", path: devicePath, baudRate: 9600 }, async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });
});
