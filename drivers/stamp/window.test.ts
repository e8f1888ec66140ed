/**
 * The window's figures as a network engineer would compute them by hand: loss from probes never
 * answered, round trips by nearest rank, jitter as the mean |ΔRTT|, and what reordered, duplicated,
 * late and foreign replies do (and do not do) to them.
 */
import { describe, expect, it } from "vitest";
import { ProbeWindow, rttFigures } from "./window.js";

const key = (n: number): string => `t1-${n}`;

/** Sends `count` probes 100 ms apart from `t0`; returns their sequence numbers. */
function sendMany(w: ProbeWindow, count: number, t0 = 0): number[] {
  return Array.from({ length: count }, (_, i) => w.sent(t0 + i * 100, key(t0 + i * 100)));
}

describe("ProbeWindow", () => {
  it("a clean run: no loss, the round trips' nearest-rank percentiles, jitter the mean |ΔRTT|", () => {
    const w = new ProbeWindow({ windowMs: 30_000, timeoutMs: 1000 });
    const rtts = [10, 12, 11, 15, 10, 30, 10, 11, 12, 10];
    sendMany(w, 10).forEach((seq, i) => expect(w.reply(seq, key(i * 100), rtts[i]!)).toBe("answered"));
    const f = w.figures(1000);
    expect(f).toMatchObject({ sent: 10, answered: 10, lost: 0, pending: 0, lossPct: 0, reordered: 0, duplicates: 0, late: 0 });
    expect(f.rttMs).toEqual({ min: 10, p50: 11, p95: 30, max: 30 });
    // |12-10| + |11-12| + |15-11| + |10-15| + |30-10| + |10-30| + |11-10| + |12-11| + |10-12| = 56, over 9
    expect(f.jitterMs).toBeCloseTo(56 / 9, 9);
  });

  it("loss: probes unanswered after timeoutMs are lost; those still within it are pending, not lost", () => {
    const w = new ProbeWindow({ windowMs: 30_000, timeoutMs: 1000 });
    const seqs = sendMany(w, 20); // sent at 0..1900
    seqs.forEach((seq, i) => i % 5 !== 0 && w.reply(seq, key(i * 100), 20));
    expect(w.expire(1500)).toBe(2); // probes 0 and 5 (sent at 0 and 500); 10 and 15 still pending
    expect(w.figures(1500)).toMatchObject({ sent: 20, answered: 16, lost: 2, pending: 2, lossPct: (2 / 18) * 100 });
    expect(w.expire(3000)).toBe(2);
    expect(w.figures(3000)).toMatchObject({ lost: 4, pending: 0, lossPct: 20 });
  });

  it("a reply after the timeout is late: the probe stays lost", () => {
    const w = new ProbeWindow({ windowMs: 30_000, timeoutMs: 1000 });
    const [seq] = sendMany(w, 1);
    w.expire(1000);
    expect(w.reply(seq!, key(0), 1200)).toBe("late");
    expect(w.figures(1200)).toMatchObject({ answered: 0, lost: 1, late: 1, lossPct: 100, rttMs: null, jitterMs: null });
  });

  it("reorder and duplicates are counted and do not change loss or the round trips", () => {
    const w = new ProbeWindow({ windowMs: 30_000, timeoutMs: 1000 });
    const [a, b, c] = sendMany(w, 3);
    expect(w.reply(b!, key(100), 20)).toBe("answered");
    expect(w.reply(a!, key(0), 40)).toBe("answered"); // after the reply to a later probe
    expect(w.reply(a!, key(0), 41)).toBe("duplicate");
    expect(w.reply(c!, key(200), 20)).toBe("answered");
    expect(w.reply(c!, key(200), 22)).toBe("duplicate");
    const f = w.figures(300);
    expect(f).toMatchObject({ answered: 3, lost: 0, reordered: 1, duplicates: 2, lossPct: 0 });
    expect(f.rttMs).toEqual({ min: 20, p50: 20, p95: 40, max: 40 });
    expect(f.jitterMs).toBe(10); // in send order 40, 20, 20: (20 + 0) / 2
  });

  it("strangers: a sequence number never sent, or ours with another T1, changes nothing", () => {
    const w = new ProbeWindow({ windowMs: 30_000, timeoutMs: 1000 });
    const [seq] = sendMany(w, 1);
    expect(w.reply(12345, key(0), 5)).toBe("stranger");
    expect(w.reply(seq!, "someone-else", 5)).toBe("stranger");
    expect(w.figures(100)).toMatchObject({ sent: 1, answered: 0, pending: 1 });
    expect(w.reply(seq!, key(0), 5)).toBe("answered");
  });

  it("slides: probes older than the window leave the figures, and are then forgotten", () => {
    const w = new ProbeWindow({ windowMs: 2000, timeoutMs: 500 });
    sendMany(w, 10); // 0..900, all lost
    w.expire(1500);
    expect(w.figures(1500)).toMatchObject({ sent: 10, lost: 10, lossPct: 100 });
    const later = sendMany(w, 10, 2000); // 2000..2900, answered
    later.forEach((seq, i) => w.reply(seq, key(2000 + i * 100), 10));
    expect(w.figures(2900)).toMatchObject({ sent: 11, lost: 1, lossPct: (1 / 11) * 100 }); // sent at 900 and later
    w.expire(4000);
    expect(w.figures(4000)).toMatchObject({ sent: 10, lost: 0, lossPct: 0 });
    expect(w.reply(0, key(0), 10)).toBe("stranger"); // forgotten
  });

  it("reset starts an empty window and the sequence numbers go on", () => {
    const w = new ProbeWindow({ windowMs: 30_000, timeoutMs: 1000 });
    sendMany(w, 3);
    w.reset();
    expect(w.figures(300)).toMatchObject({ sent: 0, lossPct: null, rttMs: null });
    expect(w.nextSeq).toBe(3);
  });

  it("sequence numbers wrap at 2^32 without confusing probes", () => {
    const w = new ProbeWindow({ windowMs: 30_000, timeoutMs: 1000 });
    (w as unknown as { next: number }).next = 2 ** 32 - 1;
    expect(w.sent(0, key(0))).toBe(2 ** 32 - 1);
    expect(w.sent(100, key(100))).toBe(0);
    expect(w.reply(0, key(100), 10)).toBe("answered");
    expect(w.reply(2 ** 32 - 1, key(0), 10)).toBe("answered");
    expect(w.figures(200)).toMatchObject({ answered: 2, reordered: 1 });
  });
});

describe("rttFigures (nearest rank)", () => {
  it("p95 of 20 values is the 19th smallest; of one value, that value", () => {
    const values = Array.from({ length: 20 }, (_, i) => 20 - i);
    expect(rttFigures(values)).toEqual({ min: 1, p50: 10, p95: 19, max: 20 });
    expect(rttFigures([7])).toEqual({ min: 7, p50: 7, p95: 7, max: 7 });
  });
});
