/**
 * The history pages (served by the centre): command audit, alarms and device health with filters,
 * and the monthly availability report with a bar per site and an alarm timeline. The answers are
 * the rows of `roomgate history` and `roomgate report` (centre/queries), as JSON.
 */
import { html, nothing, type TemplateResult } from "lit-html";
import type { Answer, HistoryData } from "../history.js";
import { availabilityBar, alarmTimeline, type TimelineAlarm } from "./charts.js";
import { chip, fmtTime } from "./common.js";

export const HISTORY_KINDS = ["audit", "alarms", "health"] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

interface AuditRow { site: string; seq: number; kind: "record" | "anchor"; ts: number; user: string | null; device: string | null; action: string | null; status: string | null; durationMs: number | null; errorCode: string | null; historical: boolean | null }
interface AlarmRow extends TimelineAlarm { code: string; message: string; ackedBy: string | null; ackedAt: number | null; ackMs: number | null; clearMs: number | null }
interface HealthRow { site: string; device: string; at: number; status: string; previous: string | null; code: string | null; message: string | null }
interface SiteSummary {
  site: string; devices: number; up: number; down: number; unknown: number;
  readiness: { runs: number; pass: number; warn: number; fail: number; passRate: number | null };
  alarms: { raised: number; acked: number; cleared: number; medianAckMs: number | null; medianClearMs: number | null; maxClearMs: number | null };
}
interface Report { month: string; from: number; to: number; devices: Array<{ site: string; device: string; up: number; degraded: number; down: number; unknown: number }>; sites: SiteSummary[]; total: { devices: number; up: number; down: number; unknown: number } }

export interface HistoryCtx {
  readonly data: HistoryData;
  /** Site ids the page knows (from the fleet), for the site list of the filters. */
  readonly sites: string[];
  /** Moves to a route with these parameters (the filters are in the address, so a view can be shared). */
  go(route: string, params: Record<string, string>): void;
}

const TITLES: Record<HistoryKind, string> = { audit: "Command audit", alarms: "Alarm history", health: "Health history" };

export function historyNav(kind: HistoryKind | "report"): TemplateResult {
  const tab = (k: HistoryKind | "report", label: string, href: string) => html`<a href=${href} aria-current=${k === kind ? "page" : nothing}>${label}</a>`;
  return html`<nav class="tabs" aria-label="History">
    ${tab("audit", "Audit", "#/history/audit")} ${tab("alarms", "Alarms", "#/history/alarms")} ${tab("health", "Health", "#/history/health")}
    ${tab("report", "Availability", "#/report")}
  </nav>`;
}

function submitTo(ctx: HistoryCtx, route: string) {
  return (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const params: Record<string, string> = {};
    for (const [k, v] of new FormData(form)) if (typeof v === "string" && v.trim() !== "") params[k] = v.trim();
    ctx.data.refresh();
    ctx.go(route, params);
  };
}

function field(name: string, label: string, value: string | undefined, opts: { list?: string; placeholder?: string; type?: string } = {}): TemplateResult {
  return html`<label class="field"><span>${label}</span><input name=${name} .value=${value ?? ""} type=${opts.type ?? "text"} list=${opts.list ?? nothing} placeholder=${opts.placeholder ?? nothing} /></label>`;
}

function waiting<T>(a: Answer<T>, show: (data: T) => TemplateResult): TemplateResult {
  if (a.state === "loading") return html`<p role="status" data-loading>Asking the centre…</p>`;
  if (a.state === "error") return html`<p class="error" role="alert" data-history-error>${a.message}</p>`;
  return show(a.data);
}

