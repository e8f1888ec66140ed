import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fakeClock, type FakeClock } from "../../test/helpers/clock.js";
import { memoryLogger, type LogRecord } from "../../test/helpers/logger.js";
import { SyslogQueue } from "./queue.js";

const dirs: string[] = [];
const queues: SyslogQueue[] = [];
afterEach(() => {
  for (const q of queues.splice(0)) q.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fresh(): string {
  const d = mkdtempSync(path.join(tmpdir(), "roomgate-syslog-queue-"));
  dirs.push(d);
  return d;
}

function open(dir: string, o: { maxBytes?: number; maxAgeMs?: number; clock?: FakeClock; logs?: LogRecord[] } = {}): SyslogQueue {
  const q = new SyslogQueue(dir, { maxBytes: o.maxBytes ?? 1 << 20, maxAgeMs: o.maxAgeMs ?? 86_400_000, clock: o.clock ?? fakeClock(), logger: memoryLogger(o.logs) });
  queues.push(q);
  return q;
}

/** Closes `q` as kill -9 would leave it (the file as written; nothing flushed at close) and opens it again. */
function reopen(dir: string, q: SyslogQueue, o: Parameters<typeof open>[1] = {}): SyslogQueue {
  q.close();
  queues.splice(queues.indexOf(q), 1);
  return open(dir, o);
}

const msgs = (q: SyslogQueue) => q.take(1_000_000).map((m) => m.msg);

describe("a collector's durable queue", () => {
  it("keeps every message across a restart, in order, until the collector confirms it", () => {
    const dir = fresh();
    let q = open(dir);
    for (let i = 1; i <= 5; i++) expect(q.append(`k${i}`, `m${i}`)).toBe(true);
    q = reopen(dir, q);
    expect(msgs(q)).toEqual(["m1", "m2", "m3", "m4", "m5"]);
    const taken = q.take(2);
    q.confirm(taken.at(-1)!.seq);
    q = reopen(dir, q);
    expect(msgs(q)).toEqual(["m3", "m4", "m5"]);
    expect(q.length).toBe(3);
    expect(q.bytes).toBe(6);
  });

  it("gives back what a failed delivery took, to send again in the same order", () => {
    const q = open(fresh());
    for (let i = 1; i <= 3; i++) q.append(`k${i}`, `m${i}`);
    expect(q.take(2).map((m) => m.msg)).toEqual(["m1", "m2"]);
    q.giveBack();
    expect(q.take(10).map((m) => m.msg)).toEqual(["m1", "m2", "m3"]);
  });

  it("cuts off a torn last record (kill -9 mid-write) and carries on after it", () => {
    const dir = fresh();
    let q = open(dir);
    for (let i = 1; i <= 3; i++) q.append(`k${i}`, `m${i}`);
    const file = path.join(dir, "queue.log");
    truncateSync(file, statSync(file).size - 3);
    q = reopen(dir, q);
    expect(q.truncatedBytes).toBeGreaterThan(0);
    expect(msgs(q)).toEqual(["m1", "m2"]);
    // The torn message's MQTT message was never acknowledged: it comes again, and is queued again.
    expect(q.append("k3", "m3")).toBe(true);
    q = reopen(dir, q);
    expect(q.truncatedBytes).toBe(0);
    expect(msgs(q)).toEqual(["m1", "m2", "m3"]);
  });

  it("treats a record whose checksum fails as the end of the log", () => {
    const dir = fresh();
    let q = open(dir);
    q.append("k1", "m1");
    const file = path.join(dir, "queue.log");
    const good = statSync(file).size;
    q.append("k2", "m2");
    const bytes = readFileSync(file);
    bytes[good + 12] = bytes[good + 12]! ^ 0xff; // inside the second record's body
    q.close();
    queues.splice(queues.indexOf(q), 1);
    rmSync(file);
    appendFileSync(file, bytes);
    q = open(dir);
    expect(msgs(q)).toEqual(["m1"]);
    expect(statSync(file).size).toBe(good);
  });

  it("refuses a key it queued before, also after a restart (an MQTT redelivery)", () => {
    const dir = fresh();
    let q = open(dir);
    expect(q.append("site/s1/12-40", "a")).toBe(true);
    expect(q.append("site/s1/12-40", "a")).toBe(false);
    q = reopen(dir, q);
    expect(q.append("site/s1/12-40", "a")).toBe(false);
    expect(msgs(q)).toEqual(["a"]);
  });

  it("drops the oldest when full, records and logs the drop, and reports it once", () => {
    const dir = fresh();
    const logs: LogRecord[] = [];
    let q = open(dir, { maxBytes: 10, logs });
    for (let i = 0; i < 5; i++) q.append(`k${i}`, `msg${i}`); // 4 bytes each: room for two
    expect(msgs(q)).toEqual(["msg3", "msg4"]);
    q.giveBack();
    expect(logs.filter((l) => l.msg?.startsWith("syslog queue full"))).toHaveLength(3);
    const notice = q.unreported();
    expect(notice).toMatchObject({ full: 3, age: 0 });
    // Across a restart: the same messages are gone, and the same notice is owed, under the same id.
    q = reopen(dir, q, { maxBytes: 10 });
    expect(msgs(q)).toEqual(["msg3", "msg4"]);
    q.giveBack();
    expect(q.unreported()).toEqual(notice);
    q.reported(notice!);
    expect(q.unreported()).toBeUndefined();
    q = reopen(dir, q, { maxBytes: 10 });
    expect(q.unreported()).toBeUndefined();
  });

  it("keeps a notice owed when more were dropped after it was sent, under a new id", () => {
    const q = open(fresh(), { maxBytes: 8 });
    for (let i = 0; i < 3; i++) q.append(`k${i}`, `msg${i}`);
    const first = q.unreported()!;
    q.append("k3", "msg3");
    const second = q.unreported()!;
    expect(second.id).not.toBe(first.id);
    expect(second.full).toBe(2);
    q.reported(first); // the collector confirmed the older notice only
    expect(q.unreported()).toEqual(second);
  });

  it("never drops a message in flight: the bound gives way by at most the batch", () => {
    const q = open(fresh(), { maxBytes: 8 });
    q.append("k1", "aaaa");
    q.append("k2", "bbbb");
    expect(q.take(2).map((m) => m.msg)).toEqual(["aaaa", "bbbb"]);
    q.append("k3", "cccc");
    q.append("k4", "dddd");
    expect(q.take(10).map((m) => m.msg)).toEqual(["aaaa", "bbbb", "dddd"]);
    expect(q.unreported()).toMatchObject({ full: 1 });
  });

  it("drops messages past the age bound, oldest first, by the injected clock", async () => {
    const clock = fakeClock();
    const dir = fresh();
    let q = open(dir, { clock, maxAgeMs: 60_000 });
    q.append("old", "old");
    await clock.tickAsync(30_000);
    q.append("newer", "newer");
    await clock.tickAsync(30_001);
    q.expire();
    expect(msgs(q)).toEqual(["newer"]);
    const notice = q.unreported()!;
    expect(notice).toMatchObject({ full: 0, age: 1, firstAt: clock.now() - 60_001, lastAt: clock.now() - 60_001 });
    q = reopen(dir, q, { clock, maxAgeMs: 60_000 });
    expect(q.unreported()).toEqual(notice);
  });

  it("compacts the file once most of it is delivered, and stays whole across a restart", () => {
    const dir = fresh();
    let q = open(dir, { maxBytes: 200_000 });
    const body = "x".repeat(1000);
    for (let i = 0; i < 300; i++) q.append(`k${i}`, `${i} ${body}`); // ~1000 bytes each: the oldest are dropped
    const dropped = q.unreported()!;
    expect(dropped.full).toBeGreaterThan(0);
    const before = statSync(path.join(dir, "queue.log")).size;
    const batch = q.take(150);
    q.confirm(batch.at(-1)!.seq);
    const after = statSync(path.join(dir, "queue.log")).size;
    expect(after).toBeLessThan(before / 2);
    const left = msgs(q);
    q = reopen(dir, q, { maxBytes: 200_000 });
    expect(msgs(q)).toEqual(left);
    expect(q.unreported()).toEqual(dropped); // the owed notice survived compaction
    // Seqs are not reused after a compaction, so a later notice never repeats an earlier id.
    const seqs = q.take(1000).map((m) => m.seq);
    q.confirm(seqs.at(-1)!);
    q.reported(dropped);
    q = reopen(dir, q, { maxBytes: 200_000 });
    q.append("n1", "y".repeat(150_000));
    q.append("n2", "y".repeat(150_000));
    expect(q.unreported()!.id).not.toBe(dropped.id);
    expect(Number(q.unreported()!.id.split("-")[1])).toBeGreaterThan(seqs.at(-1)!);
  });
});
