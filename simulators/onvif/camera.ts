/**
 * The simulated PTZ head: position, motion in time, presets and home. Pure model, no I/O.
 *
 * Positions are in ONVIF's generic spaces: pan and tilt -1..1, zoom 0..1. Each axis moves on its
 * own at `speed` normalized units per second (times the request's speed factor), so a recall
 * from pan -1 to 1 at the default 0.5 u/s takes 4 s. Motion is computed from the clock when read,
 * so no timers run and a fake clock drives it exactly.
 */
import type { Clock } from "../../drivers/types.js";
import { Faults, PTZ_FAULTS, FaultError } from "./soap.js";

export interface PtzPosition { pan: number; tilt: number; zoom: number }
export interface PresetDef extends PtzPosition { token: string; name: string }
export type MoveState = "IDLE" | "MOVING";

export interface CameraOptions {
  clock: Clock;
  /** Normalized units per second at speed factor 1 (default 0.5). */
  speed?: number;
  presets?: PresetDef[];
  maxPresets?: number;
  home?: PtzPosition;
  /** A PTZ fault name (see PTZ_FAULTS) to answer motion and preset commands with, or null. */
  forcedFault?: () => string | null;
}

type Motion =
  | { kind: "idle"; at: number }
  | { kind: "target"; from: number; to: number; perMs: number; t0: number }
  | { kind: "velocity"; from: number; perMs: number; t0: number; until: number };

/** One axis: where it is as a function of time, clamped to its range. */
class Axis {
  private m: Motion;

  constructor(readonly min: number, readonly max: number, start: number) {
    this.m = { kind: "idle", at: clamp(start, min, max) };
  }

  value(now: number): number {
    const m = this.m;
    if (m.kind === "idle") return m.at;
    if (m.kind === "target") {
      const dist = Math.abs(m.to - m.from);
      const done = m.perMs * Math.max(0, now - m.t0);
      return done >= dist ? m.to : m.from + Math.sign(m.to - m.from) * done;
    }
    const t = Math.min(now, m.until) - m.t0;
    return clamp(m.from + m.perMs * Math.max(0, t), this.min, this.max);
  }

  moving(now: number): boolean {
    const m = this.m;
    if (m.kind === "idle") return false;
    if (m.kind === "target") return this.value(now) !== m.to;
    if (now >= m.until) return false;
    const v = this.value(now);
    // Pushing against a mechanical end stop is not moving.
    return !((m.perMs > 0 && v >= this.max) || (m.perMs < 0 && v <= this.min));
  }

  moveTo(target: number, perSecond: number, now: number): void {
    this.m = { kind: "target", from: this.value(now), to: clamp(target, this.min, this.max), perMs: perSecond / 1000, t0: now };
  }

  moveAt(perSecond: number, until: number, now: number): void {
    if (perSecond === 0) return this.stop(now);
    this.m = { kind: "velocity", from: this.value(now), perMs: perSecond / 1000, t0: now, until };
  }

  stop(now: number): void {
    this.m = { kind: "idle", at: this.value(now) };
  }
}

export const DEFAULT_PRESETS: readonly PresetDef[] = [
  { token: "1", name: "Wide", pan: 0, tilt: 0, zoom: 0 },
  { token: "2", name: "Lectern", pan: 0.5, tilt: -0.2, zoom: 0.4 },
  { token: "3", name: "Audience", pan: -0.6, tilt: 0.1, zoom: 0.2 },
];

export class OnvifCamera {
  private readonly clock: Clock;
  private readonly speed: number;
  private readonly maxPresets: number;
  private readonly pan = new Axis(-1, 1, 0);
  private readonly tilt = new Axis(-1, 1, 0);
  private readonly zoom = new Axis(0, 1, 0);
  private readonly presetMap = new Map<string, PresetDef>();
  private home: PtzPosition;
  private readonly forcedFault: () => string | null;

  constructor(opts: CameraOptions) {
    this.clock = opts.clock;
    this.speed = opts.speed ?? 0.5;
    this.maxPresets = opts.maxPresets ?? 64;
    this.home = opts.home ?? { pan: 0, tilt: 0, zoom: 0 };
    this.forcedFault = opts.forcedFault ?? (() => null);
    for (const p of opts.presets ?? DEFAULT_PRESETS) this.presetMap.set(p.token, { ...p });
  }

  position(): PtzPosition {
    const now = this.clock.now();
    return { pan: round(this.pan.value(now)), tilt: round(this.tilt.value(now)), zoom: round(this.zoom.value(now)) };
  }

  moveStatus(): { panTilt: MoveState; zoom: MoveState } {
    const now = this.clock.now();
    return {
      panTilt: this.pan.moving(now) || this.tilt.moving(now) ? "MOVING" : "IDLE",
      zoom: this.zoom.moving(now) ? "MOVING" : "IDLE",
    };
  }