const dur = (ms: number | null) => (ms === null ? "–" : ms < 60_000 ? `${Math.round(ms / 1000)} s` : ms < 3_600_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 3_600_000).toFixed(1)} h`);

export function historyView(ctx: HistoryCtx, kind: HistoryKind, q: URLSearchParams): TemplateResult {
  const f = { site: q.get("site") ?? undefined, device: q.get("device") ?? undefined, since: q.get("since") ?? "7d", until: q.get("until") ?? undefined };
  const answer = ctx.data.get<unknown[]>(`history/${kind}`, { ...f, limit: "1000" });
  return html`<h1 tabindex="-1">${TITLES[kind]}</h1>
    ${historyNav(kind)}
    <form class="filters" @submit=${submitTo(ctx, `history/${kind}`)} aria-label="Filters">
      ${field("site", "Site", f.site, { list: "known-sites", placeholder: "all" })}
      ${field("device", "Device", f.device, { placeholder: "all" })}
      ${field("since", "Since", f.since, { placeholder: "7d, 12h, 2026-11-03" })}
      ${field("until", "Until", f.until, { placeholder: "now" })}
      <button type="submit">Show</button>
      <datalist id="known-sites">${ctx.sites.map((s) => html`<option value=${s}></option>`)}</datalist>
    </form>
    ${waiting(answer, (rows) => (rows.length === 0 ? html`<p data-empty="history">Nothing recorded for these filters.</p>` : html`<p class="sub" data-count=${rows.length}>${rows.length} rows, oldest first${rows.length === 1000 ? " (the newest 1000: narrow the filters for older rows)" : ""}</p>${TABLES[kind](rows as never)}`))}`;
}

const TABLES: { [K in HistoryKind]: (rows: never[]) => TemplateResult } = {
  audit: (rows: AuditRow[]) => html`<table class="history" data-history="audit">
    <caption class="vh">Command audit</caption>
    <thead><tr><th scope="col">when</th><th scope="col">site</th><th scope="col">user</th><th scope="col">device</th><th scope="col">action</th><th scope="col">result</th><th scope="col">took</th></tr></thead>
    <tbody>${rows.map((r) => r.kind === "anchor"
      ? html`<tr data-row data-anchor><td>${fmtTime(r.ts)}</td><td>${r.site}</td><td colspan="5" class="sub">retention cut the chain here (signed anchor, row ${r.seq})</td></tr>`
      : html`<tr data-row data-user=${r.user ?? ""} data-action=${r.action ?? ""}>
          <td>${fmtTime(r.ts)}</td><td>${r.site}</td><td>${r.user ?? "–"}</td><td>${r.device ?? "–"}</td><td>${r.action ?? "–"}${r.historical ? html` <span class="sub">(replayed)</span>` : nothing}</td>
          <td>${chip(r.status === "ok" ? "ok" : "fault", r.status ?? "?")}${r.errorCode ? html` <span class="sub">${r.errorCode}</span>` : nothing}</td><td>${r.durationMs === null ? "–" : `${Math.round(r.durationMs)} ms`}</td>
        </tr>`)}</tbody>
  </table>`,
  alarms: (rows: AlarmRow[]) => html`<table class="history" data-history="alarms">
    <caption class="vh">Alarm history</caption>
    <thead><tr><th scope="col">raised</th><th scope="col">site</th><th scope="col">alarm</th><th scope="col">severity</th><th scope="col">message</th><th scope="col">acknowledged</th><th scope="col">cleared</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr data-row data-alarm=${r.alarm} data-site=${r.site}>
      <td>${fmtTime(r.raisedAt)}</td><td>${r.site}</td><td>${r.alarm}<br /><span class="sub">${r.device ?? ""} ${r.code}</span></td><td>${chip(r.severity)}</td><td>${r.message}</td>
      <td data-acked=${r.ackedBy ?? ""}>${r.ackedBy ? html`by ${r.ackedBy}<br /><span class="sub">after ${dur(r.ackMs)}</span>` : "–"}</td>
      <td data-cleared=${r.clearedAt === null ? "no" : "yes"}>${r.clearedAt === null ? html`<strong>active</strong>` : html`${fmtTime(r.clearedAt)}<br /><span class="sub">after ${dur(r.clearMs)}</span>`}</td>
    </tr>`)}</tbody>
  </table>`,
  health: (rows: HealthRow[]) => html`<table class="history" data-history="health">
    <caption class="vh">Health history</caption>
    <thead><tr><th scope="col">when</th><th scope="col">site</th><th scope="col">device</th><th scope="col">status</th><th scope="col">before</th><th scope="col">detail</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr data-row data-device=${r.device} data-status=${r.status}>
      <td>${fmtTime(r.at)}</td><td>${r.site}</td><td>${r.device}</td><td>${chip(r.status)}</td><td>${r.previous ?? "–"}</td><td>${r.code ?? ""}${r.message ? html` <span class="sub">${r.message}</span>` : nothing}</td>
    </tr>`)}</tbody>
  </table>`,
};

const pct = (x: number | null) => (x === null ? "–" : `${x.toFixed(2)} %`);

export function reportView(ctx: HistoryCtx, q: URLSearchParams): TemplateResult {
  const month = q.get("month") ?? new Date().toISOString().slice(0, 7);
  const site = q.get("site") ?? undefined;
  const report = ctx.data.get<Report>("report/availability", { month, site });
  const range = /^(\d{4})-(\d{2})$/.exec(month);
  const until = range ? new Date(Date.UTC(Number(range[1]), Number(range[2]), 1)).toISOString() : undefined;
  const alarms = ctx.data.get<AlarmRow[]>("history/alarms", { site, since: `${month}-01`, until, limit: "5000" });
  return html`<h1 tabindex="-1">Availability ${month}</h1>
    ${historyNav("report")}
    <form class="filters" @submit=${submitTo(ctx, "report")} aria-label="Month">
      ${field("month", "Month", month, { type: "month" })}
      ${field("site", "Site", site, { list: "known-sites", placeholder: "all" })}
      <button type="submit">Show</button>
      <datalist id="known-sites">${ctx.sites.map((s) => html`<option value=${s}></option>`)}</datalist>
    </form>
    ${waiting(report, (r) => html`
      <p class="sub" data-total-up=${r.total.up}>${r.total.devices} devices: up ${pct(r.total.up)}, down ${pct(r.total.down)}, unknown ${pct(r.total.unknown)} (agent offline or nothing known counts as unknown, not up) · ${fmtTime(r.from)} – ${fmtTime(r.to)}</p>
      <section aria-labelledby="bars-h"><h2 id="bars-h">Per site</h2>
        ${r.sites.length === 0 ? html`<p data-empty="report">Nothing recorded this month.</p>` : html`<table class="report" data-report="sites">
          <thead><tr><th scope="col">site</th><th scope="col" class="bar-col">availability</th><th scope="col">readiness pass rate</th><th scope="col">alarms raised / acked / cleared</th><th scope="col">median to ack / to clear</th></tr></thead>
          <tbody>${r.sites.map((s) => html`<tr data-site=${s.site}>
            <th scope="row">${s.site}<br /><span class="sub">${s.devices} devices</span></th>
            <td>${availabilityBar(s)}</td>
            <td>${pct(s.readiness.passRate)} <span class="sub">${s.readiness.runs} runs</span></td>
            <td>${s.alarms.raised} / ${s.alarms.acked} / ${s.alarms.cleared}</td>
            <td>${dur(s.alarms.medianAckMs)} / ${dur(s.alarms.medianClearMs)}</td>
          </tr>`)}</tbody></table>`}
      </section>
      <section aria-labelledby="timeline-h"><h2 id="timeline-h">Alarm timeline</h2>
        ${waiting(alarms, (rows) => alarmTimeline(rows, r.from, r.to, r.sites.map((s) => s.site)))}
      </section>
      <details><summary>Per device (${r.devices.length})</summary>
        <table class="report" data-report="devices"><thead><tr><th scope="col">site</th><th scope="col">device</th><th scope="col">up</th><th scope="col">of which degraded</th><th scope="col">down</th><th scope="col">unknown</th></tr></thead>
        <tbody>${r.devices.map((d) => html`<tr data-device=${`${d.site}/${d.device}`}><td>${d.site}</td><td>${d.device}</td><td>${pct(d.up)}</td><td>${pct(d.degraded)}</td><td>${pct(d.down)}</td><td>${pct(d.unknown)}</td></tr>`)}</tbody></table>
      </details>`)}`;
}
