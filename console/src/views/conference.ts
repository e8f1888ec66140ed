/**
 * Cards of the conference endpoint and the network under it: the codec (registrations, calls with
 * their quality, mic, standby; dial, hang up, mute), the access switch (named ports, PoE, power-cycle)
 * and the WAN link (loss, round trip, jitter). Their content comes from ../device-model.ts; controls
 * appear only when the device's meta lists the action, and go through the command path like every
 * other card (pending until the agent answers).
 */
import { html, nothing, type TemplateResult } from "lit-html";
import { codecView, linkFacts, switchView, type CallView } from "../device-model.js";
import type { DeviceMeta, Site } from "../fleet.js";
import { argEnum, chip, cmdButton, commandLine, fmtTime, type ViewCtx } from "./common.js";

const REG_LEVEL: Record<string, string> = { registered: "ok", registering: "degraded", unregistered: "fault", failed: "fault", disabled: "unknown", unknown: "unknown" };

function facts(rows: [string, string][]): TemplateResult {
  return html`<dl class="facts">${rows.map(([k, v]) => html`<div><dt>${k}</dt><dd data-field=${k}>${v}</dd></div>`)}</dl>`;
}

function callRow(ctx: ViewCtx, site: string, id: string, meta: DeviceMeta, c: CallView, key: string): TemplateResult {
  return html`<section class="sub-device call" data-call=${c.id} aria-label="Call ${c.id} with ${c.remote}">
    <h4>${c.remoteName ? `${c.remoteName} · ` : ""}${c.remote} ${chip(c.state === "connected" ? "ok" : "degraded", c.state)}</h4>
    ${facts([["direction", c.direction], ["protocol", c.protocol], ["rate", c.rate], ["since", fmtTime(c.since)]])}
    ${c.quality.length > 0
      ? html`<table class="quality">
          <caption class="vh">Media quality of call ${c.id}</caption>
          <thead><tr><th scope="col">media</th><th scope="col">direction</th><th scope="col">loss</th><th scope="col">jitter</th><th scope="col">rate</th></tr></thead>
          <tbody>${c.quality.map((q) => html`<tr data-media="${q.media}-${q.direction}">
            <th scope="row">${q.media}</th><td>${q.direction === "rx" ? "received" : "sent"}</td>
            <td data-field="loss">${q.loss}</td><td data-field="jitter">${q.jitter}</td><td>${q.rate}</td>
          </tr>`)}</tbody>
        </table>`
      : html`<p class="sub">no media figures yet</p>`}
    ${meta.actions["call.hangup"] ? html`<div class="controls">${cmdButton(ctx, key, "Hang up", () => ctx.send(key, site, id, "call.hangup", { callId: c.id }), { name: `Hang up ${c.remote}` })}</div>` : nothing}
  </section>`;
}

