/**
 * The shared driver conformance suite (drivers/conformance.ts) against the X32 simulator over its
 * only link: OSC on a real UDP socket.
 */
import { expect } from "vitest";
import { driverConformance } from "../conformance.js";
import { startX32Simulator } from "../../simulators/x32/index.js";
import { X32Driver } from "./driver.js";

driverConformance("x32 over udp (OSC)", async () => {
  const sim = await startX32Simulator({ host: "127.0.0.1", port: 0 });
  return {
    transport: { type: "udp", host: "127.0.0.1", port: sim.port },
    options: {
      channels: { mics: { path: "/ch/01" }, program: { path: "/main/st" } },
      timeoutMs: 1000,
      retryMs: 200,
      connectTimeoutMs: 1500,
    },
    createDriver: () => new X32Driver(),
    goodAction: {
      name: "mute.set",
      args: { channel: "mics", on: true },
      verify: () => expect(sim.mixer.get("/ch/01/mix/on")).toEqual({ type: "i", value: 0 }),
    },
    badArgs: { name: "level.set", args: { channel: "program", db: 12 } },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    silence: (on) => {
      sim.faults.silent = on;
    },
    teardown: () => sim.close(),
  };
});
