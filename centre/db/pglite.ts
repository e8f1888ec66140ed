/**
 * PGlite: PostgreSQL compiled to WebAssembly, from the npm package on disk (no native build, nothing
 * downloaded). On disk in a directory, or in memory for tests. One process only: the centre takes a
 * lock file beside the data directory (centre/lock.ts) and the CLI reads through the running centre.
 */
import { PGlite, types } from "@electric-sql/pglite";
import type { Db, Param, Row, Sql } from "./db.js";

const PARSERS = {
  [types.INT8]: (v: string) => Number(v),
  [types.NUMERIC]: (v: string) => Number(v),
};

export interface PgliteOptions {
  /** A directory (created if absent), or undefined for memory. */
  dataDir?: string;
  /** Start from a dump (PGlite.dumpDataDir): tests clone an initialised database instead of running initdb each time. */
  loadDataDir?: Blob;
}

export async function openPglite(opts: PgliteOptions = {}): Promise<Db & { readonly pglite: PGlite }> {
  const pglite = await PGlite.create({
    ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
    ...(opts.loadDataDir === undefined ? {} : { loadDataDir: opts.loadDataDir }),
    parsers: PARSERS,
  });
  const wrap = (q: { query: PGlite["query"]; exec: PGlite["exec"] }): Sql => ({
    query: async <T extends object = Row>(text: string, params: readonly Param[] = []) => (await q.query<T>(text, [...params])).rows,
    exec: async (text: string) => {
      await q.exec(text);
    },
  });
  const sql = wrap(pglite);
  return {
    kind: "pglite",
    where: `pglite ${opts.dataDir ?? "(memory)"}`,
    pglite,
    query: sql.query,
    exec: sql.exec,
    transaction: (fn) => pglite.transaction((tx) => fn(wrap(tx))),
    close: async () => {
      if (!pglite.closed) await pglite.close();
    },
  };
}
