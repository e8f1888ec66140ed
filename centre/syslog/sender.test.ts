/**
 * One collector's delivery against the pure-JS stand-in collector (test/helpers/syslog-receiver.ts):
 * order, confirmation by the collector's close, outages, resets, a hung collector, TLS, drop notices.
 * The sender's timers (backoff, deadlines) run on an injected clock; the sockets are real.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fakeClock, type FakeClock } from "../../test/helpers/clock.js";
import { makePki } from "../../test/helpers/certs.js";
import { logged, memoryLogger, type LogRecord } from "../../test/helpers/logger.js";
import { StandInCollector, type StandInOptions } from "../../test/helpers/syslog-receiver.js";
import { SyslogQueue } from "./queue.js";
import { droppedRecord, toSyslogMessage } from "./records.js";
import { formatRfc5424 } from "./rfc5424.js";
import { CollectorSender, type CollectorEndpoint } from "./sender.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const line = (n: number) =>
  formatRfc5424({ facility: 20, severity: 5, timestamp: null, hostname: "centre", appName: "roomgate", procId: null, msgId: "command", structuredData: [{ id: "t@32473", params: [["n", String(n)]] }], msg: `message ${n}` });
const numbers = (c: StandInCollector) => c.received().map((m) => Number(m.sd["t@32473"]?.n));

interface Setup {
  clock: FakeClock;
  logs: LogRecord[];
  queue: SyslogQueue;
  sender: CollectorSender;
  /** Until the sender has failed `n` rounds in all; the delay it then waits. */
  failed(n: number): Promise<number>;
}

