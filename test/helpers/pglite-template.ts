/**
 * A PGlite data directory that has been through initdb and the centre's migrations, made once and
 * copied wherever a test needs a centre's record that already exists. PGlite's initdb is most of a
 * first start (about 5 s of CPU on the 2-core machine, against under 1 s to open an existing
 * directory), and tests that are not about the first start need not pay it again and again.
 *
 * The directory is kept in node_modules/.cache, named by the PGlite version and a hash of the
 * migrations, so a new PGlite or a new migration makes a new one; it is written beside and renamed
 * into place, so files running at once never see half of one. Tests about the first start itself
 * (test/centre-command.test.ts's first, test/centre-store-pglite.test.ts) still run initdb.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { centrePaths } from "../../centre/centre.js";
import { migrate } from "../../centre/db/migrate.js";
import { openPglite } from "../../centre/db/pglite.js";
import { MIGRATIONS } from "../../centre/db/schema.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

function templateDir(): string {
  const pglite = JSON.parse(readFileSync(path.join(root, "node_modules/@electric-sql/pglite/package.json"), "utf8")) as { version: string };
  const schema = createHash("sha256").update(JSON.stringify(MIGRATIONS)).digest("hex").slice(0, 12);
  return path.join(root, "node_modules/.cache/roomgate-tests", `pgdata-${pglite.version}-${schema}`);
}

let made: Promise<string> | undefined;

/** The migrated template's directory (made on first use). Copy it; never open it in place. */
export function migratedPgdata(): Promise<string> {
  made ??= (async () => {
    const dir = templateDir();
    if (existsSync(path.join(dir, "PG_VERSION"))) return dir;
    mkdirSync(path.dirname(dir), { recursive: true });
    const tmp = `${dir}.${process.pid}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    const db = await openPglite({ dataDir: tmp });
    try {
      await migrate(db, () => Date.now());
    } finally {
      await db.close();
    }
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another worker renamed its own first: use that one.
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(path.join(dir, "PG_VERSION"))) throw err;
    }
    return dir;
  })();
  return made;
}

/** Gives `stateDir` a centre record as a centre that already ran once leaves it: {stateDir}/centre/pgdata, migrated and empty. */
export async function seedCentreRecord(stateDir: string): Promise<string> {
  const paths = centrePaths(stateDir);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  cpSync(await migratedPgdata(), paths.pgdata, { recursive: true });
  return paths.pgdata;
}
