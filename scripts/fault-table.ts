/**
 * The fault-scenario table of docs/reliability.md, produced from a real run (issue 9, item 6).
 *
 * Each scenario in test/faults/*.fault.test.ts appends one JSON line of figures to the file named by
 * FAULT_REPORT (see test/faults/report.ts); vitest's JSON reporter says whether its test passed.
 * This program runs the suite with both set, joins them, and prints a markdown table:
 *
 *   node dist/scripts/fault-table.js                 run test/faults, print the table
 *   node dist/scripts/fault-table.js --out FILE      also write it to FILE
 *   node dist/scripts/fault-table.js --into DOC      put it into DOC between the fault-table markers
 *                                                    (or in place of the FAULT_TABLE_PLACEHOLDER line)
 *   node dist/scripts/fault-table.js --figures F --results R   only format an earlier run
 *
 * Exit code 1 when a scenario failed or wrote no figures, so CI can use it as well.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** One scenario's figures, as written by the scenario itself. */
export interface FaultRow {
  /** Short key, e.g. "a"; rows are sorted by it. */
  scenario: string;
  title: string;
  /** The test file (basename) that wrote the row. */
  file: string;
  /** Events: ids that had to arrive, ids that did, ids that never did, extra copies, out-of-order. */
  expected: number;
  received: number;
  lost: number;
  duplicates: number;
  /** Extra copies of the message in flight at a cut (allowed: at-least-once), not in `duplicates`. */
  resent?: number;
  orderViolations: number;
  /** Command responses: expected (one per command sent), received, lost, extra copies. */
  responses: { expected: number; received: number; lost: number; duplicates: number };
  /** Final retained health, e.g. `cam ok, tick ok`. */
  finalHealth: string;
  /** Whether the final health is what the scenario requires. */
  healthOk: boolean;
}

/** Test-file basename -> passed (every test in it) or not. */
export type FileResults = Record<string, boolean>;

/** Reads vitest's `--reporter=json` output into per-file pass/fail. */
export function fileResults(vitestJson: unknown): FileResults {
  const out: FileResults = {};
  const results = (vitestJson as { testResults?: { name: string; status: string; assertionResults?: { status: string }[] }[] }).testResults ?? [];
  for (const r of results) {
    const tests = r.assertionResults ?? [];
    out[path.basename(r.name)] = r.status === "passed" && tests.length > 0 && tests.every((t) => t.status === "passed");
  }
  return out;
}

/** The last row written for each scenario (a rerun overwrites), sorted by scenario key. */
export function parseFigures(jsonl: string): FaultRow[] {
  const rows = new Map<string, FaultRow>();
  for (const line of jsonl.split("\n")) {
    if (line.trim() === "") continue;
    const row = JSON.parse(line) as FaultRow;
    rows.set(row.scenario, row);
  }
  return [...rows.values()].sort((a, b) => a.scenario.localeCompare(b.scenario));
}

const clean = (r: FaultRow): boolean =>
  r.lost === 0 && r.duplicates === 0 && r.orderViolations === 0 && r.received === r.expected &&
  r.responses.lost === 0 && r.responses.duplicates === 0 && r.healthOk;

/**
 * The markdown table. A row passes only when its test passed and its own figures are clean; a
 * fault test file that wrote no figures gets a failing row of its own.
 */
export function formatTable(rows: readonly FaultRow[], results: FileResults): { table: string; ok: boolean } {
  const lines = [
    "| scenario | events expected | received | lost | duplicates | out of order | responses (got/expected) | final health | result |",
    "|---|---:|---:|---:|---:|---:|---:|---|---|",
  ];
  let ok = true;
  for (const r of rows) {
    const pass = results[r.file] === true && clean(r);
    ok &&= pass;
    const res = `${r.responses.received}/${r.responses.expected}${r.responses.duplicates > 0 ? ` (+${r.responses.duplicates} dup)` : ""}`;
    lines.push(`| ${r.scenario}. ${r.title} | ${r.expected} | ${r.received} | ${r.lost} | ${r.duplicates}${r.resent ? ` (+${r.resent} in flight at a cut, resent)` : ""} | ${r.orderViolations} | ${res} | ${r.finalHealth} | ${pass ? "pass" : "FAIL"} |`);
  }
  const reported = new Set(rows.map((r) => r.file));
  for (const file of Object.keys(results).sort()) {
    if (!file.endsWith(".fault.test.ts") || reported.has(file)) continue;
    ok = false;
    lines.push(`| ${file} (no figures written) | - | - | - | - | - | - | - | FAIL |`);
  }
  return { table: `${lines.join("\n")}\n`, ok };
}

export const TABLE_START = "<!-- fault-table:start (npm run faults:table) -->";
export const TABLE_END = "<!-- fault-table:end -->";
const PLACEHOLDER = "FAULT_TABLE_PLACEHOLDER";

/** `doc` with the table between the markers (added where the placeholder line was, the first time). */
export function placeTable(doc: string, table: string): string {
  const block = `${TABLE_START}\n${table}${TABLE_END}`;
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  if (start >= 0 && end > start) return doc.slice(0, start) + block + doc.slice(end + TABLE_END.length);
  const lines = doc.split("\n");
  const at = lines.findIndex((l) => l.trim() === PLACEHOLDER);
  if (at < 0) throw new Error(`no ${PLACEHOLDER} line and no fault-table markers in the document`);
  lines[at] = block;
  return lines.join("\n");
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Runs test/faults under vitest with FAULT_REPORT and a JSON report; returns both file paths. */
function runSuite(root: string, dir: string): { figures: string; results: string; status: number } {
  const figures = path.join(dir, "figures.jsonl");
  const results = path.join(dir, "vitest.json");
  writeFileSync(figures, "");
  const vitest = path.join(root, "node_modules/vitest/vitest.mjs");
  const run = spawnSync(
    process.execPath,
    [vitest, "run", "test/faults/", "--reporter=default", "--reporter=json", `--outputFile.json=${results}`],
    { cwd: root, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, FAULT_REPORT: figures } },
  );
  return { figures, results, status: run.status ?? 1 };
}

function main(args: string[]): number {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
  let figures = argValue(args, "--figures");
  let results = argValue(args, "--results");
  let tmp: string | undefined;
  try {
    if (figures === undefined || results === undefined) {
      tmp = mkdtempSync(path.join(tmpdir(), "roomgate-faults-"));
      ({ figures, results } = runSuite(root, tmp));
    }
    const rows = existsSync(figures) ? parseFigures(readFileSync(figures, "utf8")) : [];
    const fileRes = existsSync(results) ? fileResults(JSON.parse(readFileSync(results, "utf8"))) : {};
    const { table, ok } = formatTable(rows, fileRes);
    process.stdout.write(`\n${table}`);
    const out = argValue(args, "--out");
    if (out !== undefined) writeFileSync(out, table);
    const into = argValue(args, "--into");
    if (into !== undefined) writeFileSync(into, placeTable(readFileSync(into, "utf8"), table));
    return ok && rows.length > 0 ? 0 : 1;
  } finally {
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
