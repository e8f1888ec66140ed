/**
 * The shared driver conformance suite (drivers/conformance.ts) against the simulated Firmata board
 * over its one link, a pty at 57600 baud. Options are kept small so the handshake after a
 * replug and the fault paths stay quick.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { driverConformance } from "../conformance.js";
import { startFirmataSimulator } from "../../simulators/firmata/index.js";
import { FirmataDriver } from "./driver.js";

const options = {
  pins: { "rack-power": { relay: 7 }, "rack-temp": { thermometer: "A0", model: "LM35" }, door: { switch: 2 } },
  samplingMs: 50,
  handshakeTimeoutMs: 2000,
  versionQueryMs: 50,
  timeoutMs: 1000,
};

driverConformance("firmata over serial (pty, 57600)", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-firmata-conf-"));
  const devicePath = path.join(dir, "gpio");
  const sim = await startFirmataSimulator({ devicePath, temperatures: { A0: 24 } });
  return {
    transport: { type: "serial", path: devicePath, baudRate: 57600 },
    options,
    createDriver: () => new FirmataDriver(),
    goodAction: {
      name: "relay.set",
      args: { name: "rack-power", on: false },
      verify: () => expect(sim.board.outputs()[7]).toBe(0),
    },
    badArgs: { name: "relay.pulse", args: { name: "rack-power", ms: 10 } },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    silence: (on) => {
      sim.faults.silent = on;
    },
    teardown: async () => {
      await sim.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
