/**
 * The on-disk half of the agent's outbox: what the centre is owed survives `kill -9` and power loss.
 *
 * Storage: one append-only file of checksummed records, and a tiny "acked up to" file.
 * Why not an embedded database: the workload is a FIFO with one writer, appends at the tail and
 * acknowledgements at the head; a log with CRC'd records needs no native module, recovers from a torn
 * last write by truncating it, and is readable with a hex editor on a gateway.
 *
 * Record: u32 BE length | u32 BE crc32(body) | body (UTF-8 JSON of OutboxRecord).
 * Durability: every append is written before `append` returns, so a kill -9 loses nothing, and made
 * durable against a power cut by an fsync that runs off the event loop and covers every append since
 * the one before (group commit): a power cut can lose what was queued in the last few milliseconds
 * (one fsync's time) unless the broker had it already. The acked mark (write-temp + fsync + rename)
 * is written off the event loop too, the latest value once the write before is done; a restart
 * that finds an older mark sends those messages again (at-least-once; consumers dedupe by id).
 * Why: each command's response and audit event took two fsyncs and two renames on the event loop,
 * one of them before the response left (2-8 ms on this machine's disk, tens on an SD card;
 * docs/performance.md).
 * A record whose length or checksum does not match ends the log: it and everything after it are
 * cut off (a torn write at power loss can only be the last record).
 * Compaction: when more than half the file is acknowledged, the pending records are rewritten to a new
 * file, fsync'd and renamed over the old one.
 *
 * Drops: when the outbox is full (count or bytes) or a message grows too old, the session drops it and
 * writes a drop record (its own seq, the seqs dropped, why). Drop records make a restart forget those
 * messages too, and carry the count of drops the centre has not been told about: the drops written
 * after the last `outbox.overflow` notice in the log (the notice is itself an owed record). So the
 * count survives kill -9 until the notice is queued, and is never reported twice.
 */
import {
  close, closeSync, existsSync, fstatSync, fsync, fsyncSync, ftruncateSync, mkdirSync, open, openSync, readFileSync, readSync, rename, renameSync,
  unlink, write, writeSync,
} from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

export interface OutboxRecord {
  seq: number;
  topic: string;
  payload: Record<string, unknown>;
  /** ms epoch when it was queued (used for the age bound). */
  at: number;
}

export type DropReason = "full" | "age";

/** Messages dropped from the outbox (never sent). */
export interface DropRecord {
  seq: number;
  drop: number[];
  reason: DropReason;
  at: number;
}

/** Drops not yet reported to the centre, by reason. */
export type DropCounts = Record<DropReason, number>;

/** The event type of the notice that reports drops (an owed record like any other). */
export const OVERFLOW_EVENT = "outbox.overflow";

type LogRecord = OutboxRecord | DropRecord;

const isDrop = (r: LogRecord): r is DropRecord => Array.isArray((r as DropRecord).drop);

const HEADER = 8;
/** A record larger than this is corrupt (the agent never writes one). */
const MAX_RECORD = 1 << 20;

export class OutboxLog {
  private readonly file: string;
  private readonly ackFile: string;
  private fd: number;
  private size = 0;
  private ackedBytes = 0;
  private lastAcked = 0;
  /** Byte offset of each pending record's end, by seq (to know how much an ack frees). */
  private readonly ends = new Map<number, number>();
  /** Records dropped while reading (corrupt tail), for the caller to report. */
  readonly truncatedBytes: number;
  private readonly loaded: OutboxRecord[];
  private maxSeq = 0;
  /** Drops written after the last overflow notice: what an earlier run still owed the centre. */
  readonly unreported: DropCounts = { full: 0, age: 0 };
  /** The descriptor an fsync is running on; `unsynced`: appends since it started. */
  private syncingFd: number | undefined;
  private unsynced = false;
  /** Set when the running fsync's descriptor was replaced (compaction) or closed: closed when it ends. */
  private closeAfterSync = false;
  /** The acked mark on disk (or being written), and whether a write of it is running. */
  private markedSeq = 0;
  private marking = false;
  private closed = false;
  private readonly onError: (err: Error) => void;
  private idleWaiters: Array<() => void> = [];

