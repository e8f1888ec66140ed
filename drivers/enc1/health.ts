/**
 * The driver's health, derived from what it knows about the link (pure; the driver publishes on change).
 * Order matters: the most serious condition wins.
 */
import type { Health } from "../types.js";

export interface LinkFacts {
  /** The transport is open (when not, the driver reports `transport_closed` itself, with the transport's reason). */
  linkOpen: boolean;
  /** No heartbeat for `heartbeatWindowMs`. */
  heartbeatsLost: boolean;
  heartbeatWindowMs: number;
  /** A valid line arrived since the link opened. */
  contact: boolean;
  /** start() gave up waiting for that first line. */
  contactTimedOut: boolean;
  /** A burst of bad checksums, not yet followed by enough good lines. */
  checksumBurst: boolean;
  /** A query went unanswered and nothing answered since. */
  queryTimedOut: boolean;
}

/** The health for these facts, or null for "no news" (link down, or waiting for first contact). */
export function deriveHealth(f: LinkFacts): Health | null {
  if (!f.linkOpen) return null;
  if (f.heartbeatsLost) {
    // Lines that arrive but all fail their checksum (wrong baud rate, bad cable) stop heartbeats too: say so.
    const why = f.checksumBurst ? "; lines arrive but fail their checksum: check baud rate and cable" : "";
    return { status: "unreachable", code: "heartbeat_lost", message: `no heartbeat for ${f.heartbeatWindowMs} ms${why}` };
  }
  if (!f.contact) {
    return f.contactTimedOut ? { status: "unreachable", code: "timeout", message: "no line from the encryptor since the link opened" } : null;
  }
  if (f.checksumBurst) return { status: "degraded", code: "checksum_errors", message: "a burst of lines with bad checksums (see checksumErrors)" };
  if (f.queryTimedOut) return { status: "degraded", code: "timeout", message: "heartbeats flow but a query went unanswered" };
  return { status: "ok" };
}
