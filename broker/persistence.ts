/**
 * Where the broker keeps retained messages, persistent sessions and their QoS 1 queues, and how
 * messages fan out between broker instances.
 *
 * - `level` (default, on disk in one directory): retained messages in memory (retained-index.ts),
 *   made durable in batches in a snapshot plus an append-only log (retained-log.ts); sessions
 *   (subscriptions, QoS 1 and 2 queues, wills) in aedes-persistence-level on classic-level (LevelDB)
 *   with group commit (level-commit.ts); a QoS 1 PUBACK only once the message is stored
 *   (puback-after-store.ts, via `durable`). aedes-persistence-level because it is the
 *   moscajs-maintained on-disk persistence that aedes 1.x lists as a peer (>= 9.1.2, on
 *   aedes-persistence 11, the same abstract suite as aedes' own memory store), needs no separate
 *   server, and classic-level ships prebuilt binaries for linux-x64 and linux-arm64 (no compiler on a
 *   gateway). LevelDB holds a lock: a second broker on the same directory is refused with a clear
 *   error instead of corrupting it. docs/broker.md says what a crash can lose.
 * - `memory`: aedes' own store with the retained index; nothing survives a restart.
 * - cluster (Redis): aedes-persistence-redis (the release line aedes 1.x names as its peer, 11.2)
 *   and mqemitter-redis for the fan-out, both on ioredis connections we own, so their errors are
 *   logged (not thrown) and they are closed when the broker stops.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { AedesOptions } from "aedes";
import { ClassicLevel } from "classic-level";
import memoryModule from "aedes-persistence";
import levelPersistence from "aedes-persistence-level";
import redisPersistence from "aedes-persistence-redis";
import mqemitterRedis from "mqemitter-redis";
import { Redis } from "ioredis";
import type { BrokerPersistence } from "../config/broker.js";
import type { Logger } from "../drivers/types.js";
import { withOrderedPublishSteps } from "./ordered-store.js";
import { GroupCommitLevel } from "./level-commit.js";
import type { Durable } from "./puback-after-store.js";
import { RetainedLog } from "./retained-log.js";
import type { RetainedRecord } from "./retained-records.js";
import { withRetainedIndex } from "./retained-index.js";
import { storeView } from "./store-view.js";

// A CommonJS module whose typings say `export default`: at run time the import is the factory itself.
const memoryPersistence = memoryModule as unknown as () => object;

export type PersistenceChoice = BrokerPersistence | { type: "redis"; url: string };

export interface BrokerStore {
  /**
   * On a store that keeps what it acknowledges: calls back once `packet` (just published) is on disk
   * as far as this store promises (puback-after-store.ts holds a QoS 1 PUBACK until then).
   */
  readonly durable?: Durable;
  /** What to hand Aedes.createBroker. */
  readonly aedes: Pick<AedesOptions, "persistence" | "mq">;
  /** For the log and `roomgate broker` output: `level /var/lib/roomgate/broker`, `redis host:6379`, `memory`. */
  readonly description: string;
  /** Counters for the bench and the log (what the store wrote, how often it committed). */
  stats(): Record<string, number>;
  /** Closes the store's connections or files; call after aedes has closed. Idempotent. */
  close(): Promise<void>;
}

export class StoreError extends Error {
  readonly code = "bad_config" as const;
}

/**
 * Both stores wrap their async implementation in aedes-persistence's CallBackPersistence. aedes 1.x
 * calls them without callbacks (the promise path) and sets them up with `await setup()`, which never
 * marks the wrapper "ready": so `destroy(cb)` would wait for a ready event that never comes. Without
 * a callback it returns the implementation's promise: always call it that way.
 */
type Closable = { destroy(): Promise<void> };

