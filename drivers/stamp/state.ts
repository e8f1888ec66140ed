/**
 * The link probe's state, as `poll()` returns it and the agent publishes it (docs/devices.md, "WAN
 * link"). Window figures cover the probes sent in the last `windowMs`; counters marked "since start"
 * cover the driver's life.
 */
import type { Band, Metric } from "./quality.js";
import type { Figures, RttFigures } from "./window.js";

/** A type alias (not an interface) so that it is assignable to the agent's `Record<string, unknown>`. */
export type StampState = {
  /** The reflector probed, `udp:host:port`. */
  reflector: string;
  windowMs: number;
  /** Probes sent in the window: answered, lost, and still waiting for their reply. */
  probesSent: number;
  repliesReceived: number;
  lost: number;
  /** lost / (answered + lost) × 100, two decimals; null before any probe was answered or lost. */
  lossPct: number | null;
  /** Round trip (T4 − T1) − (T3 − T2) in ms, µs precision: min, p50, p95, max; null without replies. */
  rttMs: RttFigures | null;
  /** Mean |RTT(i) − RTT(i−1)| over consecutive answered probes (RFC 3550-style), ms; null with fewer than two. */
  jitterMs: number | null;
  /** Replies that arrived after the reply to a later probe. */
  reordered: number;
  /** Extra replies to a probe already answered. */
  duplicates: number;
  /** Replies that came after their probe's timeout (the probe stays lost). */
  late: number;
  /** The link's band (hysteresis applied): ok, warn or critical. */
  quality: Band;
  /** Each metric's band. */
  bands: Record<Metric, Band>;
  /** The driver's active alarm codes: `quality` while `{device}-quality` is raised. */
  alarms: string[];
  /** Since start: datagrams too short or malformed to be a reflected packet. */
  malformed: number;
  /**
   * Since start: replies to a probe we never sent (or with another T1), and datagrams from another
   * address or port the transport dropped (those queued before its socket was connected; after, the
   * kernel drops them unseen).
   */
  strangers: number;
  /** Clock ms of the last valid reply; null before the first. */
  lastReplyAt: number | null;
  /** Clock ms when this window began (start, or probe.reset). */
  since: number;
};

export const STATE_FIELDS = [
  "reflector", "windowMs", "probesSent", "repliesReceived", "lost", "lossPct", "rttMs", "jitterMs", "reordered", "duplicates",
  "late", "quality", "bands", "alarms", "malformed", "strangers", "lastReplyAt", "since",
] as const;

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

/** The window's figures as state: RTT and jitter to the µs, loss to 0.01 %. */
export function windowState(f: Figures): Pick<StampState, "probesSent" | "repliesReceived" | "lost" | "lossPct" | "rttMs" | "jitterMs" | "reordered" | "duplicates" | "late"> {
  const ms = (v: number): number => round(v, 3);
  return {
    probesSent: f.sent,
    repliesReceived: f.answered,
    lost: f.lost,
    lossPct: f.lossPct === null ? null : round(f.lossPct, 2),
    rttMs: f.rttMs === null ? null : { min: ms(f.rttMs.min), p50: ms(f.rttMs.p50), p95: ms(f.rttMs.p95), max: ms(f.rttMs.max) },
    jitterMs: f.jitterMs === null ? null : ms(f.jitterMs),
    reordered: f.reordered,
    duplicates: f.duplicates,
    late: f.late,
  };
}
