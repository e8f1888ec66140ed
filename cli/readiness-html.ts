/**
 * The readiness report as one self-contained HTML page a technician can hand in: inline CSS, no
 * script, no font, image or stylesheet from anywhere (the sites are air-gapped), every value from
 * the report escaped. Prints on one A4 page for a typical room.
 */
import type { Readiness, ReadinessItemReport } from "../agent/topics.js";

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (v: unknown): string => String(v ?? "").replace(/[&<>"']/g, (c) => ESC[c]!);

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111}
h1{font-size:1.4em;margin:0 0 .2em}
.meta{color:#555;margin-bottom:1em}
.badge{display:inline-block;padding:.1em .6em;border-radius:.3em;font-weight:bold;color:#fff}
.pass{background:#2e7d32}.warn{background:#b26a00}.fail{background:#c62828}.skip{background:#757575}
table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}
td.r{width:4.5em;text-align:center}
.fix{color:#333;font-style:italic}
.sign{margin-top:3em;display:flex;gap:4em}.sign div{border-top:1px solid #000;padding-top:.3em;min-width:14em}
@media print{body{margin:1cm}}
`;

function itemRow(i: ReadinessItemReport): string {
  const why = i.result === "pass" ? escapeHtml(i.message ?? "") : `${escapeHtml(i.message ?? "")}${i.code ? ` <code>${escapeHtml(i.code)}</code>` : ""}`;
  const fix = i.fix && i.result !== "pass" ? `<div class="fix">Fix: ${escapeHtml(i.fix)}</div>` : "";
  return `<tr><td class="r"><span class="badge ${escapeHtml(i.result)}">${escapeHtml(i.result.toUpperCase())}</span></td>` +
    `<td>${escapeHtml(i.device ?? i.host ?? "")}</td><td>${escapeHtml(i.name)}</td><td>${why}${fix}</td></tr>`;
}

/** The page. `siteName` is the site file's `name`, when known. */
export function reportHtml(r: Readiness, siteName?: string): string {
  const c = r.counts;
  const when = new Date(r.ts).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  const fix = (r.fix ?? [])
    .map((sc) => {
      const rows = sc.steps
        .map((st) => {
          const what = st.kind === "wait" ? "wait" : st.kind === "verify" ? `verify ${st.device ?? ""}` : `${st.device ?? ""} ${st.action ?? ""}`;
          const cls = st.status === "ok" ? "pass" : st.status === "skipped" ? "skip" : "fail";
          return `<tr><td class="r"><span class="badge ${cls}">${escapeHtml(st.status)}</span></td><td>${st.index + 1}</td><td>${escapeHtml(what)}</td>` +
            `<td>${escapeHtml(st.error?.message ?? "")} (${st.durationMs} ms)</td></tr>`;
        })
        .join("\n");
      return `<h2>Scene ${escapeHtml(sc.scene)} (${escapeHtml(sc.room)}): ${escapeHtml(sc.status)}</h2>\n<table><tr><th>Result</th><th>Step</th><th>Action</th><th>Detail</th></tr>\n${rows}\n</table>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Readiness ${escapeHtml(r.site)} ${escapeHtml(when)}</title>
<style>${CSS}</style></head>
<body>
<h1>Readiness report: ${escapeHtml(siteName ?? r.site)} <span class="badge ${escapeHtml(r.result)}">${escapeHtml(r.result.toUpperCase())}</span></h1>
<div class="meta">Site <b>${escapeHtml(r.site)}</b>, rooms ${escapeHtml(r.rooms.join(", "))} &middot; ${escapeHtml(when)} &middot;
check ${escapeHtml(r.id)} (${escapeHtml(r.trigger)}${r.requestedBy ? `, by ${escapeHtml(r.requestedBy)}` : ""}) &middot; ${(r.durationMs / 1000).toFixed(1)} s &middot;
${c.pass} pass, ${c.warn} warn, ${c.fail} fail${c.skip ? `, ${c.skip} skipped` : ""}</div>
${fix}
<table><tr><th>Result</th><th>Device</th><th>Check</th><th>Detail</th></tr>
${r.checks.map(itemRow).join("\n")}
</table>
<div class="sign"><div>Technician</div><div>Date and signature</div></div>
</body></html>
`;
}
