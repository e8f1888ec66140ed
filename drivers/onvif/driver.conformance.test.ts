/**
 * The shared driver conformance suite (drivers/conformance.ts) against the ONVIF camera simulator
 * over its real HTTP endpoint on loopback (ONVIF has one link kind: HTTP).
 */
import { expect } from "vitest";
import { driverConformance } from "../conformance.js";
import { startOnvifSimulator } from "../../simulators/onvif/index.js";
import { OnvifDriver } from "./driver.js";

driverConformance("onvif over http", async () => {
  const sim = await startOnvifSimulator({ speed: 5, discovery: { enabled: false } });
  return {
    transport: { type: "http", host: "127.0.0.1", port: sim.port, path: "/onvif/device_service" },
    options: { username: "admin", password: "admin", timeoutMs: 1000, arrivalTimeoutMs: 3000, statusIntervalMs: 50 },
    createDriver: () => new OnvifDriver(),
    goodAction: {
      name: "preset.recall",
      args: { preset: 2 },
      verify: () => {
        const p = sim.camera.position();
        expect([p.pan, p.tilt, p.zoom].map((v) => Number(v.toFixed(3)))).toEqual([0.5, -0.2, 0.4]);
      },
    },
    badArgs: { name: "preset.recall", args: { preset: -1 } },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    silence: (on) => {
      sim.faults.silent = on;
    },
    teardown: () => sim.close(),
  };
});
