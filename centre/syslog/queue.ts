/**
 * One collector's durable queue: every message for the SOC is on disk, fsync'd, before the MQTT
 * message it came from is acknowledged, and leaves only when the collector has confirmed it
 * (sender.ts) or a bound drops it, which is itself recorded and reported, never silent.
 *
 * Storage, as agent/outbox-log.ts: one append-only file of checksummed records and a tiny "delivered
 * up to" file. Record: u32 BE length | u32 BE crc32(body) | body (UTF-8 JSON), one of
 *   {seq, at, key, msg}                       a message (msg: the RFC 5424 text)
 *   {seq, drop: {ranges, full, age, firstAt, lastAt, first?}}   messages dropped unsent
 *   {seq, reported}                           drops up to that seq were reported to the collector
 *   {seq, floor}                              written first by compaction: seqs below are used up
 * A record whose length or checksum does not match ends the log: it and everything after it are cut
 * off at open (a torn write at kill -9 or power loss can only be the last one).
 *
 * Bounds: bytes of pending messages and their age. Over either, the oldest pending messages go
 * first, except those in flight (handed to the sender and not yet confirmed or given back), so the
 * byte bound can be exceeded by at most one batch. Each drop is a record (so a restart forgets the
 * same messages) and a log line; the count waits in `unreported()` until the sender has delivered
 * the notice and called `reported()`, so it survives kill -9 and is reported once.
 *
 * Dedupe: `append` refuses a key it has recently queued (the same event redelivered by MQTT after
 * a restart, or after a write to another collector's queue failed), from the file at open and
 * from memory after; bounded.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeSync } from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import type { Clock, Logger } from "../../drivers/types.js";

export interface QueuedMessage {
  seq: number;
  /** ms epoch when it was queued. */
  at: number;
  key: string;
  msg: string;
}

/** Drops not yet reported to the collector. `id` stays the same until more are dropped. */
export interface DropNotice {
  id: string;
  full: number;
  age: number;
  /** When the oldest and newest dropped messages were queued. */
  firstAt: number;
  lastAt: number;
  /** Seq of the last drop record it covers (for `reported`). */
  through: number;
}

export interface QueueOptions {
  maxBytes: number;
  maxAgeMs: number;
  clock: Clock;
  logger: Logger;
}

interface DropBody {
  ranges: Array<[number, number]>;
  full: number;
  age: number;
  firstAt: number;
  lastAt: number;
  /** On a merged record (compaction): the seq of the first drop it stands for. */
  first?: number;
}
type Body = QueuedMessage | { seq: number; drop: DropBody } | { seq: number; reported: number } | { seq: number; floor: true };

interface Item {
  seq: number;
  at: number;
  off: number;
  len: number;
  bytes: number;
}

const HEADER = 8;
/** A body larger than this is corrupt (a message is at most 64 KiB). */
const MAX_RECORD = 1 << 20;
/** Keys remembered for dedupe. */
const KEYS_KEPT = 10_000;

export class SyslogQueue {
  private readonly file: string;
  private readonly ackFile: string;
  private fd: number;
  private size = 0;
  private delivered = 0;
  private nextSeq = 1;
  private items: Item[] = [];
  /** items[0..inFlight) were handed to the sender and are not yet confirmed. */
  private inFlight = 0;
  private pendingBytes = 0;
  private readonly keys = new Set<string>();
  private drops: Omit<DropNotice, "id" | "through"> & { first: number; through: number } | undefined;
  /** Bytes cut off a torn tail at open (0 when the file was whole). */
  readonly truncatedBytes: number;
  /** Messages dropped unsent since this queue was opened (by either bound). */
  droppedSinceOpen = 0;

