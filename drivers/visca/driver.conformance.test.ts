/**
 * The shared driver conformance suite (drivers/conformance.ts) against the VISCA camera simulator,
 * over both links: a pty at 9600 baud and VISCA over IP on a real UDP socket.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { driverConformance, type DriverFixture } from "../conformance.js";
import { startViscaSimulator, type SimulatorHandle } from "../../simulators/visca/index.js";
import { ViscaDriver } from "./driver.js";

const options = { ackTimeoutMs: 1000, inquiryTimeoutMs: 1000, completionTimeoutMs: 3000, connectTimeoutMs: 1500 };

function fixture(sim: SimulatorHandle, transport: DriverFixture["transport"], teardown: () => Promise<void>): DriverFixture {
  return {
    transport,
    options,
    createDriver: () => new ViscaDriver(),
    goodAction: {
      name: "position",
      args: { pan: 200, tilt: -30, panSpeed: 24, tiltSpeed: 20 },
      verify: () => expect(sim.camera.position()).toMatchObject({ pan: 200, tilt: -30 }),
    },
    badArgs: { name: "preset.recall", args: { preset: 300 } },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    silence: (on) => {
      sim.faults.silent = on;
    },
    teardown,
  };
}

driverConformance("visca over serial (pty, 9600)", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-visca-conf-"));
  const devicePath = path.join(dir, "cam");
  const sim = await startViscaSimulator({ link: "serial", devicePath, baudRate: 9600, recallMs: 200 });
  return fixture(sim, { type: "serial", path: devicePath, baudRate: 9600 }, async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });
});

driverConformance("visca over IP (udp)", async () => {
  const sim = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, recallMs: 200 });
  return fixture(sim, { type: "udp", host: "127.0.0.1", port: sim.port }, () => sim.close());
});
