/**
 * The centre's record on PGlite (the embedded default): the conformance suite of
 * test/centre-store.conformance.ts. PGlite's initdb takes seconds, so the suite clones one
 * initialised database (PGlite's dumpDataDir/loadDataDir) for each test instead of running it each time.
 */
import { beforeAll, describe } from "vitest";
import { openPglite } from "../centre/db/pglite.js";
import { storeConformance } from "./centre-store.conformance.js";

describe("the centre's record on PGlite", () => {
  let template: Blob;
  beforeAll(async () => {
    const db = await openPglite();
    template = await db.pglite.dumpDataDir("none");
    await db.close();
  }, 60_000);
  storeConformance({ open: () => openPglite({ loadDataDir: template }) });
});
