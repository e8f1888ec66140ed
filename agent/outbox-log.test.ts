import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { OutboxLog } from "./outbox-log.js";
import type { OutboxRecord } from "./outbox-log.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "roomgate-outbox-"));
  dirs.push(d);
  return d;
}
const rec = (seq: number, extra = ""): OutboxRecord => ({ seq, topic: "roomgate/v1/s/event", payload: { ts: seq, type: `e${seq}`, extra }, at: 1000 + seq });

describe("OutboxLog", () => {
  it("gives back, after a restart, every record not acknowledged, in order", () => {
    const d = dir();
    const a = new OutboxLog(d);
    expect(a.nextSeq()).toBe(1);
    for (let i = 1; i <= 3; i++) a.append(rec(i));
    a.ack(1);
    a.close();
    const b = new OutboxLog(d);
    expect(b.pending().map((r) => r.seq)).toEqual([2, 3]);
    expect(b.pending()[0]).toEqual(rec(2));
    expect(b.nextSeq()).toBe(4);
    b.close();
  });

  it("cuts off a torn last record (power loss mid-write) and keeps appending after it", () => {
    const d = dir();
    const a = new OutboxLog(d);
    a.append(rec(1));
    a.append(rec(2));
    a.close();
    const file = path.join(d, "outbox.log");
    const full = statSync(file).size;
    truncateSync(file, full - 5); // the tail of record 2 never reached the disk
    const b = new OutboxLog(d);
    expect(b.pending().map((r) => r.seq)).toEqual([1]);
    expect(b.truncatedBytes).toBeGreaterThan(0);
    b.append(rec(2));
    b.close();
    const c = new OutboxLog(d);
    expect(c.pending().map((r) => r.seq)).toEqual([1, 2]);
    expect(c.truncatedBytes).toBe(0);
    c.close();
  });

  it("stops at a record whose checksum does not match, never returning corrupt data", () => {
    const d = dir();
    const a = new OutboxLog(d);
    a.append(rec(1));
    a.append(rec(2));
    a.close();
    const file = path.join(d, "outbox.log");
    const bytes = readFileSync(file);
    const second = bytes.readUInt32BE(0) + 8; // start of record 2
    bytes[second + 12] = bytes[second + 12]! ^ 0xff; // flip a byte in record 2's body
    writeFileSync(file, bytes);
    appendFileSync(file, Buffer.from([1, 2, 3]));
    const b = new OutboxLog(d);
    expect(b.pending().map((r) => r.seq)).toEqual([1]);
    b.close();
  });

  it("compacts the file once most of it is acknowledged, keeping the pending records", () => {
    const d = dir();
    const a = new OutboxLog(d);
    const big = "x".repeat(2000);
    for (let i = 1; i <= 100; i++) a.append(rec(i, big));
    const file = path.join(d, "outbox.log");
    const before = statSync(file).size;
    a.ack(90);
    const after = statSync(file).size;
    expect(after).toBeLessThan(before / 5);
    a.append(rec(101));
    a.close();
    const b = new OutboxLog(d);
    expect(b.pending().map((r) => r.seq)).toEqual([91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101]);
    b.close();
  });

  it("keeps an append through a kill -9 at once: a log opened right after it, with no close, gives it back", () => {
    const d = dir();
    const a = new OutboxLog(d);
    a.append(rec(1));
    a.append(rec(2));
    const b = new OutboxLog(d); // the first process died here: nothing was closed or synced by hand
    expect(b.pending().map((r) => r.seq)).toEqual([1, 2]);
    a.close();
    b.close();
  });

  it("writes acknowledgements off the event loop, the latest one last, so a restart without close skips them", async () => {
    const d = dir();
    const a = new OutboxLog(d);
    for (let i = 1; i <= 5; i++) a.append(rec(i));
    a.ack(1);
    a.ack(2);
    a.ack(4); // while the mark of 1 is being written: 4 follows it
    await a.settled();
    expect(readFileSync(path.join(d, "outbox.acked"), "utf8")).toBe("4\n");
    const b = new OutboxLog(d);
    expect(b.pending().map((r) => r.seq)).toEqual([5]);
    expect(b.nextSeq()).toBe(6);
    a.close();
    b.close();
  });
});
