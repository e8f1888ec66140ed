/**
 * The shared driver conformance suite (drivers/conformance.ts) against the NovaStar controller
 * simulator, over both links: TCP on 127.0.0.1 and a pty at 115200 baud.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { driverConformance, type DriverFixture } from "../conformance.js";
import { startNovastarSimulator, type NovastarSimHandle } from "../../simulators/novastar/index.js";
import { NovastarDriver } from "./driver.js";

const options = { timeoutMs: 1000, connectTimeoutMs: 1500 };

function fixture(sim: NovastarSimHandle, transport: DriverFixture["transport"], teardown: () => Promise<void>): DriverFixture {
  return {
    transport,
    options,
    createDriver: () => new NovastarDriver(),
    goodAction: {
      name: "brightness.set",
      args: { percent: 50 },
      verify: () => expect(sim.controller.brightness).toBe(0x80),
    },
    badArgs: { name: "brightness.set", args: { percent: 150 } },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    silence: (on) => {
      sim.faults.silent = on;
    },
    teardown,
  };
}

driverConformance("novastar over tcp", async () => {
  const sim = await startNovastarSimulator({ link: "tcp", port: 0, brightness: 0 });
  return fixture(sim, { type: "tcp", host: "127.0.0.1", port: sim.port! }, () => sim.close());
});

driverConformance("novastar over serial (pty, 115200)", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-nova-conf-"));
  const devicePath = path.join(dir, "wall");
  const sim = await startNovastarSimulator({ link: "serial", devicePath, brightness: 0 });
  return fixture(sim, { type: "serial", path: devicePath, baudRate: 115200 }, async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });
});
