/**
 * The shared driver conformance suite (drivers/conformance.ts) against the simulated switch, over
 * SNMPv2c and over SNMPv3 authPriv (SHA, AES). Secrets are in files, as the site file has them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { driverConformance } from "../conformance.js";
import { startSnmpSwitchSimulator } from "../../simulators/snmp-switch/index.js";
import { SnmpSwitchDriver } from "./driver.js";

const ports = { codec: { ifIndex: 7, neighbour: "codec-1" }, "cam-main": { ifIndex: 5, neighbour: "cam-main" }, uplink: { ifIndex: 24, poe: false, neighbour: "core-sw" } };

for (const version of ["2c", "3"] as const) {
  driverConformance(`snmp switch over SNMPv${version}`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "roomgate-switch-conf-"));
    const file = (name: string, text: string) => {
      const f = path.join(dir, name);
      writeFileSync(f, `${text}\n`, { mode: 0o600 });
      return f;
    };
    const sim = await startSnmpSwitchSimulator({ communities: ["conf-community"], users: [{ name: "rg", authKey: "auth-phrase-1", privKey: "priv-phrase-1" }], ports, detectMs: 20, bootMs: 20 });
    const secrets = version === "2c" ? { communityFile: file("community", "conf-community") } : { user: "rg", authKeyFile: file("auth", "auth-phrase-1"), privKeyFile: file("priv", "priv-phrase-1") };
    return {
      transport: { type: "udp", host: "127.0.0.1", port: sim.port },
      options: { version, ...secrets, ports: { codec: 7, "cam-main": 5, uplink: { ifIndex: 24, protected: true } }, timeoutMs: 1000 },
      createDriver: () => new SnmpSwitchDriver(),
      goodAction: {
        name: "poe.set",
        args: { port: "cam-main", on: false },
        verify: () => expect(sim.model.byIndex(5)!.poe!.enable).toBe(false),
      },
      badArgs: { name: "port.powercycle", args: { port: "cam-main", offMs: 5 } },
      unplug: () => sim.unplug(),
      replug: () => sim.replug(),
      silence: (on) => {
        sim.faults.silent = on;
      },
      teardown: async () => {
        await sim.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}
