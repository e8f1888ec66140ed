/**
 * `roomgate centre` as a library: the database (PGlite in {stateDir}/centre/pgdata, or PostgreSQL),
 * its migrations, the anchors' signing key, the recorder, daily retention and the local API, started
 * in that order and stopped in reverse. Everything it needs is passed in (clock, logger, secrets).
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { CentreDatabase, CentreRetention } from "../config/centre.js";
import type { Clock, Logger } from "../drivers/types.js";
import { startApi, type RunningApi } from "./api.js";
import { loadOrCreateChainKey, type ChainKey } from "./chain/keys.js";
import type { Db } from "./db/db.js";
import { migrate, type MigrationResult } from "./db/migrate.js";
import { openPglite } from "./db/pglite.js";
import { openPostgres } from "./db/postgres.js";
import { takeLock, type Lock } from "./lock.js";
import { dbReader, type HistoryReader } from "./reader.js";
import { Recorder, type RecorderOptions } from "./recorder.js";
import { applyRetention, RetentionSchedule, type RetentionResult } from "./retention.js";
import type { SyslogConfig } from "../config/syslog.js";
import { createSyslogForwarder, type SyslogForwarder } from "./syslog/forwarder.js";

export interface CentreOptions {
  /** The state directory; the centre keeps its files in {stateDir}/centre. */
  stateDir: string;
  database: CentreDatabase;
  databasePassword?: string;
  broker: RecorderOptions["broker"];
  retention: CentreRetention;
  logger: Logger;
  clock: Clock;
  version: string;
  batchSize?: number;
  maxBacklog?: number;
  retryMs?: RecorderOptions["retryMs"];
  /** How often the health topic is republished while its counters change. Default 60 s. */
  healthRefreshMs?: number;
  /** First retention run after this long (then daily). Default 60 s. */
  retentionFirstInMs?: number;
  /** A database opened by the caller instead of `database` (tests: a fault-injecting wrapper). */
  db?: Db;
  /** The centre file's syslog section, its paths absolute: forwarders to the SOC's collectors (centre/syslog). */
  syslog?: SyslogConfig | undefined;
}

export interface RunningCentre {
  readonly db: Db;
  readonly recorder: Recorder;
  readonly key: ChainKey;
  readonly api: RunningApi;
  readonly migration: MigrationResult;
  readonly dir: string;
  /** Runs retention now (what the daily schedule does). */
  retainNow(): Promise<RetentionResult>;
  readonly retention: RetentionSchedule;
  /** The history questions, answered from this centre's database. */
  reader(): HistoryReader;
  /** Syslog to the SOC, when the file has a syslog section. */
  readonly syslog: SyslogForwarder | undefined;
  stop(): Promise<void>;
}

/** Where the centre keeps its files. */
export const centreDir = (stateDir: string) => path.join(stateDir, "centre");
export const centrePaths = (stateDir: string) => {
  const dir = centreDir(stateDir);
  return { dir, pgdata: path.join(dir, "pgdata"), lock: path.join(dir, "centre.lock"), socket: path.join(dir, "centre.sock") };
};

export function openDatabase(database: CentreDatabase, stateDir: string, password: string | undefined, logger?: Logger): Promise<Db> {
  if (database.type === "postgres") {
    return Promise.resolve(openPostgres({ url: database.url, ...(password === undefined ? {} : { password }), poolSize: database.poolSize, ...(logger ? { logger } : {}) }));
  }
  return openPglite({ dataDir: centrePaths(stateDir).pgdata });
}

export async function startCentre(opts: CentreOptions): Promise<RunningCentre> {
  const paths = centrePaths(opts.stateDir);
  const log = opts.logger;
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const lock: Lock = await takeLock(paths.lock, "roomgate centre");
  const undo: (() => Promise<unknown>)[] = [() => lock.release()];
  const unwind = async () => {
    for (const f of undo.reverse()) await f().catch((err: unknown) => log.warn({ err: (err as Error).message }, "while stopping"));
  };
  try {
    const db = opts.db ?? (await openDatabase(opts.database, opts.stateDir, opts.databasePassword, log));
    // A database handed in is the caller's to close.
    if (opts.db === undefined) undo.push(() => db.close());
    const migration = await migrate(db, opts.clock.now);
    if (migration.applied.length > 0) log.info({ from: migration.from, to: migration.to, database: db.where }, "database schema migrated");
    const key = await loadOrCreateChainKey(paths.dir);
    await db.query("insert into chain_keys (key_id, public_key, created_at) values ($1, $2, $3) on conflict do nothing", [key.keyId, key.publicPem, opts.clock.now()]);
    const recorder = new Recorder({
      db, broker: opts.broker, logger: log, clock: opts.clock, version: opts.version,
      ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
      ...(opts.maxBacklog === undefined ? {} : { maxBacklog: opts.maxBacklog }),
      ...(opts.retryMs === undefined ? {} : { retryMs: opts.retryMs }),
      ...(opts.healthRefreshMs === undefined ? {} : { healthRefreshMs: opts.healthRefreshMs }),
    });
    await recorder.start();
    undo.push(() => recorder.stop());
    const syslog = await startSyslog(opts, paths.dir);
    if (syslog !== undefined) undo.push(() => syslog.stop());
    const retainNow = () => applyRetention(db, opts.retention, opts.clock.now(), key, log);
    const retention = new RetentionSchedule(retainNow, opts.clock, log);
    retention.start(opts.retentionFirstInMs ?? 60_000);
    undo.push(() => retention.stop());
    const reader = dbReader(db, { now: opts.clock.now, keys: [{ pem: key.publicPem, source: `the centre's key in ${paths.dir}` }] });
    const api = await startApi(paths.socket, reader, () => ({ ...recorder.status, database: db.where, schema: migration.to, ...(syslog ? { syslog: syslog.status() } : {}) }), log);
    undo.push(() => api.close());
    log.info({ database: db.where, api: paths.socket, broker: opts.broker.url }, "roomgate centre running");
    let stopped: Promise<void> | undefined;
    return {
      db, recorder, key, api, migration, dir: paths.dir, retention, retainNow, reader: () => reader, syslog,
      stop: () => (stopped ??= unwind()),
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}

/**
 * Syslog to the SOC: its own persistent session (config.syslog.clientId) as the recorder's user, its
 * queues in {centre dir}/syslog. Apart from the recorder: a collector that is down never holds up the
 * record, and the database never holds up the SOC.
 */
async function startSyslog(opts: CentreOptions, dir: string): Promise<SyslogForwarder | undefined> {
  if (opts.syslog === undefined) return undefined;
  const b = opts.broker;
  const fwd = createSyslogForwarder({
    config: opts.syslog,
    broker: { url: b.url, username: b.username, password: b.password, ca: b.ca, keepaliveSec: b.keepaliveSec },
    stateDir: dir,
    logger: opts.logger.child({ part: "syslog" }),
    clock: opts.clock,
  });
  await fwd.start();
  return fwd;
}
