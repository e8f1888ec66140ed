/**
 * The DSP blocks of the simulated Tesira design: Level blocks (level + mute per channel, with a
 * min/max) and Mute blocks (mute per channel), and the presets that change them. Values change
 * through `set`, and every change is reported to `onChange` so sessions can push it.
 */
export type BlockType = "level" | "mute";

export interface BlockSpec {
  tag: string;
  type: BlockType;
  /** Number of channels (default 1). */
  channels?: number;
  /** Level blocks: the range the block clamps to (default -100..12 dB). */
  minDb?: number;
  maxDb?: number;
  /** Values at boot: one for every channel, or one per channel. */
  levelDb?: number | number[];
  muted?: boolean | boolean[];
}

export interface PresetSpec {
  id: number;
  /** What the preset sets: `{tag, attribute: level|mute, index, value}`. */
  set: { tag: string; attribute: "level" | "mute"; index: number; value: number | boolean }[];
}

export class Block {
  readonly tag: string;
  readonly type: BlockType;
  readonly channels: number;
  readonly minDb: number;
  readonly maxDb: number;
  levels: number[];
  mutes: boolean[];

  constructor(spec: BlockSpec) {
    this.tag = spec.tag;
    this.type = spec.type;
    this.channels = spec.channels ?? 1;
    this.minDb = spec.minDb ?? -100;
    this.maxDb = spec.maxDb ?? 12;
    this.levels = expand(spec.levelDb ?? 0, this.channels);
    this.mutes = expand(spec.muted ?? false, this.channels);
  }

  /** The attributes this block answers, with how to read them. */
  attributes(): string[] {
    return this.type === "level" ? ["level", "mute", "minLevel", "maxLevel", "numChannels"] : ["mute", "numChannels"];
  }

  clamp(db: number): number {
    return Math.min(this.maxDb, Math.max(this.minDb, db));
  }
}

function expand<T>(v: T | T[], n: number): T[] {
  if (Array.isArray(v)) return Array.from({ length: n }, (_, i) => v[i] ?? v[v.length - 1]!);
  return Array.from({ length: n }, () => v);
}

/** The default design when a spec names no blocks: a mic mute and level pair, a program level with a space in its tag. */
export const DEFAULT_BLOCKS: BlockSpec[] = [
  { tag: "MicMute", type: "mute", channels: 4 },
  { tag: "MicLevel", type: "level", channels: 4, levelDb: -10 },
  { tag: "Program Level", type: "level", channels: 2, levelDb: -20 },
];

export const DEFAULT_PRESETS: PresetSpec[] = [
  {
    id: 1001,
    set: [
      { tag: "MicMute", attribute: "mute", index: 1, value: false },
      { tag: "MicLevel", attribute: "level", index: 1, value: -10 },
      { tag: "Program Level", attribute: "level", index: 1, value: -20 },
    ],
  },
  {
    id: 1002,
    set: [
      { tag: "MicMute", attribute: "mute", index: 1, value: true },
      { tag: "Program Level", attribute: "level", index: 1, value: -40 },
    ],
  },
];

/** TTP prints levels with six decimals (`-10.000000`). */
export function formatLevel(db: number): string {
  return db.toFixed(6);
}
