/**
 * The rate limit on a driver's `state` event, for devices that push changes faster than anyone needs
 * them (a DSP's level meters, a codec's feedback): shared by the drivers that meet it.
 */
import type { Clock, TimerHandle } from "./types.js";

/**
 * Emits at most once per `intervalMs`: the first change goes out at once, later ones within the
 * window are folded into one trailing emit of the latest state.
 */
export class RateLimitedEmitter {
  private lastAt = -Infinity;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly emit: () => void,
  ) {}

  changed(): void {
    if (this.timer !== undefined) return; // a trailing emit is already due; it will carry this change
    const wait = this.lastAt + this.intervalMs - this.clock.now();
    if (wait <= 0) {
      this.fire();
      return;
    }
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, wait);
  }

  /** Drops a due emit (stop). */
  cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.lastAt = this.clock.now();
    this.emit();
  }
}
