/**
 * A PostgreSQL server through `pg`: a small pool (one connection writes, the others answer history
 * queries). The password comes from the centre file's passwordFile, else pg's own $PGPASSWORD and
 * ~/.pgpass; never from the URL (config/centre.ts refuses one there).
 */
import pg from "pg";
import type { Logger } from "../../drivers/types.js";
import type { Db, Param, Row, Sql } from "./db.js";

const INT8 = 20;
const NUMERIC = 1700;
const typeParsers = {
  getTypeParser: ((oid: number, format?: "text" | "binary") => {
    if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  }) as pg.CustomTypesConfig["getTypeParser"],
};

export interface PostgresOptions {
  url: string;
  password?: string;
  poolSize?: number;
  logger?: Logger;
  /** Gives up a connection attempt after this long (the recorder then retries with backoff). */
  connectTimeoutMs?: number;
}

export function openPostgres(opts: PostgresOptions): Db & { readonly pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: opts.url,
    ...(opts.password === undefined ? {} : { password: opts.password }),
    max: opts.poolSize ?? 4,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    types: typeParsers,
    application_name: "roomgate-centre",
  });
  // An idle connection that the server drops emits here; without a listener it would end the process.
  pool.on("error", (err) => opts.logger?.warn({ err: err.message }, "database connection lost"));
  const wrap = (c: pg.Pool | pg.PoolClient): Sql => ({
    query: async <T extends object = Row>(text: string, params: readonly Param[] = []) => (await c.query<T & pg.QueryResultRow>(text, [...params])).rows,
    exec: async (text: string) => {
      await c.query(text);
    },
  });
  const sql = wrap(pool);
  const u = new URL(opts.url);
  return {
    kind: "postgres",
    where: `postgres ${decodeURIComponent(u.username)}@${u.hostname}:${u.port || "5432"}${u.pathname}`,
    pool,
    query: sql.query,
    exec: sql.exec,
    transaction: async (fn) => {
      const client = await pool.connect();
      let broken: Error | undefined;
      // The server going away mid-transaction is emitted on the client too; the failing query reports it.
      const onError = (err: Error) => {
        broken = err;
      };
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const out = await fn(wrap(client));
        await client.query("COMMIT");
        return out;
      } catch (err) {
        try {
          await client.query("ROLLBACK");
        } catch (rollback) {
          // The connection itself failed: it must not go back to the pool.
          broken = rollback as Error;
        }
        throw err;
      } finally {
        client.off("error", onError);
        client.release(broken);
      }
    },
    close: async () => {
      await pool.end();
    },
  };
}
