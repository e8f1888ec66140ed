/** The four views: the fleet, one site, the alarms, the readiness board. */
import { html, nothing, type TemplateResult } from "lit-html";
import { deviceIds, siteLevel, type ReadinessReport, type Site } from "../fleet.js";
import { chip, cmdButton, commandLine, fmtTime, siteName, type ViewCtx } from "./common.js";
import { deviceCard } from "./devices.js";

function agentLine(site: Site): TemplateResult {
  const a = site.agent;
  if (a === undefined) return html`<span class="sub">agent: not heard from</span>`;
  return html`<span class="sub">agent ${a.state}${a.version ? ` · v${a.version}` : ""}${a.ts ? ` · since ${fmtTime(a.ts)}` : ""}</span>`;
}

function alarmCount(site: Site): TemplateResult {
  const n = site.alarms.size;
  return html`<span class="alarms-count ${n > 0 ? "has" : ""}" data-alarms=${n}>${n === 0 ? "no alarms" : `${n} alarm${n > 1 ? "s" : ""}`}</span>`;
}

export function fleetView(ctx: ViewCtx): TemplateResult {
  const groups = ctx.fleet.byRegion();
  return html`<h1 tabindex="-1">Fleet</h1>
    ${groups.length === 0 ? html`<p>No site has reported yet. Sites appear as their agents publish (retained topics arrive at once).</p>` : nothing}
    ${groups.map(
      (g, i) => html`<section class="region" aria-labelledby="region-${i}">
        <h2 id="region-${i}">${g.region} <span class="sub">${g.sites.length} site${g.sites.length > 1 ? "s" : ""}</span></h2>
        <ul class="tiles">
          ${g.sites.map((s) => {
            const level = siteLevel(s);
            return html`<li class="tile l-${level}" data-site=${s.id}>
              <a href="#/site/${s.id}">
                <span class="tile-name">${siteName(s)}</span>
                <span class="sub">${s.id} · ${deviceIds(s).length} devices</span>
                <span class="tile-status">${chip(level)} ${alarmCount(s)}</span>
                ${agentLine(s)}
              </a>
            </li>`;
          })}
        </ul>
      </section>`,
    )}`;
}

function scenes(ctx: ViewCtx, site: Site): TemplateResult | typeof nothing {
  const info = ctx.scenes(site.id);
  if (!ctx.canControl) return nothing;
  if (info === undefined) return html`<p class="sub">Scenes: asking the agent…</p>`;
  if ("error" in info) return html`<p class="sub" data-scenes="none">Scenes: ${info.error}</p>`;
  const rooms = Object.entries(info.rooms).filter(([, list]) => Object.keys(list).length > 0);
  if (rooms.length === 0) return html`<p class="sub" data-scenes="none">Scenes: none in the site file.</p>`;
  return html`<section class="card" aria-labelledby="scenes-h">
    <h2 id="scenes-h">Scenes</h2>
    ${rooms.map(([room, list]) => {
      const key = `${site.id}/scene/${room}`;
      return html`<div class="controls" role="group" aria-label="Scenes of ${room}">
          <span class="label">${site.meta?.rooms?.[room]?.name ?? room}</span>
          ${Object.entries(list).map(([scene, s]) => cmdButton(ctx, key, scene, () => ctx.send(key, site.id, undefined, "scene.run", { scene, room }), { name: `${scene}: run scene${s.description ? ` (${s.description})` : ""}` }))}
        </div>
        ${commandLine(ctx, key)}`;
    })}
  </section>`;
}

export function siteView(ctx: ViewCtx, id: string): TemplateResult {
  const site = ctx.fleet.sites.get(id);
  if (site === undefined) return html`<h1 tabindex="-1">Site ${id}</h1><p>Nothing heard from this site (yet), or you may not see it.</p>`;
  const level = siteLevel(site);
  return html`<h1 tabindex="-1">${siteName(site)} ${chip(level)}</h1>
    <p class="sub">${site.id} · ${site.meta?.region.join(" / ") ?? ""} · ${agentLine(site)} · ${alarmCount(site)}
      ${site.readiness ? html` · readiness ${chip(site.readiness.result)} ${fmtTime(site.readiness.ts)}` : nothing}</p>
    ${site.alarms.size > 0 ? alarmTable(ctx, ctx.fleet.alarms().filter((a) => a.site === id), false) : nothing}
    ${scenes(ctx, site)}
    <div class="devices">${deviceIds(site).map((d) => deviceCard(ctx, site, d))}</div>`;
}

