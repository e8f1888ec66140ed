/**
 * The audio actions (the vocabulary shared with the Tesira driver): names and zod args are the
 * operator-facing contract. Each action names a channel from `options.channels`; the OSC lives in
 * addresses.ts and the driver, never here.
 *
 * Levels are REJECTED outside -90..+10 dB (`invalid_args`), never clamped: by the schema for
 * `level.set`, and by the driver for a `level.step` whose result would leave the range.
 */
import { z } from "zod";
import type { ActionContext, ActionTable } from "../types.js";
import { DeviceError } from "../types.js";
import { SCENE_MAX } from "./addresses.js";
import { FADER_MAX_DB, FADER_MIN_DB } from "./fader.js";

/** What the actions need from the driver. Each method validates the channel name. */
export interface AudioHost {
  setMute(channel: string, muted: boolean, ctx: ActionContext): Promise<ChannelResult>;
  toggleMute(channel: string, ctx: ActionContext): Promise<ChannelResult>;
  setLevel(channel: string, db: number, ctx: ActionContext): Promise<ChannelResult>;
  stepLevel(channel: string, db: number, ctx: ActionContext): Promise<ChannelResult>;
  recallScene(scene: number, ctx: ActionContext): Promise<{ ok: true; preset: number }>;
}

export interface ChannelResult {
  ok: true;
  channel: string;
  muted?: boolean;
  levelDb?: number;
}

const channel = z.string().regex(/^[a-z0-9-]+$/).describe("A channel name from the device's options.channels");

export const actionArgs = {
  muteSet: z.strictObject({ channel, on: z.boolean().describe("true: mute; false: unmute") }),
  muteToggle: z.strictObject({ channel }),
  levelSet: z.strictObject({
    channel,
    db: z.number().min(FADER_MIN_DB).max(FADER_MAX_DB).describe(`Fader level in dB, ${FADER_MIN_DB}..+${FADER_MAX_DB} (-90 = -inf)`),
  }),
  levelStep: z.strictObject({
    channel,
    db: z
      .number()
      .min(-(FADER_MAX_DB - FADER_MIN_DB))
      .max(FADER_MAX_DB - FADER_MIN_DB)
      .refine((v) => v !== 0, "a step of 0 dB does nothing")
      .describe("Relative change in dB (negative = down); the result must stay within -90..+10 dB"),
  }),
  presetRecall: z.strictObject({
    preset: z.number().int().min(0).max(SCENE_MAX).describe(`Scene number on the desk, 0..${SCENE_MAX}`),
  }),
};

function action<S extends z.ZodType>(description: string, args: S, run: (a: z.output<S>, ctx: ActionContext) => Promise<unknown>) {
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

export function buildActions(host: AudioHost): ActionTable {
  return {
    "mute.set": action("Mute (on: true) or unmute a named channel", actionArgs.muteSet, (a, ctx) =>
      host.setMute(a.channel, a.on, ctx)),
    "mute.toggle": action("Flip the mute of a named channel (reads the desk first)", actionArgs.muteToggle, (a, ctx) =>
      host.toggleMute(a.channel, ctx)),
    "level.set": action("Set the fader of a named channel, in dB", actionArgs.levelSet, (a, ctx) =>
      host.setLevel(a.channel, a.db, ctx)),
    "level.step": action("Move the fader of a named channel up or down by some dB", actionArgs.levelStep, (a, ctx) =>
      host.stepLevel(a.channel, a.db, ctx)),
    "preset.recall": action("Load a scene on the desk (/-action/goscene)", actionArgs.presetRecall, (a, ctx) =>
      host.recallScene(a.preset, ctx)),
  };
}
