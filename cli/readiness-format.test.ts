/**
 * What the technician sees on a terminal while `roomgate check` runs: every planned item as a
 * "...." line, each turning into PASS/WARN/FAIL in place as its answer arrives, in any order. The
 * writes go through a small terminal model (newline, carriage return, cursor up/down, erase line),
 * so the test asserts the screen, not the escape codes.
 */
import { describe, expect, it } from "vitest";
import { fleetTable, ProgressPrinter } from "./readiness-format.js";
import type { PlannedItem, ReadinessItemReport } from "../agent/topics.js";

/** A terminal `rows` high: what was written to it, as the lines on its screen. */
function terminal(isTTY: boolean, rows = 40) {
  const screen: string[] = [""];
  let row = 0;
  const write = (text: string) => {
    for (const m of text.matchAll(/\x1b\[(\d*)([ABK])|\n|\r|[^\x1b\n\r]+/g)) {
      const [tok, n, op] = m;
      if (tok === "\n") row++;
      else if (tok === "\r") continue; // lines here are rewritten whole (erase, then text)
      else if (op === "A") row -= Number(n);
      else if (op === "B") row += Number(n);
      else if (op === "K") screen[row] = "";
      else screen[row] = (screen[row] ?? "") + tok;
      while (screen.length <= row) screen.push("");
    }
    return true;
  };
  return { out: { isTTY, rows, write } as unknown as NodeJS.WriteStream, screen: () => screen.filter((l) => l !== "") };
}

const plan: PlannedItem[] = [
  { id: "cam.answers", device: "cam", name: "cam answers" },
  { id: "cam.power", device: "cam", name: "power on" },
  { id: "wall.input", device: "wall", name: "input hdmi" },
] as PlannedItem[];
const item = (id: string, result: ReadinessItemReport["result"], extra: Partial<ReadinessItemReport> = {}) =>
  ({ ...plan.find((p) => p.id === id)!, result, ...extra }) as ReadinessItemReport;

describe("check progress on a terminal", () => {
  it("prints every item pending, then turns each line into its result in place, whatever the order", () => {
    const t = terminal(true);
    const p = new ProgressPrinter(t.out, { color: false });
    p.start(plan);
    expect(t.screen()).toEqual(["  ....  cam answers", "  ....  cam: power on", "  ....  wall: input hdmi"]);
    p.item(item("wall.input", "fail", { code: "wrong_input", message: "expected hdmi, got dp", fix: "select input hdmi (input.select)" }));
    p.item(item("cam.answers", "pass", { message: "answered in 12 ms" }));
    expect(t.screen()).toEqual([
      "  PASS  cam answers  answered in 12 ms",
      "  ....  cam: power on",
      "  FAIL  wall: input hdmi  expected hdmi, got dp [wrong_input]  -> select input hdmi (input.select)",
    ]);
    p.item(item("cam.power", "warn", { code: "slow", message: "answered in 4000 ms" }));
    p.line("done");
    expect(t.screen()).toEqual([
      "  PASS  cam answers  answered in 12 ms",
      "  WARN  cam: power on  answered in 4000 ms [slow]",
      "  FAIL  wall: input hdmi  expected hdmi, got dp [wrong_input]  -> select input hdmi (input.select)",
      "done",
    ]);
  });

  it("off a terminal, or with more items than the screen has rows, prints each item once as it arrives", () => {
    for (const t of [terminal(false), terminal(true, 4)]) {
      const p = new ProgressPrinter(t.out, { color: false });
      p.start(plan);
      p.item(item("wall.input", "pass"));
      p.item(item("cam.answers", "fail", { code: "unreachable", message: "no answer within 3000 ms" }));
      expect(t.screen()).toEqual(["  PASS  wall: input hdmi", "  FAIL  cam answers  no answer within 3000 ms [unreachable]"]);
    }
  });
});

describe("the fleet board", () => {
  it("one row per site; failing items listed, sites without a report marked", () => {
    const board = fleetTable(
      [
        { site: "commune-a", overall: "pass", failing: [] },
        { site: "district-11", overall: "fail", failing: ["bridge.rtt (unreachable)", "mixer.lectern-mic.muted (muted)"] },
        { site: "commune-c", overall: "no answer", failing: [], note: "agent offline" },
      ],
      { color: false },
    ).split("\n");
    expect(board[0]).toMatch(/^SITE +OVERALL +FAILING$/);
    expect(board[1]).toMatch(/^commune-a +PASS +-$/);
    expect(board[2]).toMatch(/^district-11 +FAIL +bridge\.rtt \(unreachable\), mixer\.lectern-mic\.muted \(muted\)$/);
    expect(board[3]).toMatch(/^commune-c +NO ANSWER +agent offline$/i);
  });
});
