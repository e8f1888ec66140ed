/**
 * The shared driver conformance suite (drivers/conformance.ts) against the Tesira simulator, over
 * both links: telnet on TCP 127.0.0.1 and the RS-232 port on a pty at 115200 baud.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { driverConformance, type DriverFixture } from "../conformance.js";
import { startTesiraSimulator, type TesiraSimHandle } from "../../simulators/tesira/index.js";
import { TesiraDriver } from "./driver.js";

const options = {
  timeoutMs: 1000,
  connectTimeoutMs: 1500,
  bannerTimeoutMs: 500,
  channels: {
    mics: { mute: { tag: "MicMute", index: 1 }, level: { tag: "MicLevel", index: 1 } },
    program: { level: { tag: "Program Level", index: 1 } },
  },
};

function fixture(sim: TesiraSimHandle, transport: DriverFixture["transport"], teardown: () => Promise<void>): DriverFixture {
  return {
    transport,
    options,
    createDriver: () => new TesiraDriver(),
    goodAction: {
      name: "mute.set",
      args: { channel: "mics", on: true },
      verify: () => expect(sim.dsp.block("MicMute").mutes[0]).toBe(true),
    },
    badArgs: { name: "level.set", args: { channel: "mics", db: 12.5 } },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    silence: (on) => {
      sim.faults.silent = on;
    },
    teardown,
  };
}

driverConformance("tesira over telnet (tcp)", async () => {
  const sim = await startTesiraSimulator({ link: "tcp", host: "127.0.0.1", port: 0 });
  return fixture(sim, { type: "tcp", host: "127.0.0.1", port: sim.port! }, () => sim.close());
});

driverConformance("tesira over serial (pty, 115200)", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-tesira-conf-"));
  const devicePath = path.join(dir, "dsp");
  const sim = await startTesiraSimulator({ link: "serial", devicePath, baudRate: 115200 });
  return fixture(sim, { type: "serial", path: devicePath, baudRate: 115200 }, async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });
});
