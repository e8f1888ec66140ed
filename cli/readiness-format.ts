/**
 * Readiness reports for people: one line per item (result, what, why, fix), live progress lines on
 * a TTY that turn from "...." to PASS/WARN/FAIL as the items arrive, the summary, and the fleet board.
 * Pure text builders plus one small progress printer; colour only on a TTY without NO_COLOR.
 */
import type { PlannedItem, Readiness, ReadinessItemReport } from "../agent/topics.js";
import type { StepResult } from "../agent/scenes.js";

export interface Style {
  color: boolean;
}

const CODES = { pass: "32", warn: "33", fail: "31", skip: "90", wait: "90" } as const;
const paint = (s: Style, kind: keyof typeof CODES, text: string) => (s.color ? `\x1b[${CODES[kind]}m${text}\x1b[0m` : text);
const LABEL = { pass: "PASS", warn: "WARN", fail: "FAIL", skip: "SKIP" } as const;

/** Whether to colour what goes to `out`. */
export function styleFor(out: NodeJS.WriteStream): Style {
  return { color: out.isTTY === true && process.env.NO_COLOR === undefined };
}

/** `  FAIL  side-displays: input hdmi1  expected hdmi1, got hdmi2  -> input.select {input: hdmi1}` */
export function itemLine(item: ReadinessItemReport, s: Style): string {
  const what = item.device !== undefined && !item.name.startsWith(item.device) ? `${item.device}: ${item.name}` : item.name;
  const why = item.result === "pass" ? (item.message ? `  ${item.message}` : "") : `  ${item.message ?? item.code ?? ""}${item.code ? ` [${item.code}]` : ""}`;
  const fix = item.result === "fail" || item.result === "warn" ? (item.fix ? `  -> ${item.fix}` : "") : "";
  return `  ${paint(s, item.result, LABEL[item.result])}  ${what}${why}${fix}`;
}

export function pendingLine(item: PlannedItem, s: Style): string {
  const what = item.device !== undefined && !item.name.startsWith(item.device) ? `${item.device}: ${item.name}` : item.name;
  return `  ${paint(s, "wait", "....")}  ${what}`;
}

export function stepLine(step: StepResult, scene: string, s: Style): string {
  const what = step.kind === "wait" ? "wait" : step.kind === "verify" ? `verify ${step.device}` : `${step.device} ${step.action}`;
  const mark = step.status === "ok" ? paint(s, "pass", " ok ") : step.status === "skipped" ? paint(s, "skip", "skip") : paint(s, "fail", "FAIL");
  const why = step.error ? `  ${step.error.message} [${step.error.code}]` : "";
  return `  ${mark}  ${scene} #${step.index + 1}: ${what} (${step.durationMs} ms)${why}`;
}

/** The closing lines: overall result, counts, and the fix hints of what failed. */
export function summary(r: Readiness, s: Style): string {
  const kind = r.result;
  const c = r.counts;
  const lines = [
    "",
    `${paint(s, kind, kind.toUpperCase())}  site ${r.site}: ${c.pass} pass, ${c.warn} warn, ${c.fail} fail${c.skip ? `, ${c.skip} skipped` : ""} ` +
      `in ${(r.durationMs / 1000).toFixed(1)} s (check ${r.id})`,
  ];
  const todo = r.checks.filter((i) => (i.result === "fail" || i.result === "warn") && i.fix);
  if (todo.length > 0) {
    lines.push("", "To fix:");
    for (const i of todo) lines.push(`  ${i.id}: ${i.fix}`);
  }
  return lines.join("\n");
}

/** The whole report as lines (not a TTY, or afterwards). */
export function reportText(r: Readiness, s: Style): string {
  const head = `readiness of ${r.site} (rooms ${r.rooms.join(", ")}), ${new Date(r.ts).toISOString()}`;
  const fix = (r.fix ?? []).flatMap((sc) => sc.steps.map((st) => stepLine(st, sc.scene, s)));
  return [head, ...(fix.length ? ["prepare:", ...fix, "check:"] : []), ...r.checks.map((i) => itemLine(i, s)), summary(r, s)].join("\n");
}

/**
 * Progress on a terminal: the planned items are printed as pending lines; each item, when it
 * arrives, rewrites its own line in place. Off a TTY (or with more items than the screen has rows)
 * each item is printed once, as it arrives.
 */
export class ProgressPrinter {
  private plan: PlannedItem[] = [];
  private live = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly s: Style,
  ) {}

  start(items: PlannedItem[]): void {
    this.plan = items;
    this.live = this.out.isTTY === true && items.length < (this.out.rows ?? 24) - 2;
    if (this.live) for (const i of items) this.out.write(`${pendingLine(i, this.s)}\n`);
  }

  item(item: ReadinessItemReport): void {
    const line = itemLine(item, this.s);
    const at = this.plan.findIndex((p) => p.id === item.id);
    if (!this.live || at < 0) {
      this.out.write(`${line}\n`);
      return;
    }
    const up = this.plan.length - at;
    this.out.write(`\x1b[${up}A\r\x1b[2K${line}\x1b[${up}B\r`);
  }

  line(text: string): void {
    this.out.write(`${text}\n`);
  }
}

/** One row of the fleet board. */
export interface FleetRow {
  site: string;
  /** pass | warn | fail, or why there is no report. */
  overall: "pass" | "warn" | "fail" | "no answer" | "busy" | "error";
  failing: string[];
  note?: string;
}

/** The board: site, overall, failing items; sites that did not answer are marked. */
export function fleetTable(rows: FleetRow[], s: Style): string {
  const width = Math.max(4, ...rows.map((r) => r.site.length));
  const kind = (o: FleetRow["overall"]) => (o === "pass" ? "pass" : o === "warn" ? "warn" : "fail");
  const lines = [`${"SITE".padEnd(width)}  OVERALL    FAILING`];
  for (const r of rows) {
    const label = r.overall.toUpperCase().padEnd(9);
    const failing = r.failing.length > 0 ? r.failing.join(", ") : r.note ?? "-";
    lines.push(`${r.site.padEnd(width)}  ${paint(s, kind(r.overall), label)}  ${failing}`);
  }
  const n = (o: string) => rows.filter((r) => r.overall === o).length;
  lines.push("", `${rows.length} site${rows.length === 1 ? "" : "s"}: ${n("pass")} pass, ${n("warn")} warn, ${n("fail")} fail, ${rows.length - n("pass") - n("warn") - n("fail")} without a report`);
  return lines.join("\n");
}
