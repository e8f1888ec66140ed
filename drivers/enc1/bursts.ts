/**
 * Bad input arrives in bursts (a noisy cable, a device spewing junk). These keep the driver's
 * reaction bounded without timers: each takes the time from the caller's clock.
 */

/**
 * "Log once per burst": `hit()` says whether this bad line opens a new burst (nothing bad for
 * `quietMs` before it); a new burst reports how many lines the previous one suppressed.
 */
export class BurstGate {
  private lastHitAt = -Infinity;
  private suppressed = 0;

  constructor(private readonly quietMs: number) {}

  hit(now: number): { report: boolean; suppressedBefore: number } {
    const report = now - this.lastHitAt > this.quietMs;
    this.lastHitAt = now;
    if (!report) {
      this.suppressed++;
      return { report, suppressedBefore: 0 };
    }
    const suppressedBefore = this.suppressed;
    this.suppressed = 0;
    return { report, suppressedBefore };
  }
}

/**
 * Health from checksums: `count` bad lines within `windowMs` make the link degraded; `recoverLines`
 * good lines in a row make it healthy again.
 */
export class ChecksumMonitor {
  degraded = false;
  private recent: number[] = [];
  private goodRun = 0;

  constructor(private readonly count: number, private readonly windowMs: number, private readonly recoverLines: number) {}

  /** Returns true when this bad line turns the link degraded. */
  bad(now: number): boolean {
    this.goodRun = 0;
    this.recent.push(now);
    while (this.recent.length > 0 && now - this.recent[0]! > this.windowMs) this.recent.shift();
    if (this.recent.length > this.count) this.recent.shift(); // bounded: only the last `count` matter
    if (this.degraded || this.recent.length < this.count) return false;
    this.degraded = true;
    return true;
  }

  /** Returns true when this good line ends a degraded spell. */
  good(): boolean {
    if (!this.degraded) return false;
    this.goodRun++;
    if (this.goodRun < this.recoverLines) return false;
    this.degraded = false;
    this.goodRun = 0;
    this.recent = [];
    return true;
  }

  reset(): void {
    this.degraded = false;
    this.goodRun = 0;
    this.recent = [];
  }
}

/** Counts lines per one-second window; `line()` returns true when the count first passes the limit in a window. */
export class FloodMeter {
  private windowStart = -Infinity;
  private count = 0;

  constructor(private readonly perSecond: number) {}

  line(now: number): boolean {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    this.count++;
    return this.count === this.perSecond + 1;
  }
}
