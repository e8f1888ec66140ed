/**
 * The GPIO actions: names and args are the operator-facing contract. Each maps to an output
 * operation of the driver; bytes live in firmata-io and codec.ts, never here.
 */
import { z } from "zod";
import type { ActionContext, ActionTable } from "../types.js";
import { DeviceError } from "../types.js";

/** What an action needs from the driver. */
export interface OutputHost {
  setRelay(name: string, on: boolean, ctx: ActionContext): Promise<void>;
  pulseRelay(name: string, ms: number, ctx: ActionContext): Promise<void>;
  setLed(name: string, on: boolean, ctx: ActionContext): Promise<void>;
  blinkLed(name: string, ms: number, ctx: ActionContext): Promise<void>;
}

const name = z.string().regex(/^[a-z0-9-]+$/).describe("Pin name from the device's options.pins");

export const actionArgs = {
  relaySet: z.strictObject({ name, on: z.boolean().describe("true: load powered (circuit closed); false: load off") }),
  relayPulse: z.strictObject({
    name,
    ms: z.number().int().min(50).max(120_000).describe("How long the load stays off before power returns (ms)"),
  }),
  ledSet: z.strictObject({ name, on: z.boolean().describe("true: lit; false: dark (also stops blinking)") }),
  ledBlink: z.strictObject({
    name,
    ms: z.number().int().min(50).max(60_000).describe("Half period: lit for ms, dark for ms"),
  }),
};

const OK = { ok: true } as const;

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

export function buildActions(host: OutputHost): ActionTable {
  return {
    "relay.set": action("Switch a relay: on powers its load, off cuts it; resolves once the board reports the pin", actionArgs.relaySet, async (a, ctx) => {
      await host.setRelay(a.name, a.on, ctx);
      return OK;
    }),
    "relay.pulse": action("Power-cycle through a relay: off for ms, then on again; resolves after power is back", actionArgs.relayPulse, async (a, ctx) => {
      await host.pulseRelay(a.name, a.ms, ctx);
      return OK;
    }),
    "led.set": action("Light or darken a lamp (stops blinking)", actionArgs.ledSet, async (a, ctx) => {
      await host.setLed(a.name, a.on, ctx);
      return OK;
    }),
    "led.blink": action("Blink a lamp (ms lit, ms dark) until led.set", actionArgs.ledBlink, async (a, ctx) => {
      await host.blinkLed(a.name, a.ms, ctx);
      return OK;
    }),
  };
}
