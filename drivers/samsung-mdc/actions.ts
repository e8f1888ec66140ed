/**
 * The display actions: the common vocabulary (`power.set`, `input.select`, `brightness.set`,
 * `blank.set`) shared with the LED-wall driver, plus MDC extras. Each maps its args to an
 * MdcSet; the bytes live in codec.ts, the per-display loop in the driver.
 */
import { z } from "zod";
import type { ActionContext, ActionTable } from "../types.js";
import { DeviceError } from "../types.js";
import { INPUT_NAMES } from "./codec-tables.js";
import type { MdcSet } from "./codec.js";

/** Per display: "ok" once its ACK came back. */
export type GroupResult = { ok: true; displays: Record<string, "ok"> };

/**
 * The result of a set run on several displays: ok when all ACKed. One display: its own error.
 * Several: a DeviceError whose details list `failed` (name -> code, message) and `succeeded`;
 * its code is the common code when every display failed the same way, else `device_error`.
 */
export function groupOutcome(outcomes: ReadonlyMap<string, DeviceError | null>): GroupResult {
  const done: Record<string, "ok"> = {};
  const failed: Record<string, { code: string; message: string }> = {};
  let first: DeviceError | undefined;
  for (const [name, err] of outcomes) {
    if (!err) done[name] = "ok";
    else {
      first ??= err;
      failed[name] = { code: err.code, message: err.message };
    }
  }
  if (!first) return { ok: true, displays: done };
  if (outcomes.size === 1) throw first;
  const names = Object.keys(failed);
  const same = names.length === outcomes.size && new Set(names.map((n) => failed[n]!.code)).size === 1;
  const list = names.map((n) => `${n} (${failed[n]!.code})`).join(", ");
  throw new DeviceError(same ? first.code : "device_error", `${names.length} of ${outcomes.size} displays failed: ${list}`, {
    failed, succeeded: Object.keys(done),
  });
}

/** What actions need from the driver: run one set on one display (by name) or all of them. */
export interface MdcActionHost {
  runOnDisplays(display: string | undefined, set: MdcSet, ctx: ActionContext): Promise<GroupResult>;
}

const display = z
  .string()
  .min(1)
  .optional()
  .describe("Display name from options.displays; absent: every display of this device (the whole wall), one at a time");
const percent = (what: string) => z.number().int().min(0).max(100).describe(`${what}, 0..100 %`);

export const actionArgs = {
  onOff: (what: string) => z.strictObject({ on: z.boolean().describe(what), display }),
  none: z.strictObject({ display }),
  input: z.strictObject({
    input: z.enum(INPUT_NAMES).describe(`Input to show: ${INPUT_NAMES.join(", ")}`),
    display,
  }),
  brightness: z.strictObject({ percent: percent("Brightness"), display }),
  volume: z.strictObject({ percent: percent("Volume"), display }),
};

/** Defines one action; args are parsed again in `run` so raw args get the same checks. */
function action<S extends z.ZodType>(
  description: string,
  args: S,
  run: (a: z.output<S>, ctx: ActionContext) => Promise<unknown>,
) {
  return {
    description,
    args,
    run: async (raw: unknown, ctx: ActionContext) => {
      const parsed = args.safeParse(raw);
      if (!parsed.success) {
        throw new DeviceError("invalid_args", z.prettifyError(parsed.error), { issues: parsed.error.issues });
      }
      return run(parsed.data, ctx);
    },
  };
}

export function buildActions(host: MdcActionHost): ActionTable {
  const on = (what: string) => actionArgs.onOff(what);
  return {
    "power.set": action("Power the display(s) on, or off to standby", on("true: on; false: standby"), (a, ctx) =>
      host.runOnDisplays(a.display, { type: "power", value: a.on ? "on" : "off" }, ctx),
    ),
    "power.reboot": action("Restart the display(s)", actionArgs.none, (a, ctx) =>
      host.runOnDisplays(a.display, { type: "power", value: "reboot" }, ctx),
    ),
    "input.select": action("Switch the input source", actionArgs.input, (a, ctx) =>
      host.runOnDisplays(a.display, { type: "input", input: a.input }, ctx),
    ),
    "brightness.set": action("Set the picture brightness", actionArgs.brightness, (a, ctx) =>
      host.runOnDisplays(a.display, { type: "brightness", percent: a.percent }, ctx),
    ),
    "blank.set": action(
      "Blank the picture (panel off) or show it again; the display stays powered",
      on("true: blank (panel off); false: show the picture"),
      (a, ctx) => host.runOnDisplays(a.display, { type: "panel", blanked: a.on }, ctx),
    ),
    "volume.set": action("Set the speaker volume", actionArgs.volume, (a, ctx) =>
      host.runOnDisplays(a.display, { type: "volume", percent: a.percent }, ctx),
    ),
    "mute.set": action("Mute or unmute the speakers", on("true: mute; false: unmute"), (a, ctx) =>
      host.runOnDisplays(a.display, { type: "mute", on: a.on }, ctx),
    ),
  };
}
