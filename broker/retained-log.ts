/**
 * Retained messages on disk, written in batches: a snapshot plus an append-only log in
 * `{store}/retained/` (record format: retained-records.ts). The broker serves retained messages from
 * memory (retained-index.ts); this only makes them survive a restart, within a stated bound.
 *
 * Why not one database write per message: each retained publish was one LevelDB write, which alone
 * doubled the broker's CPU at the fleet load (docs/performance.md). Retained messages are the current
 * truth, republished by every agent after each reconnect, so a few hundred milliseconds of them may be
 * lost in a crash; in exchange a batch costs one write() and one fdatasync(), whatever its size.
 *
 * Files, by generation G: `snapshot.G` holds every retained message as of the start of `log.G`; the
 * state is the newest complete snapshot plus every log of its generation or later, in order.
 *
 * Writing: each change is encoded at once and kept in the pending batch. The batch is written with
 * one write() when it holds `commitMessages` changes, or `commitMs` after its first change, whichever
 * comes first; an fdatasync() follows every write (one at a time: a write made while one runs is
 * covered by the next). So a `kill -9` loses at most the pending batch: fewer than `commitMessages`
 * changes, all from the last `commitMs` (plus however late the event loop ran the timer); a power cut
 * also loses what was written but not yet synced: changes from the last `commitMs` plus two
 * fdatasync() durations.
 *
 * Compaction: when the log is larger than both `compactBytes` and the snapshot, the log is closed
 * (synced first), a new one opened, and the retained messages of that moment written to
 * `snapshot.G+1.tmp` in slices (the event loop keeps running), synced and renamed; then the old
 * snapshot and log are deleted. A crash at any step leaves a readable state: the old snapshot and
 * both logs, or the new snapshot and the new log.
 *
 * Opening: leftovers (`*.tmp`, files older than the newest snapshot) are deleted; a log whose last
 * record was torn by a crash is cut at the last whole record, and the cut is logged.
 */
