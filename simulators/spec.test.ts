/**
 * A simulator spec that can never work is refused at start with a `bad_config` error that names
 * the simulator and the field, whichever simulator it is.
 */
import { describe, expect, it } from "vitest";
import { startCiscoSimulator, CiscoSimulatorSpecError } from "./cisco/index.js";
import { startPolySimulator, PolySimulatorSpecError } from "./poly/index.js";
import { startStampSimulator, StampSimulatorSpecError } from "./stamp/index.js";
import { startX32Simulator, SimulatorSpecError as X32SpecError } from "./x32/index.js";
import { startSnmpSwitchSimulator } from "./snmp-switch/index.js";
import { SimulatorSpecError } from "./spec.js";

describe("simulator spec errors", () => {
  it("each simulator's own class, bad_config, its name, the field in the message", async () => {
    const cases: [Promise<unknown>, new (m: string) => Error, string, RegExp][] = [
      [startCiscoSimulator({ link: "ssh", port: -1 } as never), CiscoSimulatorSpecError, "CiscoSimulatorSpecError", /^Cisco simulator spec: .*port/],
      [startPolySimulator({ link: "tcp", port: 70000 } as never), PolySimulatorSpecError, "PolySimulatorSpecError", /^Poly simulator spec: .*port/],
      [startStampSimulator({ port: 0, lossPct: 200 }), StampSimulatorSpecError, "StampSimulatorSpecError", /^STAMP simulator spec: .*lossPct/],
      [startX32Simulator({ port: "x" } as never), X32SpecError, "SimulatorSpecError", /^X32 simulator spec: .*port/],
    ];
    for (const [started, cls, name, message] of cases) {
      const err = await started.then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(cls);
      expect(err).toBeInstanceOf(SimulatorSpecError);
      expect(err).toMatchObject({ code: "bad_config", name, message: expect.stringMatching(message) });
    }
  });

  it("the switch simulator keeps its plain Error", async () => {
    const err = await startSnmpSwitchSimulator({ variant: "nope" } as never).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(SimulatorSpecError);
    expect((err as Error).message).toMatch(/^SNMP switch simulator spec: .*variant/);
  });
});
