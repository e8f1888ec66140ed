/**
 * Where `roomgate history` and `roomgate report` read the record from: PostgreSQL directly
 * (--database, or the centre file's); else PGlite through the running centre's local API; else, no
 * centre running, PGlite's files directly under the centre's lock (so a centre cannot start on them
 * meanwhile). A reader never migrates: a database no centre has written, or one newer than this
 * roomgate knows, is refused with what to do.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { centrePaths } from "../centre/centre.js";
import type { Db } from "../centre/db/db.js";
import { schemaVersion } from "../centre/db/migrate.js";
import { openPglite } from "../centre/db/pglite.js";
import { openPostgres } from "../centre/db/postgres.js";
import { MIGRATIONS } from "../centre/db/schema.js";
import { takeLock } from "../centre/lock.js";
import { apiAnswers, apiReader, dbReader, type GivenKey, type HistoryReader } from "../centre/reader.js";
import { loadCentreConfig } from "../config/load.js";
import { defaultStateDir } from "./agent.js";
import { databaseArg } from "./centre.js";
import { UsageError } from "./args.js";
import { centreConfigSchema } from "../config/centre.js";

export interface ReadFrom {
  config?: string | undefined;
  database?: string | undefined;
  "state-dir"?: string | undefined;
}

async function checkSchema(db: Db, where: string): Promise<void> {
  const v = await schemaVersion(db);
  const known = MIGRATIONS.at(-1)!.version;
  if (v === 0) throw Object.assign(new Error(`${where} holds no record yet: start roomgate centre on it first`), { code: "no_record" });
  if (v > known) throw Object.assign(new Error(`${where} has schema version ${v}, newer than this roomgate knows (${known}): use a newer roomgate`), { code: "schema_too_new" });
}

/** The centre's public key from its state dir, when it is there (anchors are checked with it). */
async function stateDirKey(stateDir: string): Promise<GivenKey[]> {
  const file = `${centrePaths(stateDir).dir}/chain-key.pub.pem`;
  try {
    return [{ pem: await readFile(file, "utf8"), source: file }];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

export async function openReader(from: ReadFrom): Promise<HistoryReader> {
  const file = from.config !== undefined ? await loadCentreConfig(from.config) : undefined;
  const stateDir = from["state-dir"] ?? file?.stateDir ?? defaultStateDir();
  const database = databaseArg(from.database, file?.database ?? centreConfigSchema.parse({}).database);
  const keys = await stateDirKey(stateDir);
  const now = () => Date.now();
  if (database.type === "postgres") {
    const password = file?.secrets.databasePassword;
    const db = openPostgres({ url: database.url, ...(password === undefined ? {} : { password }), poolSize: 2 });
    try {
      await checkSchema(db, db.where);
    } catch (err) {
      await db.close();
      throw err;
    }
    return dbReader(db, { now, keys, onClose: () => db.close() });
  }
  const paths = centrePaths(stateDir);
  if (await apiAnswers(paths.socket)) return apiReader(paths.socket);
  if (!existsSync(paths.pgdata)) {
    throw new UsageError(`no record in ${paths.dir}: run roomgate centre there first, or name the database (--database, --config, --state-dir)`);
  }
  const lock = await takeLock(paths.lock, "roomgate history (reading PGlite)");
  let db: Db;
  try {
    db = await openPglite({ dataDir: paths.pgdata });
    await checkSchema(db, paths.pgdata);
  } catch (err) {
    await lock.release();
    throw err;
  }
  return dbReader(db, {
    now,
    keys,
    onClose: async () => {
      await db.close();
      await lock.release();
    },
  });
}