import { closeSync, existsSync, fdatasync, fstatSync, ftruncateSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from "node:fs";
import { open as openAsync, rename, rm } from "node:fs/promises";
import { promisify } from "node:util";
import path from "node:path";
import { systemClock } from "../drivers/clock.js";
import type { Clock, Logger, TimerHandle } from "../drivers/types.js";
import { encodeRecord, fileHeader, FILE_HEADER_BYTES, readRecords, recordBytes, writeRecord, type FileKind, type RetainedRecord } from "./retained-records.js";

export const RETAINED_DEFAULTS = { commitMs: 100, commitMessages: 1000, compactBytes: 64 * 1024 * 1024 } as const;

export interface RetainedLogOptions {
  /** The directory of the files (created). */
  dir: string;
  /** Most time a change waits before its batch is written. */
  commitMs?: number;
  /** A batch is written as soon as it holds this many changes. */
  commitMessages?: number;
  /** The log is compacted once larger than this and than the snapshot. */
  compactBytes?: number;
  logger: Logger;
  clock?: Clock;
}

export interface RetainedLogStats {
  changes: number;
  batches: number;
  bytesWritten: number;
  fsyncs: number;
  compactions: number;
  logBytes: number;
  snapshotBytes: number;
  lastCompactionMs: number;
}

const fdatasyncAsync = promisify(fdatasync);
const GEN_DIGITS = 12;
const nameOf = (kind: FileKind, gen: number) => `${kind}.${String(gen).padStart(GEN_DIGITS, "0")}`;
/** Bytes of snapshot encoded per slice before yielding to the event loop. */
const SLICE_BYTES = 1 << 20;

export class RetainedLog {
  private readonly commitMs: number;
  private readonly commitMessages: number;
  private readonly compactBytes: number;
  private readonly log: Logger;
  private readonly clock: Clock;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private timer: TimerHandle | undefined;
  private syncing = false;
  private syncAgain = false;
  /** Paused while the log is rotated, so no fdatasync runs on a file being closed. */
  private rotating: (() => void) | undefined;
  private waiters: Array<() => void> = [];
  /** Changes appended, written to the log, and covered by a finished fdatasync, counted from open. */
  private appended = 0;
  private written = 0;
  private synced = 0;
  private durableWaiters: Array<{ seq: number; done(err?: Error): void }> = [];
  private compacting: Promise<void> | undefined;
  /** While the log is rotated: batches wait for the new log. */
  private holdWrites = false;
  private compactFailedAt = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly counts: RetainedLogStats;

  private constructor(
    private readonly dir: string,
    private fd: number,
    private gen: number,
    private logBytes: number,
    snapshotBytes: number,
    private readonly current: () => Iterable<RetainedRecord>,
    opts: RetainedLogOptions,
  ) {
    this.commitMs = opts.commitMs ?? RETAINED_DEFAULTS.commitMs;
    this.commitMessages = opts.commitMessages ?? RETAINED_DEFAULTS.commitMessages;
    this.compactBytes = opts.compactBytes ?? RETAINED_DEFAULTS.compactBytes;
    this.log = opts.logger;
    this.clock = opts.clock ?? systemClock;
    this.counts = { changes: 0, batches: 0, bytesWritten: 0, fsyncs: 0, compactions: 0, logBytes, snapshotBytes, lastCompactionMs: 0 };
  }

  /**
   * Reads the retained messages kept in `opts.dir` and opens its log for appending. `current` must
   * list the retained messages held in memory when it is called (for compaction).
   */
  static open(opts: RetainedLogOptions, current: () => Iterable<RetainedRecord>): { store: RetainedLog; retained: RetainedRecord[] } {
    const dir = opts.dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const gens = { snapshot: [] as number[], log: [] as number[] };
    for (const name of readdirSync(dir)) {
      const m = /^(snapshot|log)\.(\d+)$/.exec(name);
      if (m) gens[m[1] as FileKind].push(Number(m[2]));
      else if (name.endsWith(".tmp")) rmSync(path.join(dir, name), { force: true }); // a compaction a crash cut short
    }
    const base = Math.max(0, ...gens.snapshot);
    const state = new Map<string, RetainedRecord>();
    const apply = (r: RetainedRecord) => (r.payload.length === 0 ? state.delete(r.topic) : state.set(r.topic, r));
    let snapshotBytes = 0;
    if (base > 0) {
      const file = path.join(dir, nameOf("snapshot", base));
      const data = readFileSync(file);
      const read = readRecords(data, "snapshot");
      // A snapshot is renamed into place only once complete and synced: a bad one is damage, not a crash.
      if (read.stoppedAt) opts.logger.error({ file, kept: read.records.length, why: read.stoppedAt }, "retained snapshot damaged: kept the records before the damage (the agents republish theirs when they reconnect)");
      for (const r of read.records) apply(r);
      snapshotBytes = data.length;
    }
    const logs = gens.log.filter((g) => g >= base).sort((a, b) => a - b);
    let logBytes = 0;
    for (const g of logs) {
      const file = path.join(dir, nameOf("log", g));
      const data = readFileSync(file);
      const read = readRecords(data, "log");
      for (const r of read.records) apply(r);
      if (read.stoppedAt) {
        const fd = openSync(file, "r+");
        ftruncateSync(fd, read.validBytes);
        fsyncSync(fd);
        closeSync(fd);
        opts.logger.warn({ file, cutBytes: data.length - read.validBytes, why: read.stoppedAt, records: read.records.length }, "retained log: cut off its torn end (a crash during a write)");
      }
      logBytes = read.validBytes;
    }
    for (const g of gens.snapshot) if (g < base) rmSync(path.join(dir, nameOf("snapshot", g)), { force: true });
    for (const g of gens.log) if (g < base) rmSync(path.join(dir, nameOf("log", g)), { force: true });
    const gen = Math.max(base, ...logs, 1);
    const fd = openLog(dir, gen);
    logBytes = fstatSync(fd).size;
    return { store: new RetainedLog(dir, fd, gen, logBytes, snapshotBytes, current, opts), retained: [...state.values()] };
  }

  /** A retained publish (an empty payload clears the topic). */
  append(r: RetainedRecord): void {
    if (this.closed) {
      this.log.warn({ topic: r.topic }, "retained change after the store closed: not kept");
      return;
    }
    const rec = encodeRecord(r);
    this.pending.push(rec);
    this.pendingBytes += rec.length;
    this.counts.changes += 1;
    this.appended += 1;
    if (this.pending.length >= this.commitMessages) this.writePending();
    else this.timer ??= this.clock.setTimeout(() => this.writePending(), this.commitMs);
  }

  /**
   * Resolves once every change appended so far is on disk (written and fdatasync'd: it survives a
   * power cut), at the pace of the batches: it does not hurry the batch. Rejects if that fdatasync
   * failed (the change may be lost).
   */
  durable(): Promise<void> {
    return new Promise((resolve, reject) => this.whenDurable((err) => (err ? reject(err) : resolve())));
  }

  /** durable() with a callback (called at once when there is nothing to wait for): no promise per message. */
  whenDurable(done: (err?: Error) => void): void {
    if (this.synced >= this.appended) return done();
    this.durableWaiters.push({ seq: this.appended, done });
  }

  /** Writes the pending batch now and resolves once everything written so far is on disk. */
  flush(): Promise<void> {
    this.writePending();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.requestSync();
    });
  }

  stats(): RetainedLogStats {
    return { ...this.counts, logBytes: this.logBytes };
  }

  /** Lets a running compaction finish, flushes, and closes the log. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.compacting;
      await this.flush();
      this.closed = true;
      closeSync(this.fd);
    })();
    return this.closing;
  }

  private writePending(): void {
    this.writeBatch();
    const due = Math.max(this.compactBytes, this.counts.snapshotBytes, this.compactFailedAt + this.compactBytes);
    if (this.compacting === undefined && !this.closing && this.logBytes > due) {
      this.compacting = this.compact()
        .catch((err: Error) => this.log.error({ dir: this.dir, err: err.message }, "retained log: rotation failed"))
        .finally(() => (this.compacting = undefined));
    }
  }

  private writeBatch(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0 || this.holdWrites) return; // a rotation writes it when done
    const batch = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    // Synchronous: a batch is a few hundred kB copied into the page cache, and a kill -9 right after
    // this line finds it in the file.
    writeFully(this.fd, batch, this.logBytes);
    this.written = this.appended;
    this.logBytes += batch.length;
    this.counts.batches += 1;
    this.counts.bytesWritten += batch.length;
    this.requestSync();
  }

  private requestSync(): void {
    if (this.syncing || this.rotating) {
      this.syncAgain = true;
      return;
    }
    this.syncing = true;
    this.syncAgain = false;
    const waiting = this.waiters;
    this.waiters = [];
    const upTo = this.written;
    fdatasync(this.fd, (err) => {
      this.syncing = false;
      this.counts.fsyncs += 1;
      if (err) this.log.error({ dir: this.dir, err: err.message }, "retained log: fdatasync failed (the last retained changes may not survive a power cut)");
      this.settleDurable(upTo, err ?? undefined);
      for (const w of waiting) w();
      if (this.rotating) this.rotating();
      else if (this.syncAgain || this.waiters.length > 0) this.requestSync();
    });
  }

  private settleDurable(upTo: number, err?: Error): void {
    if (err === undefined) this.synced = Math.max(this.synced, upTo);
    let n = 0;
    while (n < this.durableWaiters.length && this.durableWaiters[n]!.seq <= upTo) n++;
    if (n === 0) return;
    const done = this.durableWaiters.splice(0, n);
    for (const w of done) w.done(err);
  }

  private async compact(): Promise<void> {
    const started = this.clock.now();
    // No fdatasync may run on the log while it is closed: wait for the one running, start no other.
    await new Promise<void>((resolve) => {
      this.rotating = resolve;
      if (!this.syncing) resolve();
    });
    this.rotating = undefined;
    // The log's last batch, synced before it is closed; changes made meanwhile wait for the new log.
    this.writeBatch();
    this.holdWrites = true;
    const upTo = this.written;
    try {
      await fdatasyncAsync(this.fd);
    } catch (err) {
      this.holdWrites = false;
      this.settleDurable(upTo, err as Error);
      throw err;
    }
    this.counts.fsyncs += 1;
    this.settleDurable(upTo);
    // From here to the snapshot's first await nothing else runs: the rotation is atomic for the broker.
    closeSync(this.fd);
    const from = this.gen;
    this.gen = from + 1;
    this.fd = openLog(this.dir, this.gen);
    this.logBytes = FILE_HEADER_BYTES;
    this.holdWrites = false;
    const records = [...this.current()];
    this.writeBatch();
    if (this.syncAgain || this.waiters.length > 0) this.requestSync();
    const tmp = path.join(this.dir, `${nameOf("snapshot", this.gen)}.tmp`);
    try {
      const bytes = await writeSnapshot(tmp, records);
      await rename(tmp, path.join(this.dir, nameOf("snapshot", this.gen)));
      await syncDirAsync(this.dir);
      await rm(path.join(this.dir, nameOf("snapshot", from)), { force: true });
      await rm(path.join(this.dir, nameOf("log", from)), { force: true });
      this.counts.snapshotBytes = bytes;
      this.counts.compactions += 1;
      this.counts.lastCompactionMs = this.clock.now() - started;
      this.compactFailedAt = 0;
      this.log.info({ dir: this.dir, generation: this.gen, retained: records.length, bytes, ms: this.counts.lastCompactionMs }, "retained log compacted into a snapshot");
    } catch (err) {
      await rm(tmp, { force: true });
      this.compactFailedAt = this.logBytes;
      // The old snapshot and both logs still hold everything; try again once the log has grown.
      this.log.error({ dir: this.dir, err: (err as Error).message }, "retained log: compaction failed, kept the log");
    }
  }
}

/** Opens `log.gen` for appending, creating it (with its header, synced with its directory) if needed. */
function openLog(dir: string, gen: number): number {
  const file = path.join(dir, nameOf("log", gen));
  const fd = openSync(file, existsSync(file) ? "r+" : "wx+", 0o600);
  if (fstatSync(fd).size < FILE_HEADER_BYTES) {
    ftruncateSync(fd, 0);
    writeFully(fd, fileHeader("log"), 0);
    fsyncSync(fd);
    syncDir(dir);
  }
  return fd;
}

