/**
 * The shared driver conformance suite (drivers/conformance.ts) against the simulated reflector over
 * real UDP. A short window (1.5 s) and timeout (300 ms), so unplug and silence show within the suite's
 * waits.
 */
import { expect } from "vitest";
import { driverConformance } from "../conformance.js";
import { startStampSimulator } from "../../simulators/stamp/index.js";
import { StampDriver } from "./driver.js";

driverConformance("stamp over udp (STAMP / TWAMP-light)", async () => {
  const sim = await startStampSimulator({ host: "127.0.0.1", port: 0 });
  return {
    transport: { type: "udp", host: "127.0.0.1", port: sim.port },
    options: { intervalMs: 50, windowMs: 1500, timeoutMs: 300, minProbes: 5, clearHoldMs: 200, reportMs: 0, connectTimeoutMs: 1500 },
    createDriver: () => new StampDriver(),
    goodAction: {
      name: "probe.run",
      args: { count: 5, spacingMs: 10 },
      verify: () => expect(sim.stats.reflected).toBeGreaterThanOrEqual(5),
    },
    badArgs: { name: "probe.run", args: { count: 100, spacingMs: 100 } },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    silence: (on) => {
      sim.faults.silent = on;
    },
    teardown: () => sim.close(),
  };
});
