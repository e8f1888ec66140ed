import { describe, expect, it } from "vitest";
import { Backoff, BACKOFF_DEFAULTS } from "./backoff.js";

/** A small seeded PRNG (mulberry32), so jittered delays are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const take = (b: Backoff, n: number): number[] => Array.from({ length: n }, () => b.next());

describe("Backoff", () => {
  it("grows by the factor from initialMs and stops at maxMs (no jitter)", () => {
    const b = new Backoff({ jitter: 0 });
    expect(take(b, 10)).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(b.attempt).toBe(10);
  });

  it("uses the documented defaults", () => {
    expect(BACKOFF_DEFAULTS).toEqual({ initialMs: 250, maxMs: 30_000, factor: 2, jitter: 0.5, stableMs: 5_000 });
  });

  it("applies equal jitter: half the delay fixed, half random (seeded)", () => {
    // base 100, 200, 400, 800, 1000, 1000; seed 42 draws 0.601, 0.448, 0.852, 0.670, 0.175, 0.527
    const b = new Backoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.5 }, seeded(42));
    expect(take(b, 6)).toEqual([80, 145, 370, 668, 587, 763]);
  });

  it("keeps every jittered delay within [base*(1-jitter), base]", () => {
    const b = new Backoff({ initialMs: 10, maxMs: 5000, factor: 3, jitter: 0.5 }, seeded(7));
    for (let run = 0; run < 200; run++) {
      b.reset();
      take(b, 12).forEach((d, n) => {
        const base = Math.min(5000, 10 * 3 ** n);
        expect(d).toBeGreaterThanOrEqual(Math.round(base / 2));
        expect(d).toBeLessThanOrEqual(base);
      });
    }
  });

  it("spans the whole range at the extremes of random", () => {
    expect(take(new Backoff({ initialMs: 100 }, () => 0), 3)).toEqual([50, 100, 200]);
    expect(take(new Backoff({ initialMs: 100 }, () => 0.999999), 3)).toEqual([100, 200, 400]);
    expect(take(new Backoff({ initialMs: 100, jitter: 1 }, () => 0), 2)).toEqual([1, 1]);
  });

  it("reset() starts again from initialMs", () => {
    const b = new Backoff({ initialMs: 10, jitter: 0 });
    take(b, 4);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(take(b, 2)).toEqual([10, 20]);
  });

  it("stays at maxMs after thousands of attempts (factor^n overflows to Infinity)", () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 60_000, jitter: 0 });
    const last = take(b, 5000).at(-1);
    expect(last).toBe(60_000);
  });

  it("refuses options that can never work, naming the field", () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow("backoff.initialMs: expected a number > 0; got 0");
    expect(() => new Backoff({ initialMs: 500, maxMs: 100 })).toThrow("backoff.maxMs: expected a number >= initialMs (500); got 100");
    expect(() => new Backoff({ factor: 0.5 })).toThrow("backoff.factor: expected a number >= 1; got 0.5");
    expect(() => new Backoff({ jitter: 2 })).toThrow(expect.objectContaining({ code: "bad_config" }));
    expect(() => new Backoff({ jitter: Number.NaN })).toThrow("backoff.jitter: expected a number in 0..1; got NaN");
    // undefined means "default", as from an optional config field
    expect(new Backoff({ initialMs: undefined, jitter: 0 }).next()).toBe(250);
  });
});