  constructor(
    dir: string,
    private readonly o: QueueOptions,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, "queue.log");
    this.ackFile = path.join(dir, "queue.delivered");
    if (existsSync(this.ackFile)) {
      const n = Number.parseInt(readFileSync(this.ackFile, "utf8").trim(), 10);
      if (Number.isSafeInteger(n) && n >= 0) this.delivered = n;
    }
    this.fd = openSync(this.file, existsSync(this.file) ? "r+" : "w+");
    const { validBytes, fileBytes } = this.load();
    this.truncatedBytes = fileBytes - validBytes;
    if (this.truncatedBytes > 0) {
      ftruncateSync(this.fd, validBytes);
      fsyncSync(this.fd);
      this.o.logger.warn({ file: this.file, cutBytes: this.truncatedBytes }, "syslog queue: a torn last record was cut off (the process died mid-write); the MQTT message it held was not acknowledged and comes again");
    }
    this.size = validBytes;
  }

  /** Pending messages (in flight included). */
  get length(): number {
    return this.items.length;
  }

  /** Bytes of pending messages. */
  get bytes(): number {
    return this.pendingBytes;
  }

  /** When the oldest pending message was queued. */
  get oldestAt(): number | undefined {
    return this.items[0]?.at;
  }

  /** Whether `key` was queued recently (it would be refused). */
  has(key: string): boolean {
    return this.keys.has(key);
  }

  /**
   * Queues and fsyncs one message; false (and nothing written) for a key queued recently. Makes room
   * first: the age bound, then the byte bound, oldest first.
   */
  append(key: string, msg: string): boolean {
    if (this.keys.has(key)) return false;
    const now = this.o.clock.now();
    const rec: QueuedMessage = { seq: this.nextSeq++, at: now, key, msg };
    const bytes = Buffer.byteLength(msg, "utf8");
    this.expire();
    this.makeRoom(bytes);
    const { off, len } = this.write(rec);
    this.items.push({ seq: rec.seq, at: now, off, len, bytes });
    this.pendingBytes += bytes;
    this.remember(key);
    return true;
  }

  /** Drops pending messages older than the age bound (not those in flight). */
  expire(): void {
    const cutoff = this.o.clock.now() - this.o.maxAgeMs;
    let n = 0;
    while (this.inFlight + n < this.items.length && this.items[this.inFlight + n]!.at < cutoff) n += 1;
    if (n > 0) this.dropRun(n, "age");
  }

  /** Hands the oldest `max` pending messages to the sender; they cannot be dropped until given back or delivered. */
  take(max: number): QueuedMessage[] {
    this.inFlight = Math.min(this.items.length, max);
    return this.items.slice(0, this.inFlight).map((it) => this.read(it));
  }

  /** The sender failed: what it took is pending again (and droppable). */
  giveBack(): void {
    this.inFlight = 0;
  }

  /** The collector confirmed everything up to `seq`. */
  confirm(seq: number): void {
    let n = 0;
    while (n < this.items.length && this.items[n]!.seq <= seq) {
      this.pendingBytes -= this.items[n]!.bytes;
      n += 1;
    }
    this.items = this.items.slice(n);
    this.inFlight = 0;
    if (seq > this.delivered) {
      this.delivered = seq;
      const tmp = `${this.ackFile}.tmp`;
      const fd = openSync(tmp, "w");
      writeSync(fd, `${seq}\n`);
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, this.ackFile);
    }
    this.compactIfWorthIt();
  }

  /** Drops not yet reported, or undefined. */
  unreported(): DropNotice | undefined {
    const d = this.drops;
    if (d === undefined) return undefined;
    return { id: `dropped-${d.first}-${d.through}`, full: d.full, age: d.age, firstAt: d.firstAt, lastAt: d.lastAt, through: d.through };
  }

  /** The collector confirmed the notice: those drops are reported. */
  reported(notice: DropNotice): void {
    if (this.drops === undefined || this.drops.through !== notice.through) return; // more were dropped since: keep them
    this.write({ seq: this.nextSeq++, reported: notice.through });
    this.drops = undefined;
  }

  close(): void {
    closeSync(this.fd);
  }

  // ---------------------------------------------------------------- drops

  private makeRoom(bytes: number): void {
    let n = 0;
    let freed = 0;
    while (this.inFlight + n < this.items.length && this.pendingBytes - freed + bytes > this.o.maxBytes) {
      freed += this.items[this.inFlight + n]!.bytes;
      n += 1;
    }
    if (n > 0) this.dropRun(n, "full");
  }

  /** Drops `n` pending messages right after those in flight: one record, one log line. */
  private dropRun(n: number, reason: "full" | "age"): void {
    const run = this.items.splice(this.inFlight, n);
    const body: DropBody = {
      ranges: [[run[0]!.seq, run.at(-1)!.seq]],
      full: reason === "full" ? n : 0,
      age: reason === "age" ? n : 0,
      firstAt: run[0]!.at,
      lastAt: run.at(-1)!.at,
    };
    const seq = this.nextSeq++;
    this.write({ seq, drop: body });
    for (const it of run) this.pendingBytes -= it.bytes;
    this.droppedSinceOpen += n;
    this.note(seq, body);
    this.o.logger.warn(
      { dropped: n, reason, queuedFrom: new Date(body.firstAt).toISOString(), queuedTo: new Date(body.lastAt).toISOString(), pending: this.items.length },
      reason === "full" ? "syslog queue full: the oldest messages were dropped unsent (the collector is told)" : "syslog queue: messages past the age bound were dropped unsent (the collector is told)",
    );
  }

  private note(seq: number, d: DropBody): void {
    const cur = this.drops;
    if (cur === undefined) {
      this.drops = { full: d.full, age: d.age, firstAt: d.firstAt, lastAt: d.lastAt, first: d.first ?? seq, through: seq };
      return;
    }
    cur.full += d.full;
    cur.age += d.age;
    cur.firstAt = Math.min(cur.firstAt, d.firstAt);
    cur.lastAt = Math.max(cur.lastAt, d.lastAt);
    cur.through = seq;
  }

  // ---------------------------------------------------------------- the file

  private write(body: Body): { off: number; len: number } {
    const buf = encode(body);
    const off = this.size;
    writeAll(this.fd, buf, off);
    fsyncSync(this.fd);
    this.size += buf.length;
    return { off, len: buf.length };
  }

  private read(it: Item): QueuedMessage {
    const buf = Buffer.alloc(it.len);
    readFully(this.fd, buf, it.off);
    return JSON.parse(buf.subarray(HEADER).toString("utf8")) as QueuedMessage;
  }

  private remember(key: string): void {
    this.keys.add(key);
    if (this.keys.size > KEYS_KEPT) this.keys.delete(this.keys.values().next().value as string);
  }

  private load(): { validBytes: number; fileBytes: number } {
    const fileBytes = fstatSync(this.fd).size;
    const data = Buffer.alloc(fileBytes);
    if (fileBytes > 0) readFully(this.fd, data, 0);
    const messages: Item[] = [];
    const dropped: Array<[number, number]> = [];
    let off = 0;
    while (off + HEADER <= fileBytes) {
      const len = data.readUInt32BE(off);
      if (len > MAX_RECORD || off + HEADER + len > fileBytes) break;
      const json = data.subarray(off + HEADER, off + HEADER + len);
      if (zlib.crc32(json) !== data.readUInt32BE(off + 4)) break;
      let body: Body;
      try {
        body = JSON.parse(json.toString("utf8")) as Body;
      } catch {
        break; // a checksummed body that is not JSON cannot be ours: treat it as the end
      }
      if (typeof body?.seq !== "number") break;
      const at = off;
      off += HEADER + len;
      this.nextSeq = Math.max(this.nextSeq, body.seq + 1);
      if ("msg" in body) {
        this.remember(body.key);
        if (body.seq > this.delivered) messages.push({ seq: body.seq, at: body.at, off: at, len: HEADER + len, bytes: Buffer.byteLength(body.msg, "utf8") });
      } else if ("drop" in body) {
        dropped.push(...body.drop.ranges);
        this.note(body.seq, body.drop);
      } else if ("reported" in body) {
        if (this.drops !== undefined && body.reported >= this.drops.through) this.drops = undefined;
      }
    }
    this.nextSeq = Math.max(this.nextSeq, this.delivered + 1);
    this.items = messages.filter((m) => !dropped.some(([a, b]) => m.seq >= a && m.seq <= b));
    this.pendingBytes = this.items.reduce((s, it) => s + it.bytes, 0);
    return { validBytes: off, fileBytes };
  }

  /**
   * When more than half the file (and over 64 KiB) is delivered or dropped, the pending records are
   * copied to a new file, fsync'd and renamed over the old one; unreported drops become one record.
   */
  private compactIfWorthIt(): void {
    const keepFrom = this.items[0]?.off ?? this.size;
    if (keepFrom <= this.size / 2 || keepFrom <= 64 * 1024) return;
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, "w");
    let size = 0;
    const put = (buf: Buffer) => {
      writeAll(fd, buf, size);
      size += buf.length;
    };
    // Seqs are never used twice (a drop notice's id is made of them), even once their records are gone.
    put(encode({ seq: this.nextSeq - 1, floor: true }));
    const d = this.drops;
    if (d !== undefined) put(encode({ seq: d.through, drop: { ranges: [], full: d.full, age: d.age, firstAt: d.firstAt, lastAt: d.lastAt, first: d.first } }));
    const moved = this.items.map((it) => {
      const buf = Buffer.alloc(it.len);
      readFully(this.fd, buf, it.off);
      const off = size;
      put(buf);
      return { ...it, off };
    });
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
    closeSync(this.fd);
    this.fd = openSync(this.file, "r+");
    this.items = moved;
    this.size = size;
  }
}

function encode(body: Body): Buffer {
  const json = Buffer.from(JSON.stringify(body), "utf8");
  const buf = Buffer.alloc(HEADER + json.length);
  buf.writeUInt32BE(json.length, 0);
  buf.writeUInt32BE(zlib.crc32(json), 4);
  json.copy(buf, HEADER);
  return buf;
}

function writeAll(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

function readFully(fd: number, into: Buffer, position: number): number {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
