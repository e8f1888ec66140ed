/**
 * Pictures drawn in the page (SVG, no library, nothing fetched): a site's availability as one bar
 * (up, down, unknown, always with the figures in words beside it), and a month's alarms as a
 * timeline, one lane per site, one mark per alarm from raised to cleared (to the end while active).
 * Colours are SVG attributes, not inline styles, which the console's CSP forbids.
 */
import { html, svg, type TemplateResult } from "lit-html";

const UP = "#1f8a45";
const DOWN = "#c62828";
const UNKNOWN = "#9aa1ab";
const SEVERITY: Record<string, string> = { critical: "#8a1111", major: "#c62828", minor: "#c99400", warning: "#d9b64a" };

export function availabilityBar(s: { site: string; up: number; down: number; unknown: number }): TemplateResult {
  const w = 300;
  const up = (w * s.up) / 100;
  const down = (w * s.down) / 100;
  const unknown = Math.max(0, w - up - down);
  const label = `${s.site}: up ${s.up.toFixed(2)} %, down ${s.down.toFixed(2)} %, unknown ${s.unknown.toFixed(2)} %`;
  return html`<span class="bar" data-bar-site=${s.site} data-up=${s.up} data-down=${s.down} data-unknown=${s.unknown}>
    <svg viewBox="0 0 ${w} 16" width=${w} height="16" role="img" aria-label=${label}>
      <title>${label}</title>
      <rect x="0" y="0" width=${up} height="16" fill=${UP} data-part="up"></rect>
      <rect x=${up} y="0" width=${down} height="16" fill=${DOWN} data-part="down"></rect>
      <rect x=${up + down} y="0" width=${unknown} height="16" fill=${UNKNOWN} data-part="unknown"></rect>
    </svg>
    <span class="bar-figures">${s.up.toFixed(2)} % up · ${s.down.toFixed(2)} % down · ${s.unknown.toFixed(2)} % unknown</span>
  </span>`;
}

export interface TimelineAlarm {
  site: string;
  alarm: string;
  device: string | null;
  severity: string;
  raisedAt: number;
  clearedAt: number | null;
}

const fmtDay = (ms: number) => new Date(ms).toISOString().slice(5, 10);

export function alarmTimeline(alarms: TimelineAlarm[], from: number, to: number, sites: string[]): TemplateResult {
  const lanes = [...new Set([...sites, ...alarms.map((a) => a.site)])].sort();
  if (alarms.length === 0) return html`<p data-empty="timeline">No alarm raised in this period.</p>`;
  const left = 130;
  const width = 900;
  const lane = 22;
  const top = 18;
  const span = Math.max(1, to - from);
  const x = (t: number) => left + ((Math.min(Math.max(t, from), to) - from) / span) * (width - left - 10);
  const days = Math.ceil(span / 86_400_000);
  const ticks = Array.from({ length: Math.min(days, 31) + 1 }, (_, i) => from + i * Math.ceil(days / 31) * 86_400_000).filter((t) => t <= to && (t - from) / 86_400_000 % Math.max(1, Math.ceil(days / 8)) === 0);
  const height = top + lanes.length * lane + 6;
  return html`<svg class="timeline" data-timeline viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="Alarms of ${lanes.length} sites over the period: ${alarms.length} raised">
    ${ticks.map((t) => svg`<line x1=${x(t)} x2=${x(t)} y1=${top - 4} y2=${height} stroke="#e1e4e8"></line><text x=${x(t) + 2} y="11" font-size="10" fill="#4a515b">${fmtDay(t)}</text>`)}
    ${lanes.map((s, i) => svg`<text x="0" y=${top + i * lane + 15} font-size="12" fill="#1b1f24">${s}</text><line x1=${left} x2=${width - 10} y1=${top + i * lane + lane - 1} y2=${top + i * lane + lane - 1} stroke="#eceef1"></line>`)}
    ${alarms.map((a) => {
      const i = lanes.indexOf(a.site);
      const x0 = x(a.raisedAt);
      const x1 = Math.max(x0 + 3, x(a.clearedAt ?? to));
      const when = `${new Date(a.raisedAt).toISOString()} – ${a.clearedAt === null ? "still active" : new Date(a.clearedAt).toISOString()}`;
      return svg`<rect x=${x0} y=${top + i * lane + 4} width=${x1 - x0} height=${lane - 8} rx="2" fill=${SEVERITY[a.severity] ?? DOWN} data-alarm=${a.alarm} data-site=${a.site} data-active=${a.clearedAt === null ? "yes" : "no"}><title>${a.site} ${a.alarm} (${a.severity}${a.device ? `, ${a.device}` : ""}): ${when}</title></rect>`;
    })}
  </svg>`;
}