export function codecCard(ctx: ViewCtx, site: Site, id: string, meta: DeviceMeta, state: unknown): TemplateResult {
  const v = codecView(id, state, site.alarms.keys());
  const callKey = `${site.id}/${id}/call`;
  const micKey = `${site.id}/${id}/mic`;
  const a = meta.actions;
  const protocols = argEnum(a, "call.dial", "protocol") ?? ["auto", "sip", "h323"];
  const dial = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const number = (form.elements.namedItem("number") as HTMLInputElement).value.trim();
    const protocol = (form.elements.namedItem("protocol") as HTMLSelectElement).value;
    if (number !== "" && ctx.canControl) ctx.send(callKey, site.id, id, "call.dial", { number, protocol });
  };
  return html`<div class="registrations" role="group" aria-label="Registrations of ${id}">
      ${v.registrations.map((r) => html`<span class="reg" data-reg=${r.protocol}>${r.protocol} ${chip(REG_LEVEL[r.status] ?? "unknown", r.status)}
        <span class="sub" data-field="${r.protocol} detail">${r.detail}${r.server ? ` · ${r.server}` : ""}</span></span>`)}
    </div>
    ${facts([["mic", v.muted === undefined ? "–" : v.muted ? "muted" : "live"], ["standby", v.standby === undefined ? "–" : v.standby ? "asleep" : "awake"], ["volume", v.volume], ["content", v.content], ["calls", String(v.calls.length)]])}
    ${v.alarms.length > 0 ? html`<p class="health-detail" data-call-alarms=${v.alarms.join(" ")}>${v.alarms.map((x) => `call ${x.replace("-", " ")}`).join(", ")} (alarm)</p>` : nothing}
    ${v.calls.map((c) => callRow(ctx, site.id, id, meta, c, callKey))}
    ${a["call.dial"]
      ? html`<form class="inline dial" @submit=${dial}>
          <label for="dial-${id}">Number</label>
          <input id="dial-${id}" name="number" type="text" autocomplete="off" spellcheck="false" placeholder="8001@mcu" maxlength="200" ?disabled=${!ctx.canControl} />
          <label class="vh" for="proto-${id}">Protocol of the call from ${id}</label>
          <select id="proto-${id}" name="protocol" ?disabled=${!ctx.canControl}>${protocols.map((p) => html`<option value=${p}>${p}</option>`)}</select>
          <button type="submit" ?disabled=${!ctx.canControl || ctx.commands.isPending(callKey)}>Dial</button>
          ${a["call.hangup"] && v.calls.length > 1 ? cmdButton(ctx, callKey, "Hang up all", () => ctx.send(callKey, site.id, id, "call.hangup", {})) : nothing}
        </form>`
      : nothing}
    ${commandLine(ctx, callKey)}
    <div class="controls">
      ${a["mic.mute"] && v.muted !== undefined ? cmdButton(ctx, micKey, "Mute", () => ctx.send(micKey, site.id, id, "mic.mute", { on: !v.muted }), { pressed: v.muted, name: `Mute microphones of ${id}`, cls: "mute" }) : nothing}
      ${a["standby.set"] && v.standby !== undefined ? cmdButton(ctx, micKey, v.standby ? "Wake" : "Standby", () => ctx.send(micKey, site.id, id, "standby.set", { on: !v.standby })) : nothing}
    </div>
    ${commandLine(ctx, micKey)}`;
}

export function switchCard(ctx: ViewCtx, site: string, id: string, meta: DeviceMeta, state: unknown): TemplateResult {
  const v = switchView(state);
  return html`${facts([["PoE budget", v.pse], ["traps", v.traps]])}
    <table class="ports">
      <caption class="vh">Named ports of ${id}</caption>
      <thead><tr><th scope="col">port · neighbour</th><th scope="col">admin/oper · speed</th><th scope="col">PoE</th></tr></thead>
      <tbody>
        ${v.ports.map((p) => {
          const key = `${site}/${id}/${p.name}`;
          const cycle = meta.actions["port.powercycle"] !== undefined && p.hasPoe && !p.protected;
          return html`<tr data-port=${p.name}>
            <th scope="row">${p.name} <span class="sub">#${p.ifIndex}${p.protected ? " · protected" : ""}<br />${p.neighbour}</span></th>
            <td><span data-field="status">${chip(p.up ? "ok" : "fault", p.status)}</span> <span class="sub">${p.speed}</span></td>
            <td><span data-field="poe">${p.cycling ? "power-cycling" : p.poe}</span>
              ${cycle ? cmdButton(ctx, key, "Power-cycle", () => ctx.send(key, site, id, "port.powercycle", { port: p.name }), { name: `Power-cycle ${p.name}` }) : nothing}</td>
          </tr>
          ${cycle ? html`<tr class="cmd-row"><td colspan="3">${commandLine(ctx, key)}</td></tr>` : nothing}`;
        })}
      </tbody>
    </table>`;
}

export function linkCard(state: unknown): TemplateResult {
  return facts(linkFacts(state));
}
