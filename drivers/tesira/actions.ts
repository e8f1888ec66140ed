/**
 * The audio actions (common vocabulary with the X32 driver, L-audio-common): names and zod args
 * are the operator-facing contract. Each action maps to TTP commands built as TtpCommand values;
 * the text lives in codec.ts.
 */
import { z } from "zod";
import type { ActionContext, ActionTable } from "../types.js";
import { DeviceError } from "../types.js";
import type { TtpCommand, TtpValue } from "./codec.js";
import { CHANNEL_NAME, LEVEL_MAX_DB, LEVEL_MIN_DB, type ChannelSpec, type ControlAddress } from "./options.js";
import type { ChannelState } from "./state.js";

/** What the actions need from the driver. */
export interface ActionHost {
  /** The channel by name; throws `invalid_args` listing the configured names. */
  channel(name: string): ChannelSpec;
  /** Runs one command; resolves with the `+OK` value. */
  command(cmd: TtpCommand, ctx: ActionContext): Promise<TtpValue | undefined>;
  current(name: string): ChannelState;
  patch(name: string, patch: Partial<ChannelState>): void;
  /** Re-reads every channel in the background (after a preset recall). */
  refresh(): void;
}

const channel = z.string().regex(CHANNEL_NAME, "a channel name: [a-z0-9-]").describe("Channel name from the device's `channels` options");
const SPAN = LEVEL_MAX_DB - LEVEL_MIN_DB;

export const actionArgs = {
  muteSet: z.strictObject({ channel, on: z.boolean().describe("true: muted; false: live") }),
  channelOnly: z.strictObject({ channel }),
  levelSet: z.strictObject({
    channel,
    db: z.number().min(LEVEL_MIN_DB).max(LEVEL_MAX_DB).describe(`Level in dB, ${LEVEL_MIN_DB}..${LEVEL_MAX_DB}; outside it the action is rejected`),
  }),
  levelStep: z.strictObject({
    channel,
    db: z
      .number()
      .min(-SPAN)
      .max(SPAN)
      .refine((v) => v !== 0, "a step of 0 dB does nothing")
      .describe(`Relative change in dB (negative: down); the result must stay within ${LEVEL_MIN_DB}..${LEVEL_MAX_DB}`),
  }),
  preset: z.strictObject({
    preset: z.number().int().min(1).max(2_147_483_647).describe("Preset id as shown in the Tesira design, e.g. 1001"),
  }),
};

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

function need(c: ChannelSpec, what: "mute" | "level"): ControlAddress {
  const a = c[what];
  if (!a) throw new DeviceError("invalid_args", `channel "${c.name}" has no ${what} control (see its options)`, { channel: c.name });
  return a;
}

const cmd = (a: ControlAddress, verb: string, ...tail: (number | boolean | string)[]): TtpCommand => ({
  tag: a.tag,
  verb,
  attribute: a.attribute,
  args: [...a.indexes, ...tail],
});

/** Reads a mute (`true`/`false`, or 1/0 as some blocks print it). */
export function asMuted(v: TtpValue | undefined): boolean | null {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === 1) return true;
  if (v === "false" || v === 0) return false;
  return null;
}

export function asLevel(v: TtpValue | undefined): number | null {
  const n = typeof v === "string" ? Number(v) : v;
  return typeof n === "number" && Number.isFinite(n) ? Math.round(n * 1000) / 1000 : null;
}

export function buildActions(host: ActionHost): ActionTable {
  const readMute = async (c: ChannelSpec, ctx: ActionContext) => {
    const muted = asMuted(await host.command(cmd(need(c, "mute"), "get"), ctx));
    host.patch(c.name, { muted });
    return muted;
  };
  const readLevel = async (c: ChannelSpec, ctx: ActionContext) => {
    const levelDb = asLevel(await host.command(cmd(need(c, "level"), "get"), ctx));
    host.patch(c.name, { levelDb });
    return levelDb;
  };
  return {
    "mute.set": action("Mute (on: true) or unmute a channel", actionArgs.muteSet, async (a, ctx) => {
      const c = host.channel(a.channel);
      await host.command(cmd(need(c, "mute"), "set", a.on), ctx);
      host.patch(c.name, { muted: a.on });
      return { channel: c.name, muted: a.on };
    }),
    "mute.toggle": action("Toggle a channel's mute; answers the new state", actionArgs.channelOnly, async (a, ctx) => {
      const c = host.channel(a.channel);
      await host.command(cmd(need(c, "mute"), "toggle"), ctx);
      return { channel: c.name, muted: await readMute(c, ctx) };
    }),
    "level.set": action(`Set a channel's level in dB (${LEVEL_MIN_DB}..${LEVEL_MAX_DB})`, actionArgs.levelSet, async (a, ctx) => {
      const c = host.channel(a.channel);
      await host.command(cmd(need(c, "level"), "set", a.db), ctx);
      host.patch(c.name, { levelDb: a.db });
      return { channel: c.name, levelDb: a.db };
    }),
    "level.step": action("Raise (positive db) or lower a channel's level; answers the new level", actionArgs.levelStep, async (a, ctx) => {
      const c = host.channel(a.channel);
      const addr = need(c, "level");
      const now = host.current(c.name).levelDb;
      if (now !== null && (now + a.db < LEVEL_MIN_DB || now + a.db > LEVEL_MAX_DB)) {
        throw new DeviceError(
          "invalid_args",
          `level ${now} dB ${a.db > 0 ? "+" : "-"} ${Math.abs(a.db)} dB leaves ${LEVEL_MIN_DB}..${LEVEL_MAX_DB} dB`,
          { channel: c.name, levelDb: now, step: a.db },
        );
      }
      await host.command(cmd(addr, a.db > 0 ? "increment" : "decrement", Math.abs(a.db)), ctx);
      return { channel: c.name, levelDb: await readLevel(c, ctx) };
    }),
    "preset.recall": action("Recall a DSP preset (DEVICE recallPreset id)", actionArgs.preset, async (a, ctx) => {
      await host.command({ tag: "DEVICE", verb: "recallPreset", args: [a.preset] }, ctx);
      host.refresh();
      return { preset: a.preset };
    }),
  };
}

/** The get commands of a channel (poll), in order: mute, then level. */
export function readCommands(c: ChannelSpec): { what: "mute" | "level"; cmd: TtpCommand }[] {
  const out: { what: "mute" | "level"; cmd: TtpCommand }[] = [];
  if (c.mute) out.push({ what: "mute", cmd: cmd(c.mute, "get") });
  if (c.level) out.push({ what: "level", cmd: cmd(c.level, "get") });
  return out;
}

/** The subscribe command of one control: `<tag> subscribe <attr> <index...> <token> [<ms>]`. */
export function subscribeCommand(a: ControlAddress, token: string, ms?: number): TtpCommand {
  return ms === undefined ? cmd(a, "subscribe", token) : cmd(a, "subscribe", token, ms);
}
