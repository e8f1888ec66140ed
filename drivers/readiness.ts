/**
 * The readiness contract a driver offers (docs/readiness.md): what a room profile may expect of one
 * of its devices, and how a freshly read state is judged against it. Pure: no I/O, no timers, no
 * agent. The agent reads the device (`poll()`, never a cached state) and hands the state here.
 *
 * A driver adds its checks with one file, `drivers/<name>/readiness.ts`, exporting a `DriverReadiness`
 * as `readiness` from its index.ts. The helpers below keep the wording and the codes the same
 * across drivers (a technician reads "expected on, got standby" whatever the camera speaks).
 */
import { z } from "zod";

export const ITEM_RESULTS = ["pass", "warn", "fail", "skip"] as const;
export type ItemResult = (typeof ITEM_RESULTS)[number];

/** One judged expectation of one device. */
export interface ReadinessItem {
  /** Unique within the device, stable across runs: `power`, `input.left`, `channel.mics.muted`. */
  key: string;
  /** What is checked, for a person: `power on`, `mics unmuted`. */
  name: string;
  result: ItemResult;
  /** Machine-readable reason when not pass: `power_off`, `wrong_input`, `muted`, `out_of_range`, ... */
  code?: string;
  /** What was found, for a person: `expected on, got standby`. */
  message?: string;
  /** What the technician can do about it. */
  fix?: string;
  expected?: unknown;
  actual?: unknown;
}

/** A problem in a profile that the profile's schema alone cannot see (a channel the options do not name). */
export interface ProfileIssue {
  /** Path inside the device's profile, e.g. `["channels", "mics", "muted"]`. */
  path: (string | number)[];
  message: string;
}

/**
 * What a driver contributes. `profile` is strict: a key the driver cannot check is a config error.
 * `crossCheck` sees the device's validated `options` too; `evaluate` judges one fresh state.
 */
export interface DriverReadiness<P = any> {
  profile: z.ZodType<P>;
  crossCheck?(profile: P, options: Record<string, unknown>): ProfileIssue[];
  evaluate(profile: P, state: Record<string, unknown>, options: Record<string, unknown>): ReadinessItem[];
}

// ---------------------------------------------------------------- schema pieces

/** `{min?, max?}` with min <= max; the unit is the caller's. */
export function rangeSchema(unit: string, bounds: { min: number; max: number }) {
  const n = z.number().min(bounds.min).max(bounds.max);
  return z
    .strictObject({ min: n.optional().describe(`Lowest acceptable value (${unit}).`), max: n.optional().describe(`Highest acceptable value (${unit}).`) })
    .refine((r) => r.min !== undefined || r.max !== undefined, "give min, max or both")
    .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, "min must not exceed max")
    .describe(`An acceptable range (${unit}).`);
}
export type Range = { min?: number | undefined; max?: number | undefined };

/**
 * A key this driver cannot check, with the reason, so that the config error says why rather than
 * just "unknown key" (e.g. ENC/1 carries no key expiry date).
 */
export function unsupported(reason: string) {
  return z.never({ error: reason }).optional().describe(`Not supported: ${reason}`);
}

// ---------------------------------------------------------------- judging

const show = (v: unknown): string => (v === null || v === undefined ? "nothing" : typeof v === "string" ? v : JSON.stringify(v));

/** The device answered but did not report this value (null): a fail, since nothing proves it. */
function unknownValue(key: string, name: string, expected: unknown, fix?: string): ReadinessItem {
  const item: ReadinessItem = { key, name, result: "fail", code: "unknown", message: "the device did not report it", expected, actual: null };
  if (fix !== undefined) item.fix = fix;
  return item;
}

/** `actual` must equal `expected`; `code` and `fix` say what a mismatch means and how to repair it. */
export function expectEqual(key: string, name: string, actual: unknown, expected: unknown, code: string, fix: string): ReadinessItem {
  if (actual === null || actual === undefined) return unknownValue(key, name, expected, fix);
  if (actual === expected) return { key, name, result: "pass", expected, actual };
  return { key, name, result: "fail", code, message: `expected ${show(expected)}, got ${show(actual)}`, fix, expected, actual };
}

