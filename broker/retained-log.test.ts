import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { fakeClock } from "../test/helpers/clock.js";
import { memoryLogger } from "../test/helpers/logger.js";
import { RetainedLog, type RetainedLogOptions } from "./retained-log.js";
import type { RetainedRecord } from "./retained-records.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function freshDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "roomgate-retained-"));
  dirs.push(d);
  return d;
}

const rec = (topic: string, payload: string, qos = 1): RetainedRecord => ({ topic, payload: Buffer.from(payload), qos });
const shown = (rs: Iterable<RetainedRecord>) => [...rs].map((r) => `${r.topic}=${r.payload.toString()}`).sort();

/** A log over `state` (what the broker's index would hold), applying each append to it too. */
function openWithState(opts: RetainedLogOptions) {
  const state = new Map<string, RetainedRecord>();
  const { store, retained } = RetainedLog.open(opts, () => state.values());
  for (const r of retained) state.set(r.topic, r);
  const append = (r: RetainedRecord) => {
    if (r.payload.length === 0) state.delete(r.topic);
    else state.set(r.topic, r);
    store.append(r);
  };
  return { store, retained, state, append };
}

describe("RetainedLog", () => {
  it("gives back after a restart what was set, without what was cleared", async () => {
    const dir = freshDir();
    const a = openWithState({ dir, logger: memoryLogger() });
    expect(a.retained).toEqual([]);
    a.append(rec("s1/dev/cam/health", "ok"));
    a.append(rec("s1/dev/cam/health", "fault"));
    a.append(rec("s1/alarm/door", "open"));
    a.append(rec("s1/alarm/door", ""));
    a.append(rec("s1/agent/state", "online", 0));
    await a.store.close();
    const b = RetainedLog.open({ dir, logger: memoryLogger() }, () => []);
    expect(shown(b.retained)).toEqual(["s1/agent/state=online", "s1/dev/cam/health=fault"]);
    expect(b.retained.find((r) => r.topic === "s1/agent/state")!.qos).toBe(0);
    await b.store.close();
  });

  it("writes a batch after commitMs or commitMessages, and durable() resolves only once it is synced", async () => {
    const dir = freshDir();
    const clock = fakeClock();
    const a = openWithState({ dir, logger: memoryLogger(), clock, commitMs: 100, commitMessages: 3 });
    a.append(rec("t/1", "a"));
    let durable = false;
    const d = a.store.durable().then(() => (durable = true));
    await new Promise((r) => setImmediate(r));
    expect(a.store.stats().batches).toBe(0); // waiting for more
    expect(durable).toBe(false);
    await clock.tickAsync(100);
    expect(a.store.stats().batches).toBe(1);
    await d;
    expect(a.store.stats().fsyncs).toBeGreaterThanOrEqual(1);
    for (const n of ["b", "c", "d"]) a.append(rec(`t/${n}`, n));
    expect(a.store.stats().batches).toBe(2); // the third change filled the batch: written at once
    await a.store.durable();
    await a.store.close();
  });

  it("cuts a torn last record (a crash during a write) and keeps every record before it, for any cut", async () => {
    const dir = freshDir();
    const a = openWithState({ dir, logger: memoryLogger() });
    const changes = Array.from({ length: 12 }, (_, i) => rec(`s/t${i % 5}`, i % 4 === 3 ? "" : `v${i}`));
    for (const c of changes) a.append(c);
    await a.store.close();
    const log = path.join(dir, readdirSync(dir).find((n) => n.startsWith("log."))!);
    const whole = readFileSync(log);
    // The state after each whole prefix of the changes: what a cut at any byte may leave.
    const prefixes: string[][] = [];
    for (let k = 0; k <= changes.length; k++) {
      const m = new Map<string, string>();
      for (const c of changes.slice(0, k)) c.payload.length === 0 ? m.delete(c.topic) : m.set(c.topic, c.payload.toString());
      prefixes.push([...m].map(([t, v]) => `${t}=${v}`).sort());
    }
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 16, max: whole.length }), async (cut) => {
        writeFileSync(log, whole.subarray(0, cut));
        const logger = memoryLogger();
        const b = RetainedLog.open({ dir, logger }, () => []);
        const got = shown(b.retained);
        await b.store.close();
        expect(prefixes.map((p) => JSON.stringify(p))).toContain(JSON.stringify(got));
        expect(statSync(log).size).toBeLessThanOrEqual(cut); // cut back to its last whole record
      }),
      { numRuns: 40 },
    );
  });

  it("logs the cut when the tail is garbage, and appends after the last good record", async () => {
    const dir = freshDir();
    const a = openWithState({ dir, logger: memoryLogger() });
    a.append(rec("a", "1"));
    await a.store.close();
    const log = path.join(dir, readdirSync(dir).find((n) => n.startsWith("log."))!);
    appendFileSync(log, Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 5]));
    const logger = memoryLogger();
    const b = openWithState({ dir, logger });
    expect(logger.records.some((r) => r.level === "warn" && /torn end/.test(r.msg ?? ""))).toBe(true);
    b.append(rec("b", "2"));
    await b.store.close();
    const c = RetainedLog.open({ dir, logger: memoryLogger() }, () => []);
    expect(shown(c.retained)).toEqual(["a=1", "b=2"]);
    await c.store.close();
  });

  it("compacts a log grown past compactBytes into a snapshot, removes the old files, and reads the same state", async () => {
    const dir = freshDir();
    const logger = memoryLogger();
    const a = openWithState({ dir, logger, compactBytes: 4096, commitMessages: 10 });
    for (let i = 0; i < 400; i++) a.append(rec(`s/dev/d${i % 20}/health`, `value-${i}`));
    a.append(rec("s/dev/d3/health", ""));
    await a.store.close();
    expect(a.store.stats().compactions).toBeGreaterThanOrEqual(1);
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => f.startsWith("snapshot."))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const b = RetainedLog.open({ dir, logger: memoryLogger() }, () => []);
    expect(shown(b.retained)).toEqual(shown(a.state.values()));
    expect(b.retained).toHaveLength(19);
    await b.store.close();
  });

  it("ignores and removes a snapshot a crash left half-written (.tmp)", async () => {
    const dir = freshDir();
    const a = openWithState({ dir, logger: memoryLogger(), compactBytes: 2048, commitMessages: 5 });
    for (let i = 0; i < 200; i++) a.append(rec(`k${i % 7}`, `v${i}`));
    await a.store.close();
    writeFileSync(path.join(dir, "snapshot.999999999999.tmp"), "half");
    const b = RetainedLog.open({ dir, logger: memoryLogger() }, () => []);
    expect(shown(b.retained)).toEqual(shown(a.state.values()));
    await b.store.close();
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("after close, a change is logged as not kept instead of written to a closed file", async () => {
    const dir = freshDir();
    const logger = memoryLogger();
    const a = openWithState({ dir, logger });
    await a.store.close();
    a.store.append(rec("late", "x"));
    expect(logger.records.some((r) => r.level === "warn" && /after the store closed/.test(r.msg ?? ""))).toBe(true);
  });
});
