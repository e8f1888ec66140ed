/**
 * Options of the NovaStar driver (the `options` block of a device in the site file).
 * Validated at the door by `parseNovastarOptions`; exported as JSON Schema through `novastarOptionsSchema`.
 */
import { z } from "zod";
import { DeviceError } from "../types.js";
import { BUILTIN_MODELS, CONTROLLER_DISPLAY, customModel, RECEIVER_DISPLAY, TEST_PATTERNS, type ModelSpec } from "./registers.js";

const name = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lowercase letters, digits and dashes");
const byte = z.number().int().min(0).max(255);
const valueMap = z.record(name, byte);

const customModelSchema = z
  .strictObject({
    label: z.string().min(1).optional().describe("Human-readable name, e.g. `NovaStar VX6S`."),
    modelIds: z
      .array(z.string().regex(/^[0-9a-fA-F]{4}$/, "4 hex digits, e.g. 0661"))
      .default([])
      .describe("Model ids read from register 0x00000002 (hex of the two bytes in wire order) that mean this model."),
    inputRegister: z.number().int().min(0).max(0xffffffff).describe("Register of the input selector on the controller."),
    inputDestination: byte.default(0).describe("Destination byte used for the input register (00 sender, FF broadcast)."),
    inputs: valueMap.describe("Input name -> register value, e.g. {hdmi: 0xA0, dvi: 0x10}."),
    display: z
      .enum(["receiver", "controller"])
      .default("receiver")
      .describe("`receiver`: blackout/freeze bytes on the receiving cards; `controller`: display-mode register 0x02200050."),
  })
  .describe("A controller model that is not built in, or a replacement for a built-in one.");

export const novastarOptionsSchema = z
  .strictObject({
    model: name
      .default("auto")
      .describe(
        "Controller model: `auto` (recognise it by its model id), a built-in one (`mctrl4k`, `vx4s`), or a name from `models`.",
      ),
    models: z.record(name, customModelSchema).default({}).describe("Extra (or replacement) controller models by name."),
    inputs: valueMap
      .optional()
      .describe("Replaces the input map of the selected model: input name -> register value."),
    display: z
      .enum(["model", "receiver", "controller"])
      .default("model")
      .describe("How blackout/freeze are driven: as the model says, or force `receiver` / `controller` (see registers.ts)."),
    testPatterns: valueMap
      .optional()
      .describe("Test pattern name -> register value, merged over the built-in table (e.g. {off: 1} for MCTRL300-style firmware)."),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(60_000)
      .default(1000)
      .describe("How long to wait for the reply to one request before it counts as timed out."),
    connectTimeoutMs: z
      .number()
      .int()
      .positive()
      .max(600_000)
      .default(5000)
      .describe(
        "How long start() waits for the transport to open before it resolves with health `unreachable` " +
          "(the transport keeps reconnecting in the background).",
      ),
  })
  .superRefine((o, ctx) => {
    if (o.model === "auto" || o.model in BUILTIN_MODELS || o.model in o.models) return;
    ctx.addIssue({
      code: "custom",
      path: ["model"],
      message: `unknown model "${o.model}"; one of auto, ${[...new Set([...Object.keys(BUILTIN_MODELS), ...Object.keys(o.models)])].join(", ")}`,
    });
  })
  .describe("NovaStar LED controller driver options");

export type NovastarOptions = z.output<typeof novastarOptionsSchema>;

/**
 * Validates raw options. Throws DeviceError `invalid_args` whose message names each bad path and the rule,
 * e.g. `options.timeoutMs: Too big: expected number to be <=60000`.
 */
export function parseNovastarOptions(raw: unknown): NovastarOptions {
  const result = novastarOptionsSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: ["options", ...i.path].join("."), message: i.message }));
  throw new DeviceError(
    "invalid_args",
    `invalid NovaStar options: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    { issues },
  );
}

/** Every model the options know: built-ins, then custom ones (which may replace a built-in). */
export function modelsOf(o: NovastarOptions): Record<string, ModelSpec> {
  const out: Record<string, ModelSpec> = { ...BUILTIN_MODELS };
  for (const [n, c] of Object.entries(o.models)) out[n] = customModel(n, c);
  return out;
}

/** A model with the option overrides applied (input map, display control). */
export function applyOverrides(model: ModelSpec, o: NovastarOptions): ModelSpec {
  const display = o.display === "receiver" ? RECEIVER_DISPLAY : o.display === "controller" ? CONTROLLER_DISPLAY : model.display;
  return { ...model, input: { ...model.input, values: o.inputs ?? model.input.values }, display };
}

/** The test pattern table with the option overrides merged in. */
export function testPatternsOf(o: NovastarOptions): Record<string, number> {
  return { ...TEST_PATTERNS, ...(o.testPatterns ?? {}) };
}
