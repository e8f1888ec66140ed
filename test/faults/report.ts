/**
 * Each scenario's figures: asserted by the scenario, and appended as one JSON line to the file named
 * by FAULT_REPORT (when set) for `scripts/fault-table.ts`, which turns them into the table of
 * docs/reliability.md. Written before the assertions, so a failing scenario still shows its numbers.
 */
import { appendFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, onTestFailed } from "vitest";
import type { FaultRow } from "../../scripts/fault-table.js";
import type { Analysis, Recorder } from "./recorder.js";

export interface ScenarioResult {
  analysis: Analysis;
  /** Device -> retained health a late subscriber finds. */
  health: Record<string, { status: string; code?: string }>;
  row: FaultRow;
}

const written = new Set<string>();

function writeRow(row: FaultRow): void {
  written.add(row.scenario);
  const file = process.env.FAULT_REPORT;
  if (file !== undefined && file !== "") appendFileSync(file, `${JSON.stringify(row)}\n`);
}

function rowOf(meta: { scenario: string; title: string; file: string }, analysis: Analysis, finalHealth: string, healthOk: boolean): FaultRow {
  return {
    scenario: meta.scenario,
    title: meta.title,
    file: path.basename(fileURLToPath(meta.file)),
    expected: analysis.expected,
    received: analysis.received,
    lost: analysis.lost.length,
    duplicates: analysis.duplicates.length,
    ...(analysis.resent.length > 0 ? { resent: analysis.resent.length } : {}),
    orderViolations: analysis.orderViolations.length + analysis.badEvents.length,
    responses: {
      expected: analysis.responses.expected,
      received: analysis.responses.received,
      lost: analysis.responses.lost.length,
      duplicates: analysis.responses.duplicates.length,
    },
    finalHealth,
    healthOk,
  };
}

/**
 * Call at the start of a scenario: if it fails before `finishScenario`, the figures seen so far are
 * still written (title marked with the failure), so the table shows what went wrong.
 */
export function figuresOnFailure(meta: { scenario: string; title: string; file: string; recorder: () => Recorder | undefined }): void {
  onTestFailed(({ task }) => {
    if (written.has(meta.scenario)) return;
    const rec = meta.recorder();
    const reason = (task.result?.errors?.[0]?.message ?? "failed").split("\n")[0]!.replace(/; last seen:.*$/, "").slice(0, 90);
    const empty: Analysis = { expected: 0, received: 0, lost: [], duplicates: [], resent: [], orderViolations: [], badEvents: [], responses: { expected: 0, received: 0, lost: [], duplicates: [] } };
    writeRow(rowOf({ ...meta, title: `${meta.title} (failed: ${reason.replace(/\|/g, "/")})` }, rec ? rec.analyse() : empty, "not reached", false));
  });
}

/**
 * Analyses the recorder, reads the retained health, writes the row, then asserts: zero lost, zero
 * duplicated, nothing out of order, one response per command, and `wantHealth` for every device.
 */
export async function finishScenario(opts: {
  scenario: string;
  title: string;
  /** `import.meta.url` of the scenario file. */
  file: string;
  recorder: Recorder;
  brokerUrl: string;
  wantHealth: Record<string, string>;
  /**
   * The agent's own current health of a device (in-process agents). Retained health is debounced
   * (a hold window can keep a newer status unpublished for seconds), so the final check also asks
   * the agent what it believes now.
   */
  currentHealth?: (device: string) => string | undefined;
}): Promise<ScenarioResult> {
  const { recorder } = opts;
  const devices = Object.keys(opts.wantHealth);
  const analysis = recorder.analyse();
  let health: ScenarioResult["health"] = {};
  let healthError: unknown;
  try {
    health = await recorder.retainedHealth(opts.brokerUrl, devices);
  } catch (err) {
    healthError = err;
  }
  const healthOk = devices.every((d) => health[d]?.status === opts.wantHealth[d] && (opts.currentHealth?.(d) ?? opts.wantHealth[d]) === opts.wantHealth[d]);
  const row = rowOf(opts, analysis, devices.map((d) => `${d} ${health[d]?.status ?? "none"}`).join(", "), healthOk);
  writeRow(row);

  if (healthError !== undefined) throw healthError;
  expect(analysis.lost, "lost event ids").toEqual([]);
  expect(analysis.duplicates, "duplicated event ids").toEqual([]);
  expect(analysis.orderViolations, "events out of order").toEqual([]);
  expect(analysis.badEvents, "events without a {bootSeq}-{n} id").toEqual([]);
  expect(analysis.responses.lost, "commands without a response").toEqual([]);
  expect(analysis.responses.duplicates, "commands answered twice").toEqual([]);
  expect(analysis.expected).toBeGreaterThan(0);
  expect(Object.fromEntries(devices.map((d) => [d, health[d]?.status])), "retained health").toEqual(opts.wantHealth);
  if (opts.currentHealth) {
    expect(Object.fromEntries(devices.map((d) => [d, opts.currentHealth!(d)])), "the agent's current health").toEqual(opts.wantHealth);
  }
  return { analysis, health, row };
}
