/**
 * The centre-ingest bench (bench/centre-ingest.ts) in a tiny configuration, as a reader would run it:
 * the compiled bench (dist/, built by `npm test`), broker in its own process, into PGlite and (with
 * Debian's postgresql) a throw-away PostgreSQL cluster. Plumbing only: every message of the steady
 * load and of the burst committed, lag percentiles present, the report over every seeded device, one
 * JSON line and the table. No figure is asserted (docs/performance.md has a full run's).
 */
import { expect } from "vitest";
import { runBench } from "./helpers/bench.js";
import { migratedPgdata } from "./helpers/pglite-template.js";
import { itWith } from "./helpers/tools.js";

const TINY = ["--agents", "10", "--devices", "2", "--duration", "1", "--burst", "200", "--report-sites", "10", "--report-days", "2", "--drain-s", "30"];

interface DbResult {
  steady: { sent: number; keptUp: boolean; lagMs: { n: number; p99: number } };
  burst: { events: number; perSec: number };
  report: { devices: number; healthRows: number; reportMs: number };
}

function plumbing(r: DbResult): void {
  expect(r.steady.keptUp).toBe(true);
  expect(r.steady.lagMs.n).toBe(r.steady.sent);
  expect(Number.isFinite(r.steady.lagMs.p99)).toBe(true);
  expect(r.burst.events).toBe(200);
  expect(r.burst.perSec).toBeGreaterThan(0);
  // 10 sites x 10 devices: one row before the month and 2 a day for 2 days each.
  expect(r.report).toMatchObject({ devices: 100, healthRows: 100 * 5 });
  expect(Number.isFinite(r.report.reportMs)).toBe(true);
}

itWith("postgresql")("records a tiny fleet's load and burst into PGlite and PostgreSQL, and times the report on both", async () => {
  // Both PGlites start from the tests' migrated template (a first start's initdb is what
  // test/centre-command.test.ts proves; here it would be seconds of CPU for the bench's plumbing).
  const run = await runBench("centre-ingest", [...TINY, "--pglite-seed", await migratedPgdata()], 150_000);
  expect(run.code, run.stderr).toBe(0);
  expect(run.json).toMatchObject({ bench: "centre-ingest", params: { databases: ["pglite", "postgres"] } });
  plumbing(run.json.results.pglite as DbResult);
  plumbing(run.json.results.postgres as DbResult);
  expect(run.stderr).toMatch(/^database\s+offered\/s\s+committed\/s\s+lag p50 ms/m);
}, 180_000);
