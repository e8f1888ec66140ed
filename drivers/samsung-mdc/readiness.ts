/**
 * What a room profile may expect of Samsung MDC displays: power, input, not blanked, brightness
 * within a range, a signal on the input (no-sync), and no temperature or fan fault. Judged display by
 * display (a wall of four reports which panel is wrong); `displays` limits the check to some of them.
 */
import { z } from "zod";
import { expectEqual, expectFlag, expectRange, rangeSchema, rangeText, unknownNames, type DriverReadiness, type ReadinessItem } from "../readiness.js";
import { INPUT_NAMES } from "./codec-tables.js";
import { parseMdcOptions } from "./options.js";
import { initialDisplay, type DisplayState } from "./state.js";

export const mdcProfileSchema = z
  .strictObject({
    displays: z.array(z.string().min(1)).min(1).optional().describe("Check only these displays (names from options.displays); default: all."),
    power: z.enum(["on", "off"]).optional().describe("Expected power state."),
    input: z.enum(INPUT_NAMES).optional().describe("Input every display must show."),
    blanked: z.boolean().optional().describe("false: the picture must not be blanked (panel off)."),
    brightness: rangeSchema("%", { min: 0, max: 100 }).optional().describe("Brightness range in percent."),
    signal: z.literal(true).optional().describe("true: the selected input must carry a signal (no no-sync)."),
    faults: z.literal("none").optional().describe("none: no temperature error, temperature below options.maxTemperatureC, no fan fault."),
  })
  .describe("Readiness expectations of Samsung MDC displays.");

export type MdcProfile = z.output<typeof mdcProfileSchema>;

export const readiness: DriverReadiness<MdcProfile> = {
  profile: mdcProfileSchema,
  crossCheck(p, options) {
    return unknownNames(p.displays ?? [], Object.keys(parseMdcOptions(options).displays), ["displays"], "display");
  },
  evaluate(p, s, options) {
    const o = parseMdcOptions(options);
    const all = (s.displays ?? {}) as Record<string, DisplayState>;
    const names = p.displays ?? Object.keys(o.displays);
    const items: ReadinessItem[] = [];
    for (const name of names) {
      // No state yet (the plan before anything is read, or a display that did not answer): every item unknown.
      const d = all[name] ?? initialDisplay(o.displays[name] ?? 0);
      // One display: plain keys; a chain: each display's own (`input.left`).
      const k = (key: string) => (names.length === 1 ? key : `${key}.${name}`);
      const who = names.length === 1 ? "" : `${name}: `;
      const fix = (action: string, args: string) => `${action} {${args}${names.length === 1 ? "" : `, display: ${name}`}}`;
      if (p.power !== undefined) items.push(expectEqual(k("power"), `${who}power ${p.power}`, d.power, p.power, p.power === "on" ? "power_off" : "power_on", fix("power.set", `on: ${p.power === "on"}`)));
      if (p.input !== undefined) items.push(expectEqual(k("input"), `${who}input ${p.input}`, d.input, p.input, "wrong_input", fix("input.select", `input: ${p.input}`)));
      if (p.blanked !== undefined) items.push(expectFlag(k("blanked"), `${who}${p.blanked ? "blanked" : "not blanked"}`, d.blanked, p.blanked, ["blanked", "showing"], p.blanked ? "not_blanked" : "blanked", fix("blank.set", `on: ${p.blanked}`)));
      if (p.brightness !== undefined) items.push(expectRange(k("brightness"), `${who}brightness ${rangeText(p.brightness, " %")}`, d.brightness, p.brightness, " %", fix("brightness.set", "percent: ...")));
      if (p.signal) items.push(expectFlag(k("signal"), `${who}signal on the input`, d.noSync === null ? null : !d.noSync, true, ["signal", "no signal"], "no_signal", "check the source and the cable to the selected input"));
      if (p.faults === "none") items.push(faultItem(k("faults"), `${who}no temperature or fan fault`, d, o.maxTemperatureC));
    }
    return items;
  },
};

function faultItem(key: string, name: string, d: DisplayState, maxC: number): ReadinessItem {
  const actual = { temperature: d.temperature, temperatureError: d.temperatureError, fanFault: d.fanFault };
  const fix = "check the display's ventilation and fan; call maintenance if it persists";
  if (d.temperatureError === null && d.fanFault === null) return { key, name, result: "fail", code: "unknown", message: "the display did not report its error status", actual, fix };
  if (d.temperatureError || (d.temperature !== null && d.temperature >= maxC)) {
    const why = d.temperatureError ? "the display reports a temperature error" : `temperature ${d.temperature} °C (limit ${maxC} °C)`;
    return { key, name, result: "fail", code: "over_temperature", message: why, fix, actual };
  }
  if (d.fanFault) return { key, name, result: "fail", code: "fan_fault", message: "the display reports a fan fault", fix, actual };
  return { key, name, result: "pass", actual };
}
