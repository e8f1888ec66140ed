/**
 * The centre's record on a PostgreSQL server (Debian's, a throw-away cluster for this file): the
 * same conformance suite as PGlite's (test/centre-store.conformance.ts), a fresh database per test.
 */
import { afterAll, beforeAll } from "vitest";
import { openPostgres } from "../centre/db/postgres.js";
import { storeConformance } from "./centre-store.conformance.js";
import { startTestPostgres, type TestPostgres } from "./helpers/postgres.js";
import { describeWith } from "./helpers/tools.js";

describeWith("postgresql")("the centre's record on PostgreSQL", () => {
  let pg: TestPostgres;
  let n = 0;
  beforeAll(async () => {
    pg = await startTestPostgres();
  }, 60_000);
  afterAll(async () => {
    await pg?.dispose();
  });
  storeConformance({ open: async () => openPostgres({ url: await pg.createDatabase(`store_${++n}`) }) });
});
