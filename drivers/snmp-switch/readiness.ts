/**
 * What a room profile may expect of the access switch, per named port: the link up, PoE delivering
 * power, and no error growth (the uplink). Judged on a fresh poll (rates need two reads: the agent
 * polls the switch all along, so a check finds the previous one; a first read gives `no_rate`, a warn).
 */
import { z } from "zod";
import { expectEqual, expectRange, unknownNames, type DriverReadiness, type ReadinessItem } from "../readiness.js";
import { parseSnmpSwitchOptions } from "./options.js";
import type { PortState } from "./state.js";

const portProfile = z
  .strictObject({
    up: z.literal(true).optional().describe("The port's link is up (ifOperStatus up)."),
    poe: z.literal("delivering").optional().describe("The port delivers PoE (pethPsePortDetectionStatus deliveringPower, or the vendor's word for it)."),
    errors: z
      .union([z.literal("none"), z.strictObject({ maxPerSec: z.number().min(0).describe("Highest acceptable errors per second (in + out).") })])
      .optional()
      .describe("No error growth: none (0 errors/s), or at most maxPerSec."),
  })
  .describe("Expectations of one named port.");

export const switchProfileSchema = z
  .strictObject({ ports: z.record(z.string(), portProfile).describe("Port name (from options.ports) -> expectations.") })
  .describe("Readiness expectations of an access switch.");

export type SwitchProfile = z.output<typeof switchProfileSchema>;

export const readiness: DriverReadiness<SwitchProfile> = {
  profile: switchProfileSchema,
  crossCheck(p, options) {
    const known = Object.keys(parseSnmpSwitchOptions(options).ports);
    return unknownNames(Object.keys(p.ports), known, ["ports"], "port");
  },
  evaluate(p, s) {
    const ports = (s.ports ?? {}) as Record<string, Partial<PortState>>;
    const items: ReadinessItem[] = [];
    for (const [name, want] of Object.entries(p.ports)) {
      const got = ports[name] ?? {};
      const poeOff = got.poe?.enabled === false;
      if (want.up) {
        const fix = poeOff ? `poe.set {port: ${name}, on: true}` : `check the cable and the device on port ${name}`;
        items.push(expectEqual(`port.${name}.up`, `port ${name} up`, got.oper, "up", "port_down", fix));
      }
      if (want.poe) {
        const det = got.poe === undefined ? undefined : (got.poe?.detection ?? null);
        const item = expectEqual(`port.${name}.poe`, `port ${name} delivering PoE`, det, "deliveringPower", "poe_not_delivering", `poe.set {port: ${name}, on: true}`);
        if (poeOff) Object.assign(item, { code: "poe_off", message: "PoE is switched off on the port" });
        else if (det === "fault" || det === "otherFault") Object.assign(item, { code: "poe_fault", fix: `check the powered device and its cable on port ${name} (port.powercycle {port: ${name}})` });
        else if (item.result === "fail") item.fix = `check the powered device on port ${name} (port.powercycle {port: ${name}})`;
        items.push(item);
      }
      if (want.errors !== undefined) {
        const max = want.errors === "none" ? 0 : want.errors.maxPerSec;
        const key = `port.${name}.errors`;
        const label = `port ${name} errors <= ${max}/s`;
        const inE = got.inErrorsPerSec;
        const outE = got.outErrorsPerSec;
        if (got.oper !== undefined && (inE === null || outE === null || inE === undefined || outE === undefined)) {
          items.push({ key, name: label, result: "warn", code: "no_rate", message: "no error rate yet: it needs two reads of the counters", expected: { max }, actual: null });
          continue;
        }
        const rate = inE === undefined || outE === undefined ? undefined : Math.round((inE! + outE!) * 1000) / 1000;
        const item = expectRange(key, label, rate, { max }, "/s", `check the cable, the transceiver and duplex on port ${name}`);
        if (item.code === "out_of_range") item.code = "error_growth";
        items.push(item);
      }
    }
    return items;
  },
};