function setup(endpoint: CollectorEndpoint, o: { batch?: number; maxBytes?: number } = {}): Setup {
  const dir = mkdtempSync(path.join(tmpdir(), "roomgate-syslog-sender-"));
  const clock = fakeClock();
  const logs: LogRecord[] = [];
  const logger = memoryLogger(logs);
  const queue = new SyslogQueue(dir, { maxBytes: o.maxBytes ?? 1 << 20, maxAgeMs: 7 * 86_400_000, clock, logger });
  const sender = new CollectorSender({
    name: "soc",
    endpoint,
    queue,
    noticeMessage: (n) => toSyslogMessage(droppedRecord("soc", n, clock.now()), { facility: 20, hostname: "centre", enterpriseId: 32473, maxMessageBytes: 8192 }),
    batchMaxMessages: o.batch ?? 5,
    connectTimeoutMs: 10_000,
    deliveryTimeoutMs: 30_000,
    backoff: { initialMs: 1000, maxMs: 60_000 },
    clock,
    logger,
    random: () => 0.5,
  });
  cleanups.push(async () => {
    await sender.stop();
    queue.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const failed = async (n: number) => {
    const r = await logged(logs, (l) => (l.obj as { failedRounds?: number }).failedRounds === n, 8000, `failed round ${n}`);
    return (r.obj as { retryInMs: number }).retryInMs;
  };
  return { clock, logs, queue, sender, failed };
}

async function collector(opts: StandInOptions = {}): Promise<StandInCollector> {
  const c = await StandInCollector.start(opts);
  cleanups.push(() => c.stop());
  return c;
}

const confirmed = (logs: LogRecord[], n: number) =>
  logged(logs, () => logs.filter((l) => l.msg === "batch confirmed by the collector").length >= n, 8000, `${n} confirmed batches`);

describe("delivering a collector's queue", () => {
  it("sends what is queued oldest first, and forgets it only once the collector has closed after reading it", async () => {
    const c = await collector();
    const s = setup({ host: "127.0.0.1", port: c.port, transport: "tcp" }, { batch: 5 });
    for (let i = 1; i <= 12; i++) s.queue.append(`k${i}`, line(i));
    s.sender.start();
    await c.waitFor(12);
    await confirmed(s.logs, 3);
    expect(numbers(c)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(s.queue.length).toBe(0);
    // A round per batch of 5, each ended by both sides: nothing is held open while idle.
    expect(c.connections).toBe(3);
    expect(c.cleanCloses).toBe(3);
    expect(c.errors).toEqual([]);
    expect(s.sender.status()).toMatchObject({ state: "idle", pending: 0, delivered: 12, failures: 0 });
    // Something new is sent at once.
    s.queue.append("k13", line(13));
    s.sender.kick();
    await c.waitFor(13);
  });

  it("keeps everything through an outage and sends the backlog in order when the collector is back", async () => {
    const c = await collector();
    const s = setup({ host: "127.0.0.1", port: c.port, transport: "tcp" }, { batch: 50 });
    s.sender.start();
    await c.stop();
    s.queue.append("k1", line(1));
    s.sender.kick();
    let delay = await s.failed(1);
    expect(s.logs.find((l) => l.msg?.startsWith("collector unreachable"))?.level).toBe("warn");
    // Ten minutes of the injected clock: a message every minute, a connection refused at each retry.
    let elapsed = 0;
    let failures = 1;
    let next = 2;
    while (elapsed < 600_000) {
      await s.clock.tickAsync(delay);
      elapsed += delay;
      while (next <= 1 + Math.floor(elapsed / 60_000)) s.queue.append(`k${next}`, line(next++));
      delay = await s.failed(++failures);
    }
    expect(delay).toBeLessThanOrEqual(60_000); // the backoff's ceiling
    expect(s.queue.length).toBe(next - 1);
    await c.start();
    await s.clock.tickAsync(delay);
    await c.waitFor(next - 1);
    expect(numbers(c)).toEqual(Array.from({ length: next - 1 }, (_, i) => i + 1));
    await logged(s.logs, (l) => l.msg === "collector reachable again: sending the backlog in order");
  });

  it("sends a whole batch again when the collector resets the connection in the middle of it", async () => {
    const c = await collector();
    c.resetAfter = 2;
    const s = setup({ host: "127.0.0.1", port: c.port, transport: "tcp" }, { batch: 10 });
    for (let i = 1; i <= 5; i++) s.queue.append(`k${i}`, line(i));
    s.sender.start();
    const delay = await s.failed(1);
    expect(numbers(c)).toEqual([1, 2]);
    await s.clock.tickAsync(delay);
    await c.waitFor(7);
    await confirmed(s.logs, 1);
    // At least once: the two read before the reset come twice (the SOC dedupes by event id), in order.
    expect(numbers(c)).toEqual([1, 2, 1, 2, 3, 4, 5]);
    expect(s.queue.length).toBe(0);
  });

  it("does not take a collector that never closes for one that read the batch", async () => {
    const c = await collector();
    c.hold = true;
    const s = setup({ host: "127.0.0.1", port: c.port, transport: "tcp" });
    s.queue.append("k1", line(1));
    s.sender.start();
    await logged(s.logs, (l) => l.msg?.startsWith("batch written") === true);
    await s.clock.tickAsync(30_000); // deliveryTimeoutMs
    const delay = await s.failed(1);
    expect(s.sender.status().lastError).toMatch(/did not close/);
    expect(s.queue.length).toBe(1);
    c.hold = false;
    await s.clock.tickAsync(delay);
    await c.waitFor(1);
    await confirmed(s.logs, 1);
    expect(s.queue.length).toBe(0);
  });

  it("tells the collector first how many messages a full queue dropped, then sends the rest", async () => {
    const c = await collector();
    await c.stop();
    const one = Buffer.byteLength(line(1));
    const s = setup({ host: "127.0.0.1", port: c.port, transport: "tcp" }, { batch: 50, maxBytes: one * 3 });
    for (let i = 1; i <= 5; i++) s.queue.append(`k${i}`, line(i)); // room for three: 1 and 2 are dropped
    s.sender.start();
    const delay = await s.failed(1);
    await c.start();
    await s.clock.tickAsync(delay);
    const got = await c.waitFor(4);
    expect(got[0]).toMatchObject({ msgId: "syslog.dropped", severity: 4, sd: { "roomgate@32473": { collector: "soc", dropped: "2", full: "2", age: "0" } } });
    expect(got[0]!.msg).toMatch(/dropped 2 messages for collector soc that were never sent/);
    expect(numbers(c).slice(1)).toEqual([3, 4, 5]);
    await confirmed(s.logs, 1);
    expect(s.queue.unreported()).toBeUndefined();
  });

  it("stops at once while waiting to retry, leaving the queue on disk", async () => {
    const c = await collector();
    await c.stop();
    const s = setup({ host: "127.0.0.1", port: c.port, transport: "tcp" });
    s.queue.append("k1", line(1));
    s.sender.start();
    await s.failed(1);
    await s.sender.stop();
    expect(s.sender.status()).toMatchObject({ state: "stopped", pending: 1 });
  });
});

describe("delivering over TLS (RFC 5425)", () => {
  it("verifies the collector against caFile and shows our client certificate when asked", async () => {
    const pki = makePki();
    cleanups.push(() => rmSync(pki.dir, { recursive: true, force: true }));
    const c = await collector({ tls: { certFile: pki.certFile, keyFile: pki.keyFile, caFile: pki.caFile } });
    const me = pki.client("centre");
    const s = setup({ host: "127.0.0.1", port: c.port, transport: "tls", tls: { caFile: pki.caFile, certFile: me.certFile, keyFile: me.keyFile } });
    for (let i = 1; i <= 3; i++) s.queue.append(`k${i}`, line(i));
    s.sender.start();
    await c.waitFor(3);
    await confirmed(s.logs, 1);
    expect(numbers(c)).toEqual([1, 2, 3]);
    expect(c.errors).toEqual([]);
  });

  it("sends nothing to a collector whose certificate another CA signed", async () => {
    const pki = makePki();
    const other = makePki();
    cleanups.push(() => rmSync(pki.dir, { recursive: true, force: true }));
    cleanups.push(() => rmSync(other.dir, { recursive: true, force: true }));
    const c = await collector({ tls: { certFile: pki.certFile, keyFile: pki.keyFile } });
    const s = setup({ host: "127.0.0.1", port: c.port, transport: "tls", tls: { caFile: other.caFile } });
    s.queue.append("k1", line(1));
    s.sender.start();
    await s.failed(1);
    expect(s.sender.status().lastError).toMatch(/certificate/);
    expect(c.received()).toEqual([]);
    expect(s.queue.length).toBe(1);
  });
});