function alarmTable(ctx: ViewCtx, rows: ReturnType<ViewCtx["fleet"]["alarms"]>, withSite: boolean): TemplateResult {
  return html`<table class="alarms">
    <caption class="vh">Active alarms</caption>
    <thead><tr><th scope="col">severity</th>${withSite ? html`<th scope="col">site</th>` : nothing}<th scope="col">alarm</th><th scope="col">device</th><th scope="col">message</th><th scope="col">raised</th><th scope="col">acknowledged</th></tr></thead>
    <tbody>
      ${rows.map(({ site, id, alarm }) => {
        const key = `${site}/alarm/${id}`;
        return html`<tr data-alarm=${id} data-site=${site}>
          <td>${chip(alarm.severity)}</td>
          ${withSite ? html`<td><a href="#/site/${site}">${site}</a></td>` : nothing}
          <td>${id}<br /><span class="sub">${alarm.code}</span></td>
          <td>${alarm.device ?? "–"}</td>
          <td>${alarm.message}</td>
          <td>${fmtTime(alarm.raisedAt)}</td>
          <td>${alarm.ack
            ? html`<span data-acked=${alarm.ack.user}>by ${alarm.ack.user} at ${fmtTime(alarm.ack.at)}</span>`
            : cmdButton(ctx, key, "Acknowledge", () => ctx.send(key, site, undefined, "alarm.ack", { alarm: id }), { name: `Acknowledge ${id}` })}
            ${commandLine(ctx, key)}</td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}

export function alarmsView(ctx: ViewCtx): TemplateResult {
  const rows = ctx.fleet.alarms();
  return html`<h1 tabindex="-1">Alarms <span class="sub">${rows.length} active</span></h1>
    ${rows.length === 0 ? html`<p data-empty="alarms">No active alarm on any site you can see.</p>` : alarmTable(ctx, rows, true)}`;
}

function reportDetails(r: ReadinessReport): TemplateResult {
  const notPass = r.checks.filter((c) => c.result !== "pass");
  return html`<details>
    <summary>${r.checks.length} items${notPass.length > 0 ? `, ${notPass.length} not passing` : ""}</summary>
    <ul class="items">
      ${(notPass.length > 0 ? notPass : r.checks).map(
        (c) => html`<li>${chip(c.result)} <strong>${c.device ?? c.host ?? ""}</strong> ${c.name}${c.message ? html` — ${c.message}` : nothing}${c.code ? html` <span class="sub">[${c.code}]</span>` : nothing}${c.fix ? html`<br /><span class="fix">To fix: ${c.fix}</span>` : nothing}</li>`,
      )}
    </ul>
  </details>`;
}

export function readinessView(ctx: ViewCtx): TemplateResult {
  const sites = [...ctx.fleet.sites.values()].sort((a, b) => a.id.localeCompare(b.id));
  const online = sites.filter((s) => s.agent?.state === "online");
  const runAll = () => online.forEach((s) => ctx.send(`${s.id}/readiness`, s.id, undefined, "readiness.run", {}));
  return html`<h1 tabindex="-1">Readiness</h1>
    <div class="controls">
      <button type="button" ?disabled=${!ctx.canControl || online.length === 0} title=${ctx.canControl ? "Run a readiness check on every online site" : "read-only: your role cannot send commands"} @click=${() => ctx.canControl && runAll()}>
        Run fleet check (${online.length} site${online.length === 1 ? "" : "s"})
      </button>
    </div>
    <table class="readiness">
      <caption class="vh">Last readiness report of each site</caption>
      <thead><tr><th scope="col">site</th><th scope="col">result</th><th scope="col">pass / warn / fail / skip</th><th scope="col">when</th><th scope="col">by</th><th scope="col">details</th><th scope="col">check</th></tr></thead>
      <tbody>
        ${sites.map((s) => {
          const r = s.readiness;
          const c = r?.counts;
          const key = `${s.id}/readiness`;
          return html`<tr data-site=${s.id}>
            <th scope="row"><a href="#/site/${s.id}">${siteName(s)}</a><br /><span class="sub">${s.id}</span></th>
            <td>${r ? chip(r.result) : html`<span class="sub">no report</span>`}</td>
            <td>${c ? `${c.pass} / ${c.warn} / ${c.fail} / ${c.skip}` : "–"}</td>
            <td>${fmtTime(r?.ts)}</td>
            <td>${r?.requestedBy ?? "–"}${r?.trigger ? html`<br /><span class="sub">${r.trigger}</span>` : nothing}</td>
            <td>${r ? reportDetails(r) : nothing}</td>
            <td>${cmdButton(ctx, key, "Run check", () => ctx.send(key, s.id, undefined, "readiness.run", {}), { name: `Run check ${s.id}` })}${commandLine(ctx, key)}</td>
          </tr>`;
        })}
      </tbody>
    </table>`;
}
