/**
 * scripts/fault-table.ts: figures + vitest results -> the markdown table of docs/reliability.md.
 */
import { describe, expect, it } from "vitest";
import { TABLE_END, TABLE_START, fileResults, formatTable, parseFigures, placeTable, type FaultRow } from "../../scripts/fault-table.js";

const row = (over: Partial<FaultRow> = {}): FaultRow => ({
  scenario: "a", title: "broker down", file: "a-broker-down.fault.test.ts",
  expected: 1002, received: 1002, lost: 0, duplicates: 0, orderViolations: 0,
  responses: { expected: 1, received: 1, lost: 0, duplicates: 0 },
  finalHealth: "tick ok", healthOk: true, ...over,
});

describe("fault table", () => {
  it("keeps the last row per scenario and sorts by scenario", () => {
    const jsonl = [row({ scenario: "b", file: "b.fault.test.ts" }), row({ expected: 5 }), row({ expected: 7 })].map((r) => JSON.stringify(r)).join("\n");
    expect(parseFigures(`${jsonl}\n\n`).map((r) => [r.scenario, r.expected])).toEqual([["a", 7], ["b", 1002]]);
  });

  it("reads vitest's JSON report per file: passed only when every test in it passed", () => {
    const report = {
      testResults: [
        { name: "/x/test/faults/a-broker-down.fault.test.ts", status: "passed", assertionResults: [{ status: "passed" }] },
        { name: "/x/test/faults/h.fault.test.ts", status: "failed", assertionResults: [{ status: "passed" }, { status: "failed" }] },
        { name: "/x/test/faults/empty.fault.test.ts", status: "passed", assertionResults: [] },
      ],
    };
    expect(fileResults(report)).toEqual({ "a-broker-down.fault.test.ts": true, "h.fault.test.ts": false, "empty.fault.test.ts": false });
  });

  it("prints one line per scenario; a loss, a failed test or a missing row fails the table", () => {
    const ok = formatTable([row()], { "a-broker-down.fault.test.ts": true });
    expect(ok.ok).toBe(true);
    expect(ok.table.split("\n")[2]).toBe("| a. broker down | 1002 | 1002 | 0 | 0 | 0 | 1/1 | tick ok | pass |");

    const lost = formatTable([row({ received: 1001, lost: 1 })], { "a-broker-down.fault.test.ts": true });
    expect(lost.ok).toBe(false);
    expect(lost.table).toContain("| 1002 | 1001 | 1 | 0 | 0 | 1/1 | tick ok | FAIL |");

    expect(formatTable([row()], { "a-broker-down.fault.test.ts": false }).ok).toBe(false);
    expect(formatTable([row({ healthOk: false, finalHealth: "tick fault" })], { "a-broker-down.fault.test.ts": true }).ok).toBe(false);

    const missing = formatTable([row()], { "a-broker-down.fault.test.ts": true, "h-cut.fault.test.ts": false });
    expect(missing.ok).toBe(false);
    expect(missing.table).toContain("| h-cut.fault.test.ts (no figures written) | - | - | - | - | - | - | - | FAIL |");
  });

  it("puts the table into the document: first in place of the placeholder, then between its markers", () => {
    const doc = "# Reliability\n\n## Fault scenarios\n\nFAULT_TABLE_PLACEHOLDER\n\n## Next\n";
    const once = placeTable(doc, "| t1 |\n");
    expect(once).toBe(`# Reliability\n\n## Fault scenarios\n\n${TABLE_START}\n| t1 |\n${TABLE_END}\n\n## Next\n`);
    expect(placeTable(once, "| t2 |\n")).toBe(once.replace("| t1 |", "| t2 |"));
    expect(() => placeTable("# nothing here\n", "| t |\n")).toThrow(/FAULT_TABLE_PLACEHOLDER/);
  });
});