  moving(): boolean {
    const s = this.moveStatus();
    return s.panTilt === "MOVING" || s.zoom === "MOVING";
  }

  presets(): PresetDef[] {
    return [...this.presetMap.values()].map((p) => ({ ...p }));
  }

  gotoPreset(token: string, factor?: SpeedFactor): void {
    this.checkForced();
    const p = this.presetMap.get(token);
    if (!p) throw Faults.noToken(token);
    this.absoluteMove(p, factor);
  }

  /** Saves the current position; new preset when `token` is absent. Returns the token. */
  setPreset(name: string | undefined, token: string | undefined): string {
    this.checkForced();
    if (this.moving()) throw new FaultError(PTZ_FAULTS.MovingPTZ!);
    const pos = this.position();
    if (token !== undefined) {
      const old = this.presetMap.get(token);
      if (!old) throw Faults.noToken(token);
      this.presetMap.set(token, { ...old, ...pos, name: name ?? old.name });
      return token;
    }
    if (this.presetMap.size >= this.maxPresets) throw new FaultError(PTZ_FAULTS.TooManyPresets!);
    let n = 1;
    while (this.presetMap.has(String(n))) n++;
    const t = String(n);
    this.presetMap.set(t, { token: t, name: name ?? `Preset ${t}`, ...pos });
    return t;
  }

  removePreset(token: string): void {
    this.checkForced();
    if (!this.presetMap.delete(token)) throw Faults.noToken(token);
  }

  /** Moves the given axes to absolute positions; out of range is ter:InvalidPosition. */
  absoluteMove(target: Partial<PtzPosition>, factor?: SpeedFactor): void {
    this.checkForced();
    const inRange = (v: number | undefined, lo: number, hi: number) => v === undefined || (v >= lo && v <= hi);
    if (!inRange(target.pan, -1, 1) || !inRange(target.tilt, -1, 1) || !inRange(target.zoom, 0, 1)) {
      throw new FaultError(PTZ_FAULTS.InvalidPosition!);
    }
    const now = this.clock.now();
    const pt = this.speed * (factor?.panTilt ?? 1);
    const z = this.speed * (factor?.zoom ?? 1);
    if (target.pan !== undefined) this.pan.moveTo(target.pan, pt, now);
    if (target.tilt !== undefined) this.tilt.moveTo(target.tilt, pt, now);
    if (target.zoom !== undefined) this.zoom.moveTo(target.zoom, z, now);
  }

  /** Moves by a translation; a target outside the range stops at the border (PTZ spec). */
  relativeMove(delta: Partial<PtzPosition>, factor?: SpeedFactor): void {
    this.checkForced();
    const now = this.clock.now();
    const pt = this.speed * (factor?.panTilt ?? 1);
    const z = this.speed * (factor?.zoom ?? 1);
    if (delta.pan !== undefined) this.pan.moveTo(this.pan.value(now) + delta.pan, pt, now);
    if (delta.tilt !== undefined) this.tilt.moveTo(this.tilt.value(now) + delta.tilt, pt, now);
    if (delta.zoom !== undefined) this.zoom.moveTo(this.zoom.value(now) + delta.zoom, z, now);
  }

  /** Velocities -1..1 (times `speed`); absent axes keep what they were doing. */
  continuousMove(velocity: Partial<PtzPosition>, timeoutMs: number): void {
    this.checkForced();
    const now = this.clock.now();
    const until = now + timeoutMs;
    if (velocity.pan !== undefined) this.pan.moveAt(velocity.pan * this.speed, until, now);
    if (velocity.tilt !== undefined) this.tilt.moveAt(velocity.tilt * this.speed, until, now);
    if (velocity.zoom !== undefined) this.zoom.moveAt(velocity.zoom * this.speed, until, now);
  }

  stop(panTilt = true, zoom = true): void {
    this.checkForced();
    const now = this.clock.now();
    if (panTilt) {
      this.pan.stop(now);
      this.tilt.stop(now);
    }
    if (zoom) this.zoom.stop(now);
  }

  gotoHome(factor?: SpeedFactor): void {
    this.absoluteMove(this.home, factor);
  }

  setHome(): void {
    this.checkForced();
    this.home = this.position();
  }

  private checkForced(): void {
    const name = this.forcedFault();
    if (name !== null) throw new FaultError(PTZ_FAULTS[name] ?? PTZ_FAULTS.ActionFailed!);
  }
}

/** The optional Speed of a move request, as factors 0..1 of the camera's speed. */
export interface SpeedFactor { panTilt?: number; zoom?: number }

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Positions are reported with 6 decimals, as cameras print floats. */
function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
