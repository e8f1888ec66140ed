/**
 * The probes of the last `windowMs` and the figures made of them. Pure: every call takes the time.
 *
 * A probe is sent, then answered (its round trip known), or lost when no reply came within
 * `timeoutMs`; a reply after that is `late` and the probe stays lost. Figures count probes *sent*
 * within the window:
 * - lossPct = lost / (answered + lost) × 100 (probes still waiting are left out);
 * - rttMs = (T4 − T1) − (T3 − T2): our round trip minus the reflector's dwell; min, p50, p95, max by
 *   nearest rank;
 * - jitterMs = the mean of |RTT(i) − RTT(i−1)| over consecutive answered probes in send order: RFC
 *   3550's D(i−1, i) with the round trip as the transit time, averaged over the window instead of
 *   smoothed with gain 1/16 (docs/devices.md, "WAN link");
 * - reordered: replies that came after a reply to a later probe; duplicates: a second (third...)
 *   reply to one probe; late: replies after the probe was counted lost.
 * Replies to a sequence number we never sent (or no longer remember), or whose echoed T1 is not the
 * one we sent, are strangers: counted by the caller, never figures.
 */

export interface RttFigures {
  min: number;
  p50: number;
  p95: number;
  max: number;
}

export interface Figures {
  /** Probes sent within the window (answered, lost and still waiting). */
  sent: number;
  answered: number;
  lost: number;
  pending: number;
  /** null until a probe has been answered or lost. */
  lossPct: number | null;
  rttMs: RttFigures | null;
  /** null until two consecutive probes were answered. */
  jitterMs: number | null;
  reordered: number;
  duplicates: number;
  late: number;
}

export type ReplyOutcome = "answered" | "duplicate" | "late" | "stranger";

interface Probe {
  /** Position in the session (does not wrap, unlike the u32 on the wire). */
  n: number;
  sentAt: number;
  /** The T1 octets we sent, to tell our probe from a stranger's packet with the same number. */
  t1Key: string;
  rttMs: number | null;
  lost: boolean;
  reordered: boolean;
  duplicates: number;
  late: boolean;
}

const TWO_32 = 0x1_0000_0000;

export class ProbeWindow {
  /** Probes by wire sequence number, oldest first (Map keeps insertion order). */
  private readonly probes = new Map<number, Probe>();
  private next = 0;
  private highestAnswered = -1;

  constructor(private readonly opts: { windowMs: number; timeoutMs: number }) {}

  /** The wire sequence number of the next probe. */
  get nextSeq(): number {
    return this.next % TWO_32;
  }

  /** Records a probe just sent (`t1Key`: its T1 as sent, e.g. "seconds.fraction"); returns its sequence number. */
  sent(now: number, t1Key: string): number {
    const seq = this.next % TWO_32;
    this.probes.delete(seq);
    this.probes.set(seq, { n: this.next, sentAt: now, t1Key, rttMs: null, lost: false, reordered: false, duplicates: 0, late: false });
    this.next++;
    return seq;
  }

  /** Forgets a probe whose datagram never left (the write failed). */
  unsent(seq: number): void {
    this.probes.delete(seq);
  }

  /** When probe `seq` was sent, if it is still remembered and unanswered. */
  pendingSince(seq: number): number | undefined {
    const p = this.probes.get(seq);
    return p && p.rttMs === null && !p.lost ? p.sentAt : undefined;
  }

  /** A reply to probe `seq` echoing `t1Key`, with its round trip `rttMs`. */
  reply(seq: number, t1Key: string, rttMs: number): ReplyOutcome {
    const p = this.probes.get(seq);
    if (!p || p.t1Key !== t1Key) return "stranger";
    if (p.lost) {
      p.late = true;
      return "late";
    }
    if (p.rttMs !== null) {
      p.duplicates++;
      return "duplicate";
    }
    p.rttMs = rttMs;
    if (p.n < this.highestAnswered) p.reordered = true;
    else this.highestAnswered = p.n;
    return "answered";
  }

  /** Marks probes unanswered for `timeoutMs` lost and forgets those older than the window; returns how many were lost now. */
  expire(now: number): number {
    let lost = 0;
    const keepFrom = now - Math.max(this.opts.windowMs, this.opts.timeoutMs);
    for (const [seq, p] of this.probes) {
      if (p.sentAt < keepFrom) {
        this.probes.delete(seq);
        continue;
      }
      if (p.rttMs === null && !p.lost && now - p.sentAt >= this.opts.timeoutMs) {
        p.lost = true;
        lost++;
      }
    }
    return lost;
  }

  /** Forgets every probe (a new window); sequence numbers go on. */
  reset(): void {
    this.probes.clear();
    this.highestAnswered = this.next - 1;
  }

  figures(now: number): Figures {
    const from = now - this.opts.windowMs;
    const inWindow = [...this.probes.values()].filter((p) => p.sentAt >= from).sort((a, b) => a.n - b.n);
    let lost = 0;
    let pending = 0;
    let reordered = 0;
    let duplicates = 0;
    let late = 0;
    const rtts: number[] = [];
    let diffSum = 0;
    let diffs = 0;
    let prev: number | null = null;
    for (const p of inWindow) {
      if (p.lost) lost++;
      else if (p.rttMs === null) pending++;
      if (p.reordered) reordered++;
      duplicates += p.duplicates;
      if (p.late) late++;
      if (p.rttMs === null) continue;
      rtts.push(p.rttMs);
      if (prev !== null) {
        diffSum += Math.abs(p.rttMs - prev);
        diffs++;
      }
      prev = p.rttMs;
    }
    const answered = rtts.length;
    const resolved = answered + lost;
    return {
      sent: inWindow.length,
      answered,
      lost,
      pending,
      lossPct: resolved === 0 ? null : (lost / resolved) * 100,
      rttMs: answered === 0 ? null : rttFigures(rtts),
      jitterMs: diffs === 0 ? null : diffSum / diffs,
      reordered,
      duplicates,
      late,
    };
  }
}

/** Nearest-rank percentiles: the smallest value with at least p % of the values at or below it. */
export function rttFigures(values: readonly number[]): RttFigures {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { min: sorted[0]!, p50: rank(50), p95: rank(95), max: sorted[sorted.length - 1]! };
}
