/**
 * Exponential backoff with "equal jitter" (see the AWS architecture note of the same name):
 * the n-th delay (n from 0) is `base = min(maxMs, initialMs * factor^n)`, of which the fraction
 * `jitter` is randomised: `base * (1 - jitter) + random() * base * jitter`. With the default
 * jitter 0.5 a delay never falls below half its base, so delays keep growing while many agents
 * that lost the same broker or switch do not retry in lockstep.
 */
import { TransportError, type BackoffOptions } from "./types.js";

export const BACKOFF_DEFAULTS: Readonly<Required<BackoffOptions>> = Object.freeze({
  initialMs: 250,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.5,
  stableMs: 5_000,
});

/** Fills in defaults and checks ranges; throws a TransportError `bad_config` naming the field. */
export function resolveBackoffOptions(opts: BackoffOptions = {}): Required<BackoffOptions> {
  const o = { ...BACKOFF_DEFAULTS, ...definedOnly(opts) };
  const bad = (field: string, rule: string, value: number): never => {
    throw new TransportError("bad_config", `backoff.${field}: expected ${rule}; got ${value}`);
  };
  if (!Number.isFinite(o.initialMs) || o.initialMs <= 0) bad("initialMs", "a number > 0", o.initialMs);
  if (!Number.isFinite(o.maxMs) || o.maxMs < o.initialMs) bad("maxMs", `a number >= initialMs (${o.initialMs})`, o.maxMs);
  if (!Number.isFinite(o.factor) || o.factor < 1) bad("factor", "a number >= 1", o.factor);
  if (!(o.jitter >= 0 && o.jitter <= 1)) bad("jitter", "a number in 0..1", o.jitter);
  if (!Number.isFinite(o.stableMs) || o.stableMs < 0) bad("stableMs", "a number >= 0", o.stableMs);
  return o;
}

function definedOnly(opts: BackoffOptions): BackoffOptions {
  return Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as BackoffOptions;
}

export class Backoff {
  private readonly opts: Required<BackoffOptions>;
  private readonly random: () => number;
  private n = 0;

  /** `random` returns a number in [0, 1); tests pass a seeded one. Throws `bad_config` on bad options. */
  constructor(opts?: BackoffOptions, random: () => number = Math.random) {
    this.opts = resolveBackoffOptions(opts);
    this.random = random;
  }

  /** How many delays `next()` has handed out since the last `reset()`. */
  get attempt(): number {
    return this.n;
  }

  /** The next delay in whole milliseconds (>= 1); advances `attempt`. */
  next(): number {
    const { initialMs, maxMs, factor, jitter } = this.opts;
    // factor^n overflows to Infinity after enough attempts; min() turns that into maxMs.
    const base = Math.min(maxMs, initialMs * Math.pow(factor, this.n));
    this.n += 1;
    const r = Math.min(Math.max(this.random(), 0), 1);
    return Math.max(1, Math.round(base * (1 - jitter) + r * base * jitter));
  }

  /** Back to the first delay (call when the link has proven itself). */
  reset(): void {
    this.n = 0;
  }
}
