/**
 * The shared driver conformance suite (drivers/conformance.ts) against the Cisco simulator over
 * each link the driver speaks: SSH (the codec's default), RS-232 on a pty at 115200 baud (console
 * login), and telnet on TCP (TC / old CE).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { driverConformance, type DriverFixture } from "../conformance.js";
import { startCiscoSimulator, type CiscoSimHandle } from "../../simulators/cisco/index.js";
import { CiscoDriver } from "./driver.js";

const options = {
  timeoutMs: 1000,
  connectTimeoutMs: 1500,
  loginPromptMs: 300,
  keepaliveMs: 60_000,
  qualityIntervalMs: 0,
  pushIntervalMs: 0,
  password: "cisco",
};

function fixture(sim: CiscoSimHandle, transport: DriverFixture["transport"], teardown: () => Promise<void>): DriverFixture {
  return {
    transport,
    options,
    createDriver: () => new CiscoDriver() as never,
    goodAction: { name: "volume.set", args: { percent: 30 }, verify: () => expect(sim.codec.volume).toBe(30) },
    badArgs: { name: "volume.set", args: { percent: 101 } },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    silence: (on) => {
      sim.faults.silent = on;
    },
    teardown,
  };
}

driverConformance("cisco over ssh", async () => {
  const sim = await startCiscoSimulator({ link: "ssh", port: 0 });
  return fixture(sim, { type: "ssh", host: "127.0.0.1", port: sim.port!, username: "admin", password: "cisco", hostFingerprint: sim.hostFingerprint }, () => sim.close());
});

driverConformance("cisco over serial (pty, 115200, console login)", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-cisco-conf-"));
  const sim = await startCiscoSimulator({ link: "serial", devicePath: path.join(dir, "codec"), baudRate: 115200 });
  return fixture(sim, { type: "serial", path: sim.devicePath!, baudRate: 115200 }, async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });
});

driverConformance("cisco over telnet (tcp)", async () => {
  const sim = await startCiscoSimulator({ link: "tcp", port: 0 });
  return fixture(sim, { type: "tcp", host: "127.0.0.1", port: sim.port! }, () => sim.close());
});
