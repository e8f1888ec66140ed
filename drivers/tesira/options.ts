/**
 * Options of the Tesira driver (the `options` block of a device in the site file).
 *
 * `channels` name the controls an operator uses. Each channel carries a mute address, a level
 * address, or both; an address is an instance tag (case-sensitive, as in the Tesira design),
 * a TTP attribute and an index:
 *
 *   channels:
 *     mics:    { mute: { tag: MicMute, index: 1 }, level: { tag: "Mic Level", index: 1 } }
 *     program: { level: { tag: ProgramLevel } }
 *     lectern: { tag: Mixer1, attribute: inputMute, index: 3, levelTag: Mixer1, levelAttribute: inputLevel }
 *
 * The last form (issue 5's shorthand) is a mute address (`tag`/`attribute`/`index`) plus an
 * optional level address (`levelTag`/`levelAttribute`/`levelIndex`, the index defaulting to `index`).
 */
import { z } from "zod";
import { DeviceError } from "../types.js";

/** Level range accepted by `level.set` (dB). Outside it the action is rejected, never clamped. */
export const LEVEL_MIN_DB = -100;
export const LEVEL_MAX_DB = 12;

const tag = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^"\r\n]+$/, "an instance tag cannot hold a double quote or a line break")
  .describe("Instance tag of the block, exactly as in the Tesira design (case-sensitive; spaces allowed)");
const attribute = (dflt: string) =>
  z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9]*$/, "a TTP attribute name, e.g. mute, level, inputMute")
    .default(dflt)
    .describe(`TTP attribute (default ${dflt}), e.g. mute/inputMute/outputMute or level/inputLevel/outputLevel`);
const indexValue = z.union([z.number().int().min(1).max(65535), z.array(z.number().int().min(1).max(65535)).min(1).max(2)]);
const index = indexValue
  .default(1)
  .describe("Channel index in the block (1-based); two numbers for blocks addressed by two indexes (e.g. crosspoints)");

const address = (attr: string) =>
  z.strictObject({ tag, attribute: attribute(attr), index }).describe(`A ${attr} control: instance tag, attribute, index`);

const nestedChannel = z
  .strictObject({
    mute: address("mute").optional().describe("The channel's mute control"),
    level: address("level").optional().describe("The channel's level (fader) control, in dB"),
  })
  .refine((c) => c.mute !== undefined || c.level !== undefined, "a channel needs a mute, a level, or both")
  .describe("A named channel: a mute address and/or a level address");

const flatChannel = z
  .strictObject({
    tag: tag.describe("Instance tag of the mute block"),
    attribute: attribute("mute"),
    index,
    levelTag: tag.optional().describe("Instance tag of the level block (absent: the channel has no level)"),
    levelAttribute: attribute("level"),
    levelIndex: indexValue.optional().describe("Index in the level block (default: `index`)"),
  })
  .describe("Shorthand: a mute address plus an optional level address");

export const CHANNEL_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export const tesiraOptionsSchema = z
  .strictObject({
    channels: z
      .record(z.string().regex(CHANNEL_NAME, "channel names are ids: [a-z0-9-]"), z.union([nestedChannel, flatChannel]))
      .default({})
      .describe("Named channels (ids [a-z0-9-]) that actions and state use"),
    timeoutMs: z.number().int().positive().max(60_000).default(2000).describe("Deadline of each command (ms)"),
    connectTimeoutMs: z
      .number().int().positive().max(600_000).default(5000)
      .describe("How long start() waits for the link and the session before it resolves with health `unreachable` (ms)"),
    bannerTimeoutMs: z
      .number().int().positive().max(600_000).default(5000)
      .describe("Telnet: how long to wait for the Welcome banner before probing with a command anyway; also the probe retry interval (ms)"),
    link: z
      .enum(["auto", "telnet", "raw"])
      .default("auto")
      .describe("auto: telnet negotiation + banner over tcp, plain lines over serial; raw: never negotiate, ready on the first answer to a probe"),
    keepaliveMs: z.number().int().positive().max(3_600_000).default(30_000).describe("Send a cheap command after this long without traffic (ms)"),
    keepaliveCommand: z
      .string().min(1).max(200).regex(/^[^\r\n]+$/).default("DEVICE get version")
      .describe("The probe / keepalive command; any answer (+OK or -ERR) proves the DSP is there. Its +OK value is the firmware version"),
    subscribe: z.boolean().default(true).describe("Subscribe to each channel's mute and level for pushed changes"),
    levelSubscribeMs: z.number().int().min(0).max(60_000).default(500).describe("Minimum interval of level pushes asked of the DSP (ms)"),
    pushIntervalMs: z.number().int().min(0).max(60_000).default(1000).describe("At most one state event per this many ms from pushes (latest value wins)"),
    maxLineLength: z.number().int().min(64).max(1_048_576).default(8192).describe("Longer lines from the DSP are dropped and counted"),
  })
  .describe("Biamp Tesira (TTP) driver options");

export type TesiraOptions = z.output<typeof tesiraOptionsSchema>;

/** One control on the DSP. `indexes` has one or two numbers. */
export interface ControlAddress {
  tag: string;
  attribute: string;
  indexes: number[];
}

export interface ChannelSpec {
  name: string;
  mute?: ControlAddress;
  level?: ControlAddress;
}

export interface ParsedTesiraOptions extends Omit<TesiraOptions, "channels"> {
  channels: Map<string, ChannelSpec>;
}

type RawChannel = z.output<typeof nestedChannel> | z.output<typeof flatChannel>;
const asIndexes = (i: number | number[]) => (Array.isArray(i) ? [...i] : [i]);

function normalise(name: string, c: RawChannel): ChannelSpec {
  const out: ChannelSpec = { name };
  if ("tag" in c) {
    out.mute = { tag: c.tag, attribute: c.attribute, indexes: asIndexes(c.index) };
    if (c.levelTag !== undefined) {
      out.level = { tag: c.levelTag, attribute: c.levelAttribute, indexes: asIndexes(c.levelIndex ?? c.index) };
    }
    return out;
  }
  if (c.mute) out.mute = { tag: c.mute.tag, attribute: c.mute.attribute, indexes: asIndexes(c.mute.index) };
  if (c.level) out.level = { tag: c.level.tag, attribute: c.level.attribute, indexes: asIndexes(c.level.index) };
  return out;
}

/**
 * Validates raw options. Throws DeviceError `invalid_args` whose message names each bad path,
 * e.g. `options.channels.Mics: channel names are ids: [a-z0-9-]`.
 */
export function parseTesiraOptions(raw: unknown): ParsedTesiraOptions {
  const result = tesiraOptionsSchema.safeParse(raw ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: ["options", ...i.path].join("."), message: i.message }));
    throw new DeviceError("invalid_args", `invalid Tesira options: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, { issues });
  }
  const { channels, ...rest } = result.data;
  const map = new Map<string, ChannelSpec>();
  for (const [name, c] of Object.entries(channels)) map.set(name, normalise(name, c));
  return { ...rest, channels: map };
}
