/**
 * The LevelDB database aedes-persistence-level writes its sessions into (subscriptions, the QoS 1
 * and 2 queues of persistent sessions, wills), with group commit: every write made while another is
 * on its way to disk joins the next batch, and each batch is one LevelDB write with `sync: true` (one
 * fdatasync of its log). A write's promise settles once its batch is on disk, so what aedes stores
 * before it acknowledges (a SUBACK, a queued QoS 1 message once puback-after-store.ts holds the
 * PUBACK until then) survives a power cut, for one fdatasync per batch rather than per message.
 *
 * Plain LevelDB writes (what aedes-persistence-level does on its own) reach the operating system
 * but not the disk: they survive `kill -9`, not a power cut.
 *
 * Only the calls aedes-persistence-level makes are offered: put, del, batch (array or chained), get,
 * clear, values, close. Reads see the writes not yet committed; `clear` and iterators first wait for
 * them to commit.
 */
import type { ClassicLevel } from "classic-level";

type Op = { type: "put"; key: string; value: Buffer } | { type: "del"; key: string };

interface ChainedBatch {
  put(key: string, value: Buffer): ChainedBatch;
  del(key: string): ChainedBatch;
  write(): Promise<void>;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export interface GroupCommitStats {
  commits: number;
  writes: number;
}

const BUFFERS = { valueEncoding: "buffer" } as const;

export class GroupCommitLevel {
  private queued: Op[] = [];
  private waiters: Waiter[] = [];
  private scheduled = false;
  private inFlight: Promise<void> | undefined;
  /** The last uncommitted write of each key (value undefined: deleted). */
  private readonly overlay = new Map<string, { op: Op; value: Buffer | undefined }>();
  private readonly counts: GroupCommitStats = { commits: 0, writes: 0 };

  constructor(
    private readonly db: ClassicLevel<string, Buffer>,
    private readonly sync = true,
  ) {}

  put(key: string, value: Buffer, _opts?: unknown): Promise<void> {
    return this.enqueue([{ type: "put", key, value }]);
  }

  del(key: string, _opts?: unknown): Promise<void> {
    return this.enqueue([{ type: "del", key }]);
  }

  batch(ops: Op[], opts?: unknown): Promise<void>;
  batch(): ChainedBatch;
  batch(ops?: Op[], _opts?: unknown): Promise<void> | ChainedBatch {
    if (ops !== undefined) return this.enqueue(ops.map((o): Op => (o.type === "put" ? { type: "put", key: o.key, value: o.value } : { type: "del", key: o.key })));
    const chained: Op[] = [];
    const chain: ChainedBatch = {
      put: (key: string, value: Buffer) => (chained.push({ type: "put", key, value }), chain),
      del: (key: string) => (chained.push({ type: "del", key }), chain),
      write: () => this.enqueue(chained),
    };
    return chain;
  }

  async get(key: string, opts?: unknown): Promise<Buffer | undefined> {
    const pending = this.overlay.get(key);
    if (pending !== undefined) return pending.value;
    return (await this.db.get(key, (opts ?? BUFFERS) as typeof BUFFERS)) as Buffer | undefined;
  }

  async clear(range: { gte: string; lt: string }): Promise<void> {
    await this.settled();
    await this.db.clear(range);
  }

  values(opts: Record<string, unknown>): AsyncIterable<Buffer> {
    const db = this.db;
    const settled = () => this.settled();
    return (async function* () {
      await settled();
      yield* db.values(opts as typeof BUFFERS) as AsyncIterable<Buffer>;
    })();
  }

  stats(): GroupCommitStats {
    return { ...this.counts };
  }

  async close(): Promise<void> {
    await this.settled();
    await this.db.close();
  }

  /**
   * Resolves once every write made so far is committed (whether it succeeded or not). Writes made
   * after the call are not waited for: under a steady stream of writes a reader would wait forever.
   */
  settled(): Promise<void> {
    // Batches commit in order: the queued writes go in the next one, after the one in flight.
    if (this.queued.length > 0) return this.enqueue([]).catch(noop);
    return this.inFlight?.catch(noop) ?? Promise.resolve();
  }

  private enqueue(ops: Op[]): Promise<void> {
    for (const op of ops) this.overlay.set(op.key, { op, value: op.type === "put" ? op.value : undefined });
    this.queued.push(...ops);
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.scheduled && this.inFlight === undefined) {
      this.scheduled = true;
      // The writes of the packets read in this turn of the event loop share the batch.
      setImmediate(() => this.commit());
    }
    return p;
  }

  private commit(): void {
    this.scheduled = false;
    if (this.inFlight !== undefined || this.queued.length === 0) return;
    const ops = this.queued;
    const waiters = this.waiters;
    this.queued = [];
    this.waiters = [];
    const forget = () => {
      for (const op of ops) if (this.overlay.get(op.key)?.op === op) this.overlay.delete(op.key);
    };
    this.inFlight = this.db.batch(ops, { ...BUFFERS, sync: this.sync }).then(
      () => {
        this.counts.commits += 1;
        this.counts.writes += ops.length;
        forget();
        for (const w of waiters) w.resolve();
      },
      (err: Error) => {
        forget();
        for (const w of waiters) w.reject(err);
      },
    );
    void this.inFlight.finally(() => {
      this.inFlight = undefined;
      if (this.queued.length > 0) this.commit();
    });
  }
}

function noop(): void {}
