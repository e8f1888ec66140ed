/**
 * The shared driver conformance suite (drivers/conformance.ts) against the ENC/1 encryptor
 * simulator, over both links: TCP on 127.0.0.1 and a pty at 9600 baud. Heartbeats run at
 * 200 ms on both sides so that silence is noticed within the suite's waits.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { driverConformance, type DriverFixture } from "../conformance.js";
import { startEnc1Simulator, type Enc1SimHandle } from "../../simulators/enc1/index.js";
import { Enc1Driver } from "./driver.js";

const options = { timeoutMs: 1000, connectTimeoutMs: 1500, heartbeatIntervalMs: 200 };
const simTiming = { heartbeatMs: 200, statusEveryMs: 2000 };

function fixture(sim: Enc1SimHandle, transport: DriverFixture["transport"], teardown: () => Promise<void>): DriverFixture {
  return {
    transport,
    options,
    createDriver: () => new Enc1Driver(),
    goodAction: {
      name: "status.refresh",
      args: {},
      // The only action asks for status: the device saw $Q,ST, and nothing but queries and acks.
      verify: () => {
        const lines = sim.device.receivedLines();
        expect(lines).toContain("$Q,ST*7A\n");
        for (const l of lines) expect(l).toMatch(/^\$(Q,(ST|ID)|ACK,\d+)\*[0-9A-F]{2}\n$/);
      },
    },
    badArgs: { name: "status.refresh", args: { zeroize: true } },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    silence: (on) => {
      sim.faults.silent = on;
    },
    teardown,
  };
}

driverConformance("enc1 over tcp", async () => {
  const sim = await startEnc1Simulator({ link: "tcp", host: "127.0.0.1", port: 0, ...simTiming });
  return fixture(sim, { type: "tcp", host: "127.0.0.1", port: sim.port! }, () => sim.close());
});

driverConformance("enc1 over serial (pty, 9600)", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-enc1-conf-"));
  const devicePath = path.join(dir, "enc");
  const sim = await startEnc1Simulator({ link: "serial", devicePath, baudRate: 9600, ...simTiming });
  return fixture(sim, { type: "serial", path: devicePath, baudRate: 9600 }, async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });
});
