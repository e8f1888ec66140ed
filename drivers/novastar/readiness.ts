/**
 * What a room profile may expect of a NovaStar LED wall: the input (a name of the model's table),
 * brightness within a range (%), not blanked (blackout), not frozen, no test pattern. The protocol
 * has no power register, so `power` is not a state this driver has.
 */
import { z } from "zod";
import { expectEqual, expectFlag, expectRange, rangeSchema, rangeText, unsupported, type DriverReadiness, type ReadinessItem } from "../readiness.js";
import { modelsOf, parseNovastarOptions } from "./options.js";

export const novastarProfileSchema = z
  .strictObject({
    power: unsupported("a NovaStar controller has no power register; check blanked: false instead"),
    input: z.string().min(1).optional().describe("Input the wall must show, e.g. hdmi, dvi, dp (names of the model's input table)."),
    brightness: rangeSchema("%", { min: 0, max: 100 }).optional().describe("Brightness range in percent."),
    blanked: z.boolean().optional().describe("false: the wall must not be in blackout."),
    frozen: z.boolean().optional().describe("false: the picture must not be frozen."),
    testPattern: z.literal("off").optional().describe("off: no test pattern on the wall."),
  })
  .describe("Readiness expectations of a NovaStar LED wall.");

export type NovastarProfile = z.output<typeof novastarProfileSchema>;

export const readiness: DriverReadiness<NovastarProfile> = {
  profile: novastarProfileSchema,
  crossCheck(p, options) {
    if (p.input === undefined) return [];
    const o = parseNovastarOptions(options);
    // With `model: auto` the table is known only once the controller answered: any model's name will do.
    const models = o.model === "auto" ? Object.values(modelsOf(o)) : [modelsOf(o)[o.model]].filter((m) => m !== undefined);
    const names = new Set(o.inputs ? Object.keys(o.inputs) : models.flatMap((m) => Object.keys(m.input.values)));
    return names.has(p.input) ? [] : [{ path: ["input"], message: `no input "${p.input}" on this model; known: ${[...names].sort().join(", ")}` }];
  },
  evaluate(p, s) {
    const items: ReadinessItem[] = [];
    if (p.input !== undefined) items.push(expectEqual("input", `input ${p.input}`, s.input, p.input, "wrong_input", `select input ${p.input} (input.select)`));
    if (p.brightness !== undefined) {
      items.push(expectRange("brightness", `brightness ${rangeText(p.brightness, " %")}`, s.brightness, p.brightness, " %", "set the brightness (brightness.set)"));
    }
    if (p.blanked !== undefined) items.push(expectFlag("blanked", p.blanked ? "blanked" : "not blanked", s.blackout, p.blanked, ["blanked", "showing"], p.blanked ? "not_blanked" : "blanked", `blank.set {on: ${p.blanked}}`));
    if (p.frozen !== undefined) items.push(expectFlag("frozen", p.frozen ? "frozen" : "not frozen", s.frozen, p.frozen, ["frozen", "live"], p.frozen ? "not_frozen" : "frozen", `freeze.set {on: ${p.frozen}}`));
    if (p.testPattern !== undefined) items.push(expectEqual("test-pattern", "no test pattern", s.testPattern, "off", "test_pattern", "testpattern.set {pattern: off}"));
    return items;
  },
};