  /** `onError`: a write that failed off the event loop (the owed messages stay in memory). */
  constructor(dir: string, opts: { onError?: (err: Error) => void } = {}) {
    this.onError = opts.onError ?? (() => {});
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, "outbox.log");
    this.ackFile = path.join(dir, "outbox.acked");
    if (existsSync(this.ackFile)) {
      const n = Number.parseInt(readFileSync(this.ackFile, "utf8").trim(), 10);
      if (Number.isSafeInteger(n) && n >= 0) this.lastAcked = n;
    }
    this.markedSeq = this.lastAcked;
    this.fd = openSync(this.file, existsSync(this.file) ? "r+" : "w+");
    const { records, validBytes, fileBytes } = this.scan();
    this.truncatedBytes = fileBytes - validBytes;
    if (this.truncatedBytes > 0) {
      ftruncateSync(this.fd, validBytes);
      fsyncSync(this.fd);
    }
    this.size = validBytes;
    const dropped = new Set<number>();
    const owed: OutboxRecord[] = [];
    for (const r of records) {
      this.maxSeq = Math.max(this.maxSeq, r.seq);
      if (isDrop(r)) {
        for (const s of r.drop) dropped.add(s);
        this.unreported[r.reason] += r.drop.length;
      } else {
        if ((r.payload as { type?: unknown }).type === OVERFLOW_EVENT) {
          this.unreported.full = 0;
          this.unreported.age = 0;
        }
        if (r.seq > this.lastAcked) owed.push(r);
      }
    }
    this.loaded = owed.filter((r) => !dropped.has(r.seq));
  }

  /** Records written by an earlier run and not acknowledged, oldest first. */
  pending(): OutboxRecord[] {
    return this.loaded.slice();
  }

  /** The next free sequence number (higher than anything in the log or acked). */
  nextSeq(): number {
    return Math.max(this.maxSeq, this.lastAcked) + 1;
  }

  /** Appends one owed record (fsync'd off the event loop, see the top of the file). */
  append(rec: OutboxRecord): void {
    this.write(rec);
  }

  /** Records that `seqs` were dropped (never to be sent), under the drop record's own `seq`. */
  drop(rec: DropRecord): void {
    this.write(rec);
  }

  private write(rec: LogRecord): void {
    const body = Buffer.from(JSON.stringify(rec), "utf8");
    const head = Buffer.alloc(HEADER);
    head.writeUInt32BE(body.length, 0);
    head.writeUInt32BE(zlib.crc32(body), 4);
    const buf = Buffer.concat([head, body]);
    writeSync(this.fd, buf, 0, buf.length, this.size);
    this.size += buf.length;
    this.ends.set(rec.seq, this.size);
    this.syncSoon();
  }

  /** Group commit: one fsync at a time, and one more after it if anything was appended meanwhile. */
  private syncSoon(): void {
    if (this.syncingFd !== undefined) {
      this.unsynced = true;
      return;
    }
    const fd = this.fd;
    this.syncingFd = fd;
    this.unsynced = false;
    fsync(fd, (err) => {
      this.syncingFd = undefined;
      if (this.closeAfterSync) {
        this.closeAfterSync = false;
        close(fd, () => {});
      }
      if (err) this.onError(err);
      if (this.unsynced && !this.closed) this.syncSoon();
      this.checkIdle();
    });
  }

  /** Resolves once no fsync and no acked-mark write is running (tests; a restart reads what it then finds). */
  settled(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  private checkIdle(): void {
    if (this.syncingFd !== undefined || this.marking) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Closes the current descriptor, or leaves that to the fsync running on it (its number must not be reused under it). */
  private closeFd(): void {
    if (this.syncingFd === this.fd) this.closeAfterSync = true;
    else closeSync(this.fd);
  }

  /** Marks every record up to and including `seq` as delivered (or dropped). */
  ack(seq: number): void {
    if (seq <= this.lastAcked) return;
    this.lastAcked = seq;
    for (const [s, end] of this.ends) {
      if (s > seq) break;
      this.ackedBytes = Math.max(this.ackedBytes, end);
      this.ends.delete(s);
    }
    this.markSoon();
    if (this.ackedBytes > this.size / 2 && this.ackedBytes > 64 * 1024) this.compact();
  }

  /** Writes the latest acked mark off the event loop; one write at a time, the newest value next. */
  private markSoon(): void {
    if (this.marking || this.closed || this.markedSeq >= this.lastAcked) return;
    this.marking = true;
    const seq = this.lastAcked;
    writeMark(`${this.ackFile}.tmp`, this.ackFile, seq, () => this.closed, (err) => {
      this.marking = false;
      if (err) this.onError(err);
      else this.markedSeq = Math.max(this.markedSeq, seq);
      queueMicrotask(() => this.checkIdle());
      if (this.closed) {
        // close() wrote the final mark; a rename of ours that ran after it put an older one back.
        if (!err) {
          try {
            this.writeMarkSync();
          } catch (e) {
            this.onError(e as Error);
          }
        }
        return;
      }
      if (!err) this.markSoon();
    });
  }

  private writeMarkSync(): void {
    const tmp = `${this.ackFile}.closing`;
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, `${this.lastAcked}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.ackFile);
    this.markedSeq = this.lastAcked;
  }

  /** Makes everything durable now (appends and the acked mark) and closes the file. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.syncingFd !== undefined || this.unsynced) fsyncSync(this.fd);
      if (this.marking || this.markedSeq < this.lastAcked) this.writeMarkSync();
    } finally {
      this.closeFd();
    }
  }

  /** Rewrites the unacknowledged tail into a fresh file. */
  private compact(): void {
    const tail = Buffer.alloc(this.size - this.ackedBytes);
    if (tail.length > 0) {
      const n = readFully(this.fd, tail, this.ackedBytes);
      if (n !== tail.length) return; // keep the old file; try again on the next ack
    }
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, "w");
    writeSync(fd, tail);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
    this.closeFd();
    this.fd = openSync(this.file, "r+");
    const shift = this.ackedBytes;
    for (const [s, end] of this.ends) this.ends.set(s, end - shift);
    this.size -= shift;
    this.ackedBytes = 0;
  }

  private scan(): { records: LogRecord[]; validBytes: number; fileBytes: number } {
    const fileBytes = fstatSync(this.fd).size;
    const data = Buffer.alloc(fileBytes);
    if (fileBytes > 0) readFully(this.fd, data, 0);
    const records: LogRecord[] = [];
    let off = 0;
    while (off + HEADER <= fileBytes) {
      const len = data.readUInt32BE(off);
      const crc = data.readUInt32BE(off + 4);
      if (len > MAX_RECORD || off + HEADER + len > fileBytes) break;
      const body = data.subarray(off + HEADER, off + HEADER + len);
      if (zlib.crc32(body) !== crc) break;
      let rec: LogRecord;
      try {
        rec = JSON.parse(body.toString("utf8")) as LogRecord;
      } catch {
        break; // a checksummed body that is not JSON cannot be ours: treat it as the end
      }
      off += HEADER + len;
      records.push(rec);
      if (rec.seq <= this.lastAcked) this.ackedBytes = off;
      else this.ends.set(rec.seq, off);
    }
    return { records, validBytes: off, fileBytes };
  }
}

/**
 * Writes `seq` to `file` by way of `tmp` (write, fsync, rename) with callbacks, off the event loop;
 * stops before the rename, removing `tmp`, once `cancelled()` says so.
 */
function writeMark(tmp: string, file: string, seq: number, cancelled: () => boolean, done: (err: Error | null) => void): void {
  open(tmp, "w", (err, fd) => {
    if (err) return done(err);
    write(fd, `${seq}\n`, (werr) => {
      const finish = (e: Error | null) =>
        close(fd, (cerr) => {
          const failed = e ?? cerr;
          if (failed) return done(failed);
          if (cancelled()) return unlink(tmp, () => done(null));
          rename(tmp, file, done);
        });
      if (werr) return finish(werr);
      fsync(fd, (ferr) => finish(ferr));
    });
  });
}

/** Reads `into.length` bytes at `position` (fewer only at end of file). */
function readFully(fd: number, into: Buffer, position: number): number {
  let done = 0;
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}
