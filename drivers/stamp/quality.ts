/**
 * The link's quality band, judged from the window's figures with hysteresis. Pure: every call takes
 * the time.
 *
 * Each metric (loss, jitter, RTT) has two limits: at or below `ok` it is ok, at or below `warn` it is
 * warn, above it critical. The link's band is its worst metric's. A metric gets worse at once; it
 * gets better only when its figure is at or below `clearRatio` × the better band's limit, and stays
 * there for `clearHoldMs` (the worst band seen during that hold is the one taken). So a figure
 * hovering at a limit raises once and does not flap; a link that really recovered clears.
 * A metric without a figure (no reply yet, or fewer than the minimum probes) keeps its band.
 */

export const BANDS = ["ok", "warn", "critical"] as const;
export type Band = (typeof BANDS)[number];

export const METRICS = ["loss", "jitter", "rtt"] as const;
export type Metric = (typeof METRICS)[number];

export interface Limits {
  ok: number;
  warn: number;
}

export type Thresholds = Record<Metric, Limits>;

export interface JudgeOptions {
  thresholds: Thresholds;
  /** 0 < ratio <= 1: how far below a limit a figure must fall to count as better. */
  clearRatio: number;
  clearHoldMs: number;
}

export type MetricValues = Record<Metric, number | null>;

export interface Judgement {
  band: Band;
  bands: Record<Metric, Band>;
  /** The band changed with this call. */
  changed: boolean;
}

const rank = (b: Band): number => BANDS.indexOf(b);
const worse = (a: Band, b: Band): Band => (rank(a) >= rank(b) ? a : b);

/** The band of `value` against `limits`, each limit scaled by `ratio`. */
export function bandOf(value: number, limits: Limits, ratio = 1): Band {
  if (value <= limits.ok * ratio) return "ok";
  if (value <= limits.warn * ratio) return "warn";
  return "critical";
}

interface MetricState {
  band: Band;
  /** Since when every figure has been good enough for a better band; null when none was. */
  betterSince: number | null;
  /** The worst such better band seen since then. */
  betterBand: Band;
}

export class QualityJudge {
  private readonly metrics: Record<Metric, MetricState>;

  constructor(private readonly opts: JudgeOptions) {
    this.metrics = { loss: fresh(), jitter: fresh(), rtt: fresh() };
  }

  get band(): Band {
    return METRICS.map((m) => this.metrics[m].band).reduce(worse, "ok");
  }

  get bands(): Record<Metric, Band> {
    return { loss: this.metrics.loss.band, jitter: this.metrics.jitter.band, rtt: this.metrics.rtt.band };
  }

  judge(values: MetricValues, now: number): Judgement {
    const before = this.band;
    for (const m of METRICS) {
      const v = values[m];
      if (v !== null && Number.isFinite(v)) this.step(this.metrics[m], v, this.opts.thresholds[m], now);
    }
    const band = this.band;
    return { band, bands: this.bands, changed: band !== before };
  }

  private step(s: MetricState, value: number, limits: Limits, now: number): void {
    const raw = bandOf(value, limits);
    if (rank(raw) > rank(s.band)) {
      s.band = raw;
      s.betterSince = null;
      return;
    }
    const better = bandOf(value, limits, this.opts.clearRatio);
    if (rank(better) >= rank(s.band)) {
      s.betterSince = null;
      return;
    }
    if (s.betterSince === null) {
      s.betterSince = now;
      s.betterBand = better;
    } else {
      s.betterBand = worse(s.betterBand, better);
    }
    if (now - s.betterSince >= this.opts.clearHoldMs) {
      s.band = s.betterBand;
      s.betterSince = null;
    }
  }
}

function fresh(): MetricState {
  return { band: "ok", betterSince: null, betterBand: "ok" };
}
