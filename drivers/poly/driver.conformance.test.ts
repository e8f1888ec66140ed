/**
 * The shared driver conformance suite (drivers/conformance.ts) against the Poly simulator, over the
 * codec's three links: telnet on TCP 127.0.0.1 (with a password), RS-232 on a pty at 115200 (with a
 * password), and SSH (the transport logs in).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { driverConformance, type DriverFixture } from "../conformance.js";
import { startPolySimulator, type PolySimHandle } from "../../simulators/poly/index.js";
import { PolyDriver } from "./driver.js";

// A 1.5 s request deadline: with 500 ms the first poll of the 115200-baud pty link missed it once when
// four test workers and two busy loops shared the two cores, and the driver started unreachable.
const options = { timeoutMs: 1500, connectTimeoutMs: 2000, commandGapMs: 5, promptWaitMs: 200, password: "secret" };

function fixture(sim: PolySimHandle, transport: DriverFixture["transport"], teardown: () => Promise<void>, opts: Record<string, unknown> = options): DriverFixture {
  return {
    transport,
    options: opts,
    createDriver: () => new PolyDriver() as never,
    goodAction: { name: "mic.mute", args: { on: true }, verify: () => expect(sim.codec.mic).toBe(true) },
    badArgs: { name: "volume.set", args: { percent: 101 } },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    silence: (on) => {
      sim.faults.silent = on;
    },
    teardown,
  };
}

driverConformance("poly over telnet (tcp)", async () => {
  const sim = await startPolySimulator({ link: "tcp", port: 0, password: "secret" });
  return fixture(sim, { type: "tcp", host: "127.0.0.1", port: sim.port! }, () => sim.close());
});

driverConformance("poly over serial (pty, 115200)", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-poly-conf-"));
  const sim = await startPolySimulator({ link: "serial", devicePath: path.join(dir, "codec"), baudRate: 115200, password: "secret" });
  return fixture(sim, { type: "serial", path: sim.devicePath!, baudRate: 115200 }, async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });
});

driverConformance("poly over ssh", async () => {
  const sim = await startPolySimulator({ link: "ssh", port: 0, password: "secret" });
  const transport = { type: "ssh" as const, host: "127.0.0.1", port: sim.port!, username: "admin", password: "secret", hostFingerprint: sim.hostFingerprint!, keepaliveMs: 1000 };
  const { password: _none, ...sshOptions } = options;
  return fixture(sim, transport, () => sim.close(), { ...sshOptions, connectTimeoutMs: 4000 }); // key exchange in pure JS takes its time
});
