/**
 * The centre's record on PGlite (the embedded default): the conformance suite of
 * test/centre-store.conformance.ts, on a data directory on disk as the centre keeps it. A PGlite
 * start is seconds of CPU (initdb in WebAssembly; even loading a dump of an initialised one took
 * 0.5-0.7 s a test), so the suite opens one PGlite on a copy of the migrated template
 * (test/helpers/pglite-template.ts) and gives each test an empty database by dropping and recreating
 * the schema everything lives in: no table, index or migration row of the previous test is left.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe } from "vitest";
import type { Db } from "../centre/db/db.js";
import { openPglite } from "../centre/db/pglite.js";
import { storeConformance } from "./centre-store.conformance.js";
import { seedCentreRecord } from "./helpers/pglite-template.js";

describe("the centre's record on PGlite", () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), "roomgate-store-pglite-"));
  let shared: Db;
  beforeAll(async () => {
    shared = await openPglite({ dataDir: await seedCentreRecord(stateDir) });
  }, 60_000);
  afterAll(async () => {
    await shared?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  storeConformance({
    open: async () => {
      await shared.exec("drop schema public cascade; create schema public;");
      // The suite closes its database after each test: here that keeps the one PGlite open.
      return { ...shared, close: async () => {} };
    },
  });
});
