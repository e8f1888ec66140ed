/**
 * One motion axis of the simulated camera (pan, tilt or zoom): a position that moves linearly in
 * time towards a target or a limit. Pure: positions are computed from the time handed in, so the
 * model needs no timer to move, only to announce a Completion.
 */
export class Axis {
  private origin: number;
  private t0 = 0;
  /** units per ms; 0 = at rest */
  private velocity = 0;
  private stopAt: number;
  /** The command that owns the current motion (so a cancel stops only its own motion). */
  owner: number | undefined;

  constructor(
    position: number,
    readonly min: number,
    readonly max: number,
  ) {
    this.origin = this.clamp(position);
    this.stopAt = this.origin;
  }

  /** Position at `now`, rounded to whole units as the camera reports it. */
  at(now: number): number {
    return Math.round(this.exact(now));
  }

  moving(now: number): boolean {
    return this.velocity !== 0 && this.exact(now) !== this.stopAt;
  }

  /** Moves to `target` (clamped to the limits), arriving after `durationMs`. */
  moveTo(now: number, target: number, durationMs: number, owner?: number): void {
    this.settle(now);
    const to = this.clamp(target);
    this.owner = owner;
    this.stopAt = to;
    this.velocity = durationMs > 0 && to !== this.origin ? (to - this.origin) / durationMs : 0;
    if (this.velocity === 0) this.origin = to;
  }

  /** Moves at `unitsPerMs` (sign = direction) until a limit or `stop`. */
  drive(now: number, unitsPerMs: number, owner?: number): void {
    this.settle(now);
    this.owner = owner;
    this.velocity = unitsPerMs;
    this.stopAt = unitsPerMs > 0 ? this.max : unitsPerMs < 0 ? this.min : this.origin;
  }

  stop(now: number): void {
    this.settle(now);
    this.velocity = 0;
    this.stopAt = this.origin;
    this.owner = undefined;
  }

  /** Sets the position at once (state flips, tests). */
  set(now: number, position: number): void {
    this.stop(now);
    this.origin = this.clamp(position);
    this.stopAt = this.origin;
  }

  clamp(v: number): number {
    return Math.min(this.max, Math.max(this.min, v));
  }

  private exact(now: number): number {
    if (this.velocity === 0) return this.origin;
    const p = this.origin + this.velocity * (now - this.t0);
    return this.velocity > 0 ? Math.min(p, this.stopAt) : Math.max(p, this.stopAt);
  }

  private settle(now: number): void {
    this.origin = this.exact(now);
    this.t0 = now;
  }
}