export async function openStore(choice: PersistenceChoice, log: Logger, stateDir: string): Promise<BrokerStore> {
  if (choice.type === "memory") {
    const persistence = withOrderedPublishSteps(withRetainedIndex(memoryPersistence() as unknown as Closable)) as unknown as Closable & NonNullable<AedesOptions["persistence"]>;
    return { aedes: { persistence }, description: "memory", stats: () => ({}), close: once(() => persistence.destroy()) };
  }
  if (choice.type === "level") return openOnDisk(path.resolve(choice.dir ?? path.join(stateDir, "broker")), log);
  const url = new URL(choice.url);
  const shown = `${url.hostname}:${url.port || 6379}${url.pathname.length > 1 ? url.pathname : ""}`;
  const connection = (role: string) => {
    // The subscriber connection sends nothing but (P)SUBSCRIBE and PING. ioredis sends a (P)SUBSCRIBE
    // as soon as TCP is up, but its own CLIENT SETINFO and INFO ready check only after a round trip:
    // by then the connection is in subscriber mode, the INFO is refused, and ioredis resets the
    // connection, dropping the subscriptions still in flight without a word. aedes' $SYS/sub/+ (the
    // instances' shared subscription index) was one: every persistent SUBSCRIBE on that instance then
    // waited forever for its SUBACK. A ready check says nothing a SUBSCRIBE needs (it works while
    // Redis loads its data), so this connection has none.
    const handshake = role === "emitter-sub" ? { enableReadyCheck: false, disableClientInfo: true } : {};
    const r = new Redis(choice.url, { lazyConnect: false, maxRetriesPerRequest: null, ...handshake });
    let lastError = "";
    r.on("error", (err: Error) => {
      // ioredis retries by itself; say so once per distinct error, not once per attempt.
      if (err.message === lastError) return;
      lastError = err.message;
      log.error({ redis: shown, role, err: err.message }, "redis connection error (retrying)");
    });
    let lost = false;
    r.on("close", () => (lost = true));
    r.on("ready", () => {
      if (lastError !== "") log.info({ redis: shown, role }, "redis connection back");
      lastError = "";
      if (!lost || role !== "emitter-sub") return;
      lost = false;
      // Redis keeps nothing for a subscriber that is not there: until this connection's channels are
      // subscribed again, what other instances publish never reaches this one. ioredis sends them
      // again just before it emits `ready`; a PING behind them is answered once Redis has them all.
      r.ping().then(
        () => log.info({ redis: shown, role }, "redis subscriptions restored"),
        (err: Error) => log.debug({ redis: shown, role, err: err.message }, "redis subscriptions not confirmed (connection lost again)"),
      );
    });
    return r;
  };
  const conns = { store: connection("persistence"), sub: connection("emitter-sub"), pub: connection("emitter-pub") };
  const persistence = withOrderedPublishSteps(redisPersistence({ conn: conns.store }) as object) as unknown as Closable & NonNullable<AedesOptions["persistence"]>;
  // matchEmptyLevels: aedes' own emitter matches `a/#` against `a` too (MQTT-4.7.1-3); keep that.
  const mq = mqemitterRedis({ subConn: conns.sub, pubConn: conns.pub, matchEmptyLevels: true }) as NonNullable<AedesOptions["mq"]>;
  // mqemitter-redis re-emits its connections' errors on `state`; unhandled, that one event would kill
  // the broker when Redis goes away. The connections' own handlers above already log them.
  (mq as unknown as { state: { on(ev: "error", fn: (err: Error) => void): void } }).state.on("error", (err) => log.debug({ err: err.message }, "redis emitter error"));
  return {
    aedes: { persistence, mq },
    description: `redis ${shown}`,
    stats: () => ({}),
    close: once(async () => {
      await persistence.destroy();
      await Promise.all(Object.values(conns).map((c) => c.quit().then(() => undefined, () => c.disconnect())));
    }),
  };
}

/**
 * The on-disk store in `dir`: sessions in LevelDB with group commit (level-commit.ts), retained
 * messages in memory and in their own snapshot and log (retained-log.ts, in `dir/retained`).
 */
