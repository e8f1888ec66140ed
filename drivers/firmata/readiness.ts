/**
 * What a room profile may expect of the GPIO board: relays (load powered or not), lamps, door
 * contacts and other switches, thermometers within a range. Names are those of `options.pins`,
 * each under the key of its role.
 */
import { z } from "zod";
import { expectEqual, expectRange, rangeSchema, rangeText, type DriverReadiness, type ProfileIssue, type ReadinessItem } from "../readiness.js";
import { parseFirmataOptions, type PinRole } from "./options.js";

export const firmataProfileSchema = z
  .strictObject({
    relays: z.record(z.string(), z.enum(["on", "off"])).optional().describe("Relay name -> on (load powered) or off."),
    leds: z.record(z.string(), z.enum(["on", "off"])).optional().describe("Lamp name -> on or off."),
    switches: z.record(z.string(), z.enum(["open", "closed"])).optional().describe("Switch name -> open or closed (e.g. door: closed)."),
    temperatures: z.record(z.string(), rangeSchema("°C", { min: -55, max: 150 })).optional().describe("Thermometer name -> range in °C."),
  })
  .describe("Readiness expectations of a Firmata GPIO board.");

export type FirmataProfile = z.output<typeof firmataProfileSchema>;

const ROLE_OF = { relays: "relay", leds: "led", switches: "switch", temperatures: "thermometer" } as const;

export const readiness: DriverReadiness<FirmataProfile> = {
  profile: firmataProfileSchema,
  crossCheck(p, options) {
    const pins = parseFirmataOptions(options).pins as Record<string, PinRole>;
    const issues: ProfileIssue[] = [];
    for (const [group, role] of Object.entries(ROLE_OF)) {
      const names = Object.keys(p[group as keyof FirmataProfile] ?? {});
      const known = Object.entries(pins).filter(([, r]) => role in r).map(([n]) => n);
      for (const n of names) {
        if (!known.includes(n)) issues.push({ path: [group, n], message: `no ${role} pin "${n}" in options.pins; ${role} pins: ${known.join(", ") || "none"}` });
      }
    }
    return issues;
  },
  evaluate(p, s) {
    const items: ReadinessItem[] = [];
    const get = (group: string) => (s[group] ?? {}) as Record<string, unknown>;
    for (const [n, want] of Object.entries(p.relays ?? {})) {
      const got = get("relays")[n];
      items.push(expectEqual(`relay.${n}`, `relay ${n} ${want}`, typeof got === "boolean" ? (got ? "on" : "off") : got, want, "wrong_relay", `relay.set {name: ${n}, on: ${want === "on"}}`));
    }
    for (const [n, want] of Object.entries(p.leds ?? {})) {
      items.push(expectEqual(`led.${n}`, `lamp ${n} ${want}`, get("leds")[n], want, "wrong_lamp", `led.set {name: ${n}, on: ${want === "on"}}`));
    }
    for (const [n, want] of Object.entries(p.switches ?? {})) {
      items.push(expectEqual(`switch.${n}`, `${n} ${want}`, get("switches")[n], want, want === "closed" ? "open" : "closed", `${want === "closed" ? "close" : "open"} ${n}`));
    }
    for (const [n, range] of Object.entries(p.temperatures ?? {})) {
      const item = expectRange(`temperature.${n}`, `${n} ${rangeText(range, " °C")}`, get("temperatures")[n], range, " °C", "check the rack's ventilation");
      if (item.code === "out_of_range" && range.max !== undefined && (item.actual as number) > range.max) item.code = "over_temperature";
      items.push(item);
    }
    return items;
  },
};