async function writeSnapshot(file: string, records: readonly RetainedRecord[]): Promise<number> {
  const fh = await openAsync(file, "w", 0o600);
  try {
    let written = 0;
    let chunk: Buffer[] = [fileHeader("snapshot")];
    let chunkBytes = FILE_HEADER_BYTES;
    const flushChunk = async () => {
      const buf = Buffer.concat(chunk, chunkBytes);
      for (let at = 0; at < buf.length; ) at += (await fh.write(buf, at, buf.length - at, written + at)).bytesWritten;
      written += buf.length;
      chunk = [];
      chunkBytes = 0;
    };
    for (const r of records) {
      const rec = Buffer.allocUnsafe(recordBytes(r));
      writeRecord(r, rec, 0);
      chunk.push(rec);
      chunkBytes += rec.length;
      if (chunkBytes >= SLICE_BYTES) await flushChunk();
    }
    await flushChunk();
    await fh.datasync();
    return written;
  } finally {
    await fh.close();
  }
}

function writeFully(fd: number, buf: Buffer, position: number): void {
  for (let at = 0; at < buf.length; ) at += writeSync(fd, buf, at, buf.length - at, position + at);
}

async function syncDirAsync(dir: string): Promise<void> {
  const h = await openAsync(dir, "r");
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Makes a file's creation or rename in `dir` durable. */
function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
