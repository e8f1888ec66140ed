/**
 * Versioned schema migrations. `schema_migrations` lists the versions applied; each migration runs in
 * its own transaction with its row in that table, so it is applied whole or not at all. Two centres
 * starting together on one PostgreSQL serialise on an advisory lock. A database whose schema is newer
 * than this centre knows is refused (`schema_too_new`): an older centre must not write into a schema
 * it does not understand.
 */
import type { Db } from "./db.js";
import { MIGRATIONS, type Migration } from "./schema.js";

/** Any number, the same in every roomgate centre: the key of the migration lock. */
const MIGRATION_LOCK = 7_266_823_301;

export class SchemaError extends Error {
  constructor(
    readonly code: "schema_too_new",
    message: string,
  ) {
    super(message);
    this.name = "SchemaError";
  }
}

export interface MigrationResult {
  from: number;
  to: number;
  applied: number[];
}

export async function schemaVersion(db: Pick<Db, "query">): Promise<number> {
  const exists = await db.query<{ ok: boolean }>("select to_regclass('schema_migrations') is not null as ok");
  if (!exists[0]?.ok) return 0;
  const rows = await db.query<{ v: number | null }>("select max(version) as v from schema_migrations");
  return rows[0]?.v ?? 0;
}

export async function migrate(db: Db, now: () => number, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationResult> {
  const known = Math.max(0, ...migrations.map((m) => m.version));
  await db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await tx.exec("create table if not exists schema_migrations (version integer primary key, name text not null, applied_at bigint not null)");
  });
  const from = await schemaVersion(db);
  if (from > known) {
    throw new SchemaError("schema_too_new", `the database's schema is version ${from}, newer than this centre knows (${known}): run a roomgate at least as new as the one that wrote it`);
  }
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= from) continue;
    const did = await db.transaction(async (tx) => {
      await tx.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      // Another centre may have applied it while this one waited for the lock.
      if ((await tx.query("select 1 from schema_migrations where version = $1", [m.version])).length > 0) return false;
      await tx.exec(m.sql);
      await tx.query("insert into schema_migrations (version, name, applied_at) values ($1, $2, $3)", [m.version, m.name, now()]);
      return true;
    });
    if (did) applied.push(m.version);
  }
  return { from, to: Math.max(from, ...applied), applied };
}
