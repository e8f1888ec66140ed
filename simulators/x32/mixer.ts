/**
 * The simulated X32 mixer's parameters (no I/O): every strip's `on` (1 = unmuted) and fader
 * (0..1), input signal levels for the meters, and scenes.
 *
 * Strips: /ch/01..32, /auxin/01..08, /fxrtn/01..08, /bus/01..16, /mtx/01..06, /main/st, /main/m
 * (`<strip>/mix/on`, `<strip>/mix/fader`) and /dca/1..8 (`/dca/N/on`, `/dca/N/fader`). Faders are
 * stored quantised to the desk's 1024 steps (assumption, from the unofficial protocol document's
 * "1024 steps"), so a value read back may differ slightly from the one set.
 */
import { dbToLinear } from "../../drivers/x32/fader.js";

export type ParamValue = { type: "i"; value: number } | { type: "f"; value: number };

const two = (n: number) => String(n).padStart(2, "0");

function stripPaths(): string[] {
  const out: string[] = [];
  const range = (prefix: string, n: number, pad = true) => {
    for (let i = 1; i <= n; i++) out.push(`${prefix}${pad ? two(i) : i}`);
  };
  range("/ch/", 32);
  range("/auxin/", 8);
  range("/fxrtn/", 8);
  range("/bus/", 16);
  range("/mtx/", 6);
  out.push("/main/st", "/main/m");
  range("/dca/", 8, false);
  return out;
}

/** Default fader: 0.75 = 0 dB. */
export const DEFAULT_FADER = 0.75;
export const FADER_STEPS = 1023;
export const quantiseFader = (f: number): number => Math.round(Math.min(1, Math.max(0, f)) * FADER_STEPS) / FADER_STEPS;

export class X32Mixer {
  private readonly params = new Map<string, ParamValue>();
  /** Input signal per channel 1..32 in dBFS (pre-fader, as /meters/1 reports it). */
  private readonly signals: number[];
  private readonly scenes = new Map<number, Map<string, ParamValue>>();
  currentScene = 0;

  constructor(options: { signalDb?: number; scenes?: Record<string, Record<string, number>> } = {}) {
    for (const p of stripPaths()) {
      const dca = p.startsWith("/dca/");
      this.params.set(dca ? `${p}/on` : `${p}/mix/on`, { type: "i", value: 1 });
      this.params.set(dca ? `${p}/fader` : `${p}/mix/fader`, { type: "f", value: quantiseFader(DEFAULT_FADER) });
    }
    this.signals = Array.from({ length: 32 }, () => options.signalDb ?? -30);
    for (const [n, values] of Object.entries(options.scenes ?? {})) this.defineScene(Number(n), values);
  }

  has(address: string): boolean {
    return this.params.has(address);
  }

  get(address: string): ParamValue | undefined {
    const v = this.params.get(address);
    return v && { ...v };
  }

  /**
   * Sets a parameter from a received value. Returns the stored value when it changed, null when
   * it is unchanged, or undefined when the address is unknown or the type is wrong (the desk
   * ignores those).
   */
  set(address: string, value: number, type: "i" | "f"): ParamValue | null | undefined {
    const cur = this.params.get(address);
    if (!cur) return undefined;
    let next: ParamValue;
    if (cur.type === "i") {
      if (!Number.isFinite(value)) return undefined;
      next = { type: "i", value: value >= 0.5 ? 1 : 0 }; // on/off: ints, or floats from generic OSC tools
    } else {
      if (type !== "f" || !Number.isFinite(value)) return undefined;
      next = { type: "f", value: quantiseFader(value) };
    }
    if (next.value === cur.value) return null;
    this.params.set(address, next);
    return { ...next };
  }

  defineScene(n: number, values: Record<string, number>): void {
    if (!Number.isInteger(n) || n < 0 || n > 99) throw new RangeError(`scene number must be 0..99, got ${n}`);
    const scene = new Map<string, ParamValue>();
    for (const [address, v] of Object.entries(values)) {
      const cur = this.params.get(address);
      if (!cur) throw new RangeError(`scene ${n}: unknown parameter ${address}`);
      scene.set(address, cur.type === "i" ? { type: "i", value: v ? 1 : 0 } : { type: "f", value: quantiseFader(v) });
    }
    this.scenes.set(n, scene);
  }

  /** Loads a scene; returns the parameters that changed (to push to /xremote clients), or null for an empty slot. */
  loadScene(n: number): [string, ParamValue][] | null {
    const scene = this.scenes.get(n);
    if (!scene) return null;
    this.currentScene = n;
    const changed: [string, ParamValue][] = [];
    for (const [address, v] of scene) {
      const r = this.set(address, v.value, v.type);
      if (r) changed.push([address, r]);
    }
    return changed;
  }

  setSignal(channel: number, db: number): void {
    if (!Number.isInteger(channel) || channel < 1 || channel > 32) throw new RangeError(`channel must be 1..32, got ${channel}`);
    if (!Number.isFinite(db) || db > 0) throw new RangeError(`signal must be a dBFS value <= 0, got ${db}`);
    this.signals[channel - 1] = db;
  }

  /** The /meters/1 bank: 32 input levels (linear), then 32 gate and 32 dynamics gain reductions (0 here). */
  meters1(): number[] {
    return [...this.signals.map(dbToLinear), ...new Array<number>(64).fill(0)];
  }
}
