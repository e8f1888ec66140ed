/**
 * The LED wall actions. Names and args follow the common display vocabulary (`brightness.set`,
 * `input.select`, `blank.set`); `freeze.set` and `testpattern.set` are NovaStar extras. There is
 * no `power.set`: the NovaStar frame of PROTOCOLS.md has no power register, and we do not invent one.
 * Registers and values come from registers.ts through the host; no bytes here.
 */
import { z } from "zod";
import type { ActionContext, ActionTable } from "../types.js";
import { DeviceError } from "../types.js";
import { COMMON, percentToRaw, TEST_PATTERNS, type DisplayControl, type ModelSpec, type RegisterRef } from "./registers.js";

/** What an action needs from the driver. */
export interface ActionHost {
  /** The controller model in use (reads the model id first if needed); null when it is not known. */
  model(ctx: ActionContext): Promise<ModelSpec | null>;
  /** How this controller blacks out and freezes (the model's, or the options' override). */
  display(ctx: ActionContext): Promise<DisplayControl>;
  write(ref: RegisterRef, data: Buffer, ctx: ActionContext): Promise<void>;
  testPatterns(): Readonly<Record<string, number>>;
  update(patch: Partial<LedwallStatePatch>): void;
}

export interface LedwallStatePatch {
  brightness: number;
  input: string;
  blackout: boolean;
  frozen: boolean;
  testPattern: string;
}

const onOff = (what: string) => z.strictObject({ on: z.boolean().describe(what) });

export const actionArgs = {
  brightness: z.strictObject({
    percent: z.number().min(0).max(100).describe("Brightness 0..100 %; sent as round(percent * 255 / 100) (50 % = 0x80)"),
  }),
  input: z.strictObject({
    input: z
      .string()
      .min(1)
      .describe("Input name from the controller model's table, e.g. dvi, hdmi, dp (VX4S also vga1, vga2, cvbs1, cvbs2, sdi)"),
  }),
  blank: onOff("true: blackout; false: normal display (also clears freeze and test pattern)"),
  freeze: onOff("true: freeze the picture; false: live picture"),
  testPattern: z.strictObject({
    pattern: z.string().min(1).describe(`Test pattern: ${Object.keys(TEST_PATTERNS).join(", ")} (off = normal picture)`),
  }),
};

const OK = { ok: true } as const;

/** Defines one action; args are parsed again in `run` so defaults apply to raw args too. */
function action<S extends z.ZodType>(description: string, args: S, run: (a: z.output<S>, ctx: ActionContext) => Promise<unknown>) {
  return {
    description,
    args,
    run: async (raw: unknown, ctx: ActionContext) => {
      const parsed = args.safeParse(raw);
      if (!parsed.success) throw new DeviceError("invalid_args", z.prettifyError(parsed.error), { issues: parsed.error.issues });
      return run(parsed.data, ctx);
    },
  };
}

function lookup(table: Readonly<Record<string, number>>, key: string, what: string, model?: string): number {
  const v = table[key.toLowerCase()];
  if (v !== undefined && Object.hasOwn(table, key.toLowerCase())) return v; // own keys only: not "valueOf"
  const where = model ? ` on ${model}` : "";
  throw new DeviceError("invalid_args", `unknown ${what} "${key}"${where}; valid: ${Object.keys(table).join(", ")}`, {
    valid: Object.keys(table),
  });
}

export function buildActions(host: ActionHost): ActionTable {
  return {
    "brightness.set": action("Set the wall's brightness in percent", actionArgs.brightness, async (a, ctx) => {
      // Brightness lives on the receiving cards: the same register behind every controller model.
      await host.write(COMMON.brightness, Buffer.from([percentToRaw(a.percent)]), ctx);
      host.update({ brightness: Math.round(a.percent) });
      return OK;
    }),
    "input.select": action("Switch the controller's video input", actionArgs.input, async (a, ctx) => {
      const model = await host.model(ctx);
      if (!model) {
        throw new DeviceError("device_error", "the controller model is unknown: set options.model (mctrl4k, vx4s, or a custom model) to select inputs", {
          code: "unknown_model",
        });
      }
      const value = lookup(model.input.values, a.input, "input", model.label);
      await host.write(model.input.ref, Buffer.from([value]), ctx);
      host.update({ input: a.input.toLowerCase() });
      return OK;
    }),
    "blank.set": action("Black out the wall (on) or return to the normal picture (off)", actionArgs.blank, async (a, ctx) => {
      const d = await host.display(ctx);
      if (d.kind === "receiver") {
        if (a.on) await host.write(d.blackout, Buffer.from([d.on]), ctx);
        else await host.write(d.normal.ref, d.normal.data, ctx);
      } else {
        await host.write(d.mode, Buffer.from([a.on ? d.blackout : d.normal]), ctx);
      }
      // "normal" clears freeze and test pattern too (receiver bytes 0x100..0x102; the controller mode register).
      host.update(a.on ? { blackout: true, ...(d.kind === "controller" ? { frozen: false } : {}) } : { blackout: false, frozen: false, ...(d.kind === "receiver" ? { testPattern: "off" } : {}) });
      return OK;
    }),
    "freeze.set": action("Freeze the picture (on) or go live again (off)", actionArgs.freeze, async (a, ctx) => {
      const d = await host.display(ctx);
      if (d.kind === "receiver") await host.write(d.freeze, Buffer.from([a.on ? d.on : d.off]), ctx);
      else await host.write(d.mode, Buffer.from([a.on ? d.freeze : d.normal]), ctx);
      host.update(d.kind === "controller" ? { frozen: a.on, blackout: false } : { frozen: a.on });
      return OK;
    }),
    "testpattern.set": action("Show a built-in test pattern on the receiving cards, or `off`", actionArgs.testPattern, async (a, ctx) => {
      const value = lookup(host.testPatterns(), a.pattern, "test pattern");
      await host.write(COMMON.testPattern, Buffer.from([value]), ctx);
      host.update({ testPattern: a.pattern.toLowerCase() });
      return OK;
    }),
  };
}