/** A boolean judged in words (`muted`/`unmuted`), so a technician never reads "expected false, got true". */
export function expectFlag(
  key: string, name: string, actual: unknown, expected: boolean, words: [whenTrue: string, whenFalse: string], code: string, fix: string,
): ReadinessItem {
  const word = (v: unknown) => (v === true ? words[0] : v === false ? words[1] : v);
  return { ...expectEqual(key, name, word(actual), word(expected), code, fix), expected, actual: actual ?? null };
}

/** `actual` must lie in `range` (inclusive). */
export function expectRange(key: string, name: string, actual: unknown, range: Range, unit: string, fix: string): ReadinessItem {
  const expected = { ...(range.min !== undefined ? { min: range.min } : {}), ...(range.max !== undefined ? { max: range.max } : {}) };
  if (typeof actual !== "number") return unknownValue(key, name, expected, fix);
  const low = range.min !== undefined && actual < range.min;
  const high = range.max !== undefined && actual > range.max;
  if (!low && !high) return { key, name, result: "pass", expected, actual };
  const bound = low ? `below the minimum ${range.min}${unit}` : `above the maximum ${range.max}${unit}`;
  return { key, name, result: "fail", code: "out_of_range", message: `${actual}${unit} is ${bound}`, fix, expected, actual };
}

/** Text of a range for item names: `40..100 %`, `>= -20 dB`. */
export function rangeText(r: Range, unit: string): string {
  if (r.min !== undefined && r.max !== undefined) return `${r.min}..${r.max}${unit}`;
  return r.min !== undefined ? `>= ${r.min}${unit}` : `<= ${r.max}${unit}`;
}

/** Position read back within tolerance of each expected axis. */
export function expectPosition(
  key: string,
  name: string,
  actual: Record<string, unknown>,
  expected: Record<string, number | undefined>,
  tolerance: number,
  fix: string,
): ReadinessItem {
  const want = Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined)) as Record<string, number>;
  const got: Record<string, unknown> = {};
  const off: string[] = [];
  for (const [axis, target] of Object.entries(want)) {
    const v = actual[axis];
    got[axis] = v ?? null;
    if (typeof v !== "number") return unknownValue(key, name, want, fix);
    if (Math.abs(v - target) > tolerance) off.push(`${axis} ${v} (want ${target} ± ${tolerance})`);
  }
  if (off.length === 0) return { key, name, result: "pass", expected: want, actual: got };
  return { key, name, result: "fail", code: "off_position", message: `not at the position: ${off.join(", ")}`, fix, expected: want, actual: got };
}

/** The names a profile refers to that `known` lacks, as ProfileIssues under `at`. */
export function unknownNames(names: Iterable<string>, known: readonly string[], at: (string | number)[], what: string): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  for (const n of names) {
    if (!known.includes(n)) issues.push({ path: [...at, n], message: `no ${what} "${n}" in the device's options; known: ${known.join(", ") || "none"}` });
  }
  return issues;
}

// ---------------------------------------------------------------- cameras

/**
 * Power, position and preset items of a PTZ camera (VISCA and ONVIF share the wording; ONVIF has no
 * power). Shared here because a driver never imports another.
 */
export function cameraItems(
  p: { power?: string | undefined; preset?: unknown; position?: { pan: number; tilt: number; zoom?: number | undefined; tolerance: number } | undefined },
  s: Record<string, unknown>,
  powerFix: string,
): ReadinessItem[] {
  const items: ReadinessItem[] = [];
  if (p.power !== undefined) items.push(expectEqual("power", `power ${p.power}`, s.power, p.power, p.power === "on" ? "power_off" : "power_on", powerFix));
  const recall = p.preset === undefined ? "recall the preset" : `recall preset ${String(p.preset)}`;
  if (p.position !== undefined) {
    const { tolerance, ...want } = p.position;
    const where = p.preset === undefined ? "at position" : `at preset ${String(p.preset)}`;
    const item = expectPosition("position", `${where} (±${tolerance})`, s, want, tolerance, `${recall} (roomgate check --fix runs the prepare scene)`);
    // In standby the position is not read: the last one known would be stale.
    if (s.power === "standby") Object.assign(item, { result: "fail", code: "power_off", message: "the camera is in standby: its position cannot be read" });
    items.push(item);
  } else if (p.preset !== undefined) {
    items.push(presetItem(p.preset, s.lastPreset, recall));
  }
  return items;
}