async function openOnDisk(dir: string, log: Logger): Promise<BrokerStore> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const db = new ClassicLevel<string, Buffer>(dir); // the persistence passes its own value encoding per call
  try {
    await db.open();
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    throw new StoreError(`cannot open the broker's store in ${dir}: ${cause}${/lock/i.test(cause) ? " (is another broker using it?)" : ""}`);
  }
  const sessions = new GroupCommitLevel(db);
  const level = levelPersistence(sessions) as unknown as Closable & { createRetainedStreamCombi(patterns: string[]): AsyncIterable<RetainedRecord> };
  let index: { all(): Iterable<RetainedRecord> } | undefined;
  let retainedLog: RetainedLog;
  let kept: RetainedRecord[];
  try {
    ({ store: retainedLog, retained: kept } = RetainedLog.open({ dir: path.join(dir, "retained"), logger: log }, () => index?.all() ?? []));
    kept = await moveRetainedOutOfLevel(level, sessions, retainedLog, kept, log);
  } catch (err) {
    await db.close();
    throw err;
  }
  const persistence = withOrderedPublishSteps(withRetainedIndex(skipCleanSessionAcks(level), { keeper: { retained: kept, append: (r) => retainedLog.append(r) } }));
  index = persistence.retainedIndex;
  const aedesPersistence = persistence as unknown as Closable & NonNullable<AedesOptions["persistence"]>;
  return {
    aedes: { persistence: aedesPersistence },
    description: `level ${dir}`,
    // A queued QoS 1 copy is committed (synced) before the publish finishes; a retained one is in a batch.
    durable: (packet, done) => (packet.retain === true ? retainedLog.whenDurable(done) : done()),
    stats: () => {
      const s = sessions.stats();
      const r = retainedLog.stats();
      return { sessionCommits: s.commits, sessionWrites: s.writes, retained: persistence.retainedIndex.size, retainedChanges: r.changes, retainedBatches: r.batches, retainedFsyncs: r.fsyncs, retainedBytesWritten: r.bytesWritten, retainedCompactions: r.compactions, retainedLogBytes: r.logBytes, retainedSnapshotBytes: r.snapshotBytes };
    },
    close: once(async () => {
      await retainedLog.close();
      await aedesPersistence.destroy(); // closes `sessions`, which commits what is queued first
    }),
  };
}

/**
 * aedes asks the store to forget the message behind every PUBACK a subscriber sends, clean session
 * or not; LevelDB answers with a read (a native call), the memory store with a map lookup. Nothing
 * was ever stored for a clean session's deliveries (aedes stores only for persistent sessions), so
 * its PUBACKs skip the read: at the fleet load they were 8 % of a core (a monitor acknowledging
 * 2,000 health messages a second; CPU profile in docs/performance.md).
 */
function skipCleanSessionAcks<P extends object>(inner: P): P {
  const nothing = Promise.resolve(undefined);
  return storeView(inner, {
    wrap: (prop, method) => (prop === "outgoingClearMessageId" ? (client, packet) => ((client as { clean?: boolean }).clean === true ? nothing : method(client, packet)) : method),
  });
}

/**
 * Retained messages written by an earlier broker into LevelDB (one record per topic) move into the
 * retained log once, then leave LevelDB. Before the broker listens, so nothing else is written
 * meanwhile: a crash between the two steps only moves the same messages again.
 */
async function moveRetainedOutOfLevel(
  level: { createRetainedStreamCombi(patterns: string[]): AsyncIterable<RetainedRecord> },
  sessions: GroupCommitLevel,
  retainedLog: RetainedLog,
  kept: RetainedRecord[],
  log: Logger,
): Promise<RetainedRecord[]> {
  const old: RetainedRecord[] = [];
  for await (const p of level.createRetainedStreamCombi(["#", "$SYS/#"])) old.push({ topic: p.topic, payload: Buffer.from(p.payload), qos: p.qos ?? 0 });
  if (old.length === 0) return kept;
  const newer = new Set(kept.map((r) => r.topic));
  const moved = old.filter((r) => !newer.has(r.topic));
  for (const r of moved) retainedLog.append(r);
  await retainedLog.flush();
  await sessions.clear({ gte: "retained:", lt: "retained;" });
  log.info({ moved: moved.length }, "retained messages moved from LevelDB into the retained log");
  return [...moved, ...kept];
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => (p ??= fn());
}
