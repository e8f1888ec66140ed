/**
 * How `roomgate report availability` prints a month: tables for a person, CSV (one line per site and
 * one per device) for a spreadsheet, or one self-contained HTML page (inline CSS, no external file:
 * it is mailed and opened on the closed network) with a bar per site. The figures come from
 * centre/queries/availability.ts; nothing is computed here but units.
 */
import type { AvailabilityReport, SiteSummary } from "../centre/queries/availability.js";
import { duration, toCsv, toText, type Table } from "./history-format.js";

const pct = (x: number) => x.toFixed(2);
const secs = (ms: number | null) => (ms === null ? "" : String(Math.round(ms / 1000)));
const day = (t: number) => new Date(t).toISOString().slice(0, 16).replace("T", " ");
const passRate = (s: SiteSummary) => (s.readiness.passRate === null ? "" : pct(s.readiness.passRate));

export function periodLine(r: AvailabilityReport): string {
  return `availability ${r.month}${r.site === undefined ? "" : `, site ${r.site}`}: ${day(r.from)} to ${day(r.to)} UTC`;
}

export function siteTable(r: AvailabilityReport): Table {
  return {
    header: ["site", "devices", "up %", "down %", "unknown %", "readiness runs", "pass %", "fail", "alarms", "acked", "cleared", "median to ack", "median to clear", "longest"],
    rows: r.sites.map((s) => [
      s.site, s.devices, pct(s.up), pct(s.down), pct(s.unknown), s.readiness.runs, passRate(s), s.readiness.fail,
      s.alarms.raised, s.alarms.acked, s.alarms.cleared, duration(s.alarms.medianAckMs), duration(s.alarms.medianClearMs), duration(s.alarms.maxClearMs),
    ]),
  };
}

export function deviceTable(r: AvailabilityReport): Table {
  return {
    header: ["site", "device", "up %", "of which degraded %", "down %", "unknown %"],
    rows: r.devices.map((d) => [d.site, d.device, pct(d.up), pct(d.degraded), pct(d.down), pct(d.unknown)]),
  };
}

export function reportText(r: AvailabilityReport): string {
  if (r.sites.length === 0) return `${periodLine(r)}\n(nothing recorded for this period)\n`;
  const t = r.total;
  return [
    periodLine(r),
    `${t.devices} devices: up ${pct(t.up)} %, down ${pct(t.down)} %, unknown ${pct(t.unknown)} % (agent offline or nothing heard counts as unknown, not up)`,
    "",
    toText(siteTable(r)),
    toText(deviceTable(r)),
  ].join("\n");
}

/** One CSV: `scope` says whether a line is a site's (with readiness and alarms) or a device's. */
export function reportCsv(r: AvailabilityReport): string {
  const header = [
    "month", "scope", "site", "device", "devices", "up_pct", "degraded_pct", "down_pct", "unknown_pct",
    "readiness_runs", "readiness_pass", "readiness_warn", "readiness_fail", "readiness_pass_pct",
    "alarms_raised", "alarms_acked", "alarms_cleared", "median_ack_s", "median_clear_s", "max_clear_s",
  ];
  const rows: Table["rows"] = [
    ...r.sites.map((s) => [
      r.month, "site", s.site, "", s.devices, pct(s.up), "", pct(s.down), pct(s.unknown),
      s.readiness.runs, s.readiness.pass, s.readiness.warn, s.readiness.fail, passRate(s),
      s.alarms.raised, s.alarms.acked, s.alarms.cleared, secs(s.alarms.medianAckMs), secs(s.alarms.medianClearMs), secs(s.alarms.maxClearMs),
    ]),
    ...r.devices.map((d) => [r.month, "device", d.site, d.device, "", pct(d.up), pct(d.degraded), pct(d.down), pct(d.unknown), "", "", "", "", "", "", "", "", "", "", ""]),
  ];
  return toCsv({ header, rows });
}

const esc = (s: string | number | null) =>
  String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function htmlTable(t: Table): string {
  const head = t.header.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** A bar of up (green), down (red) and unknown (grey), widths in % of the period. */
function bar(s: { up: number; down: number; unknown: number }): string {
  const part = (cls: string, w: number) => (w <= 0 ? "" : `<span class="${cls}" style="width:${w.toFixed(2)}%"></span>`);
  return `<span class="bar" role="img" aria-label="up ${pct(s.up)} %, down ${pct(s.down)} %, unknown ${pct(s.unknown)} %">${part("up", s.up)}${part("down", s.down)}${part("unknown", s.unknown)}</span>`;
}

export function reportHtml(r: AvailabilityReport): string {
  const title = `roomgate availability ${r.month}${r.site === undefined ? "" : ` ${r.site}`}`;
  const bars = r.sites
    .map((s) => `<div class="row"><span class="name">${esc(s.site)}</span>${bar(s)}<span class="num">${pct(s.up)} % up</span></div>`)
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0 2em; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th:first-child, td:first-child, td:nth-child(2) { text-align: left; }
.row { display: flex; align-items: center; gap: 1em; margin: 3px 0; }
.name { width: 14em; }
.bar { display: inline-flex; width: 40em; height: 1em; border: 1px solid #999; }
.bar span { display: inline-block; height: 100%; }
.up { background: #2e7d32; } .down { background: #c62828; } .unknown { background: #bdbdbd; }
.key span { display: inline-block; width: 1em; height: 1em; vertical-align: middle; margin: 0 .3em 0 1em; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p>${esc(periodLine(r))}. ${r.total.devices} devices: up ${pct(r.total.up)} %, down ${pct(r.total.down)} %, unknown ${pct(r.total.unknown)} %.</p>
<p class="key"><span class="up"></span>up (ok or degraded) <span class="down"></span>down (unreachable or fault) <span class="unknown"></span>unknown (agent offline, or nothing heard)</p>
<h2>Sites</h2>
${bars || "<p>Nothing recorded for this period.</p>"}
${htmlTable(siteTable(r))}
<h2>Devices</h2>
${htmlTable(deviceTable(r))}
</body>
</html>
`;
}
