/**
 * A vitest reporter that ends the run with one line per missing tool (test/helpers/tools.ts): how
 * many tests it skipped (or, under ROOMGATE_TEST_REQUIRE, failed) and the command that installs it:
 *
 *   skipped 14 tests: mosquitto not found on PATH (apt-get install mosquitto)
 *
 * It prints nothing when no test was held back by a tool. It reads only the task meta the tests
 * recorded, so it never looks for tools itself. vitest.config.ts keeps it on the reporter list even
 * when the command line names other reporters.
 */
import type { Reporter, TestModule, Vitest } from "vitest/node";
import type { MissingTool } from "./tools.js";

interface Count {
  missing: MissingTool;
  skipped: number;
  failed: number;
}

const nTests = (n: number) => `${n} test${n === 1 ? "" : "s"}`;

/** What the summary needs of a test: its outcome and the tools it recorded as missing. */
export interface TestOutcome {
  state: "passed" | "failed" | "skipped" | "pending";
  missing: readonly MissingTool[];
}

/** The summary lines for these tests: the tools that held back most tests first. */
export function toolSummary(tests: Iterable<TestOutcome>): string[] {
  const counts = new Map<string, Count>();
  for (const { state, missing: tools } of tests) {
    if (state !== "skipped" && state !== "failed") continue;
    for (const missing of tools) {
      // A test fails only for the required tools it lacks; the others it merely lacks too.
      if (state === "failed" && !missing.required) continue;
      let c = counts.get(missing.tool);
      if (c === undefined) counts.set(missing.tool, (c = { missing, skipped: 0, failed: 0 }));
      if (state === "skipped") c.skipped++;
      else c.failed++;
    }
  }
  const lines: string[] = [];
  const byCount = [...counts.values()].sort((a, b) => b.skipped + b.failed - (a.skipped + a.failed) || a.missing.tool.localeCompare(b.missing.tool));
  for (const { missing, skipped, failed } of byCount) {
    if (skipped > 0) lines.push(`skipped ${nTests(skipped)}: ${missing.reason} (${missing.install})`);
    if (failed > 0) lines.push(`failed ${nTests(failed)}: ${missing.reason}, and ROOMGATE_TEST_REQUIRE requires ${missing.tool} (${missing.install})`);
  }
  return lines;
}

function* outcomes(modules: ReadonlyArray<TestModule>): Generator<TestOutcome> {
  for (const mod of modules) for (const test of mod.children.allTests()) yield { state: test.result().state, missing: test.meta().roomgateTools ?? [] };
}

export class ToolSummaryReporter implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const lines = toolSummary(outcomes(modules));
    if (lines.length === 0) return;
    const log = (line: string) => (this.vitest ? this.vitest.logger.log(line) : console.log(line));
    log("");
    for (const line of lines) log(line);
  }
}