function presetItem(preset: unknown, last: unknown, recall: string): ReadinessItem {
  const name = `at preset ${String(preset)}`;
  const fix = `${recall} (roomgate check --fix runs the prepare scene); give the preset's position in the profile to have it read back`;
  if (last === null || last === undefined) {
    return { key: "preset", name, result: "warn", code: "preset_unknown", message: "no preset recalled since the agent started, and the camera cannot say", fix, expected: preset, actual: null };
  }
  return expectEqual("preset", name, last, preset, "wrong_preset", fix);
}

// ---------------------------------------------------------------- audio (the common vocabulary)

/**
 * `channels: {name: {muted, levelDb, signal}}` for the audio drivers (Tesira, X32: the channel names
 * of `options.channels`). `signal` is given only by drivers that can tell; the others pass a reason.
 */
export function audioProfileSchema(signal: { minDbDefault: number } | { unsupported: string }) {
  const signalSchema =
    "unsupported" in signal
      ? unsupported(signal.unsupported)
      : z
          .union([z.literal(true), z.strictObject({ minDb: z.number().min(-120).max(0).describe("Lowest input level that counts as signal (dBFS).") })])
          .optional()
          .describe(`true (or {minDb}): the input must carry a signal (above ${signal.minDbDefault} dBFS by default).`);
  const channel = z
    .strictObject({
      muted: z.boolean().optional().describe("Expected mute: false for a live microphone."),
      levelDb: rangeSchema("dB", { min: -120, max: 20 }).optional().describe("Fader/level range in dB."),
      signal: signalSchema,
    })
    .describe("Expectations of one named channel.");
  return z
    .strictObject({ channels: z.record(z.string(), channel).describe("Channel name (from options.channels) -> expectations.") })
    .describe("Readiness expectations of an audio device.");
}

export type AudioProfile = {
  channels: Record<string, { muted?: boolean | undefined; levelDb?: Range | undefined; signal?: true | { minDb: number } | undefined }>;
};

/** Mute, level and signal items of each profiled channel. */
export function audioItems(p: AudioProfile, s: Record<string, unknown>, minDbDefault = -60): ReadinessItem[] {
  const channels = (s.channels ?? {}) as Record<string, { muted?: boolean | null; levelDb?: number | null; signalDb?: number | null }>;
  const items: ReadinessItem[] = [];
  for (const [name, want] of Object.entries(p.channels)) {
    const got = channels[name] ?? {};
    if (want.muted !== undefined) {
      const fix = `mute.set {channel: ${name}, on: ${want.muted}}`;
      items.push(expectFlag(`${name}.muted`, `${name} ${want.muted ? "muted" : "unmuted"}`, got.muted, want.muted, ["muted", "unmuted"], want.muted ? "not_muted" : "muted", fix));
    }
    if (want.levelDb !== undefined) {
      items.push(expectRange(`${name}.level`, `${name} level ${rangeText(want.levelDb, " dB")}`, got.levelDb, want.levelDb, " dB", `level.set {channel: ${name}, db: ...}`));
    }
    if (want.signal !== undefined) {
      const minDb = want.signal === true ? minDbDefault : want.signal.minDb;
      const item = expectRange(`${name}.signal`, `${name} signal present (> ${minDb} dBFS)`, got.signalDb, { min: minDb }, " dBFS", "check the microphone, its battery and cable");
      if (item.code === "out_of_range") item.code = "no_signal";
      items.push(item);
    }
  }
  return items;
}
