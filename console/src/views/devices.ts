/**
 * One card per device: health, the state an operator looks at, and the everyday controls of its
 * kind (camera presets and nudges, LED wall and display input and blanking, audio mute and level;
 * codecs, switches and links in ./conference.ts).
 * A control appears only when the device's meta lists its action; its arguments follow the meta.
 */
import { html, nothing, type TemplateResult } from "lit-html";
import type { DeviceMeta, Health, Site } from "../fleet.js";
import { argEnum, chip, cmdButton, commandLine, fmtTime, type ViewCtx } from "./common.js";
import { codecCard, linkCard, switchCard } from "./conference.js";

type State = Record<string, unknown>;
const obj = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const show = (v: unknown): string => (v === null || v === undefined ? "–" : typeof v === "object" ? JSON.stringify(v) : String(v));

/** Key/value rows of the state fields worth a glance. */
function facts(rows: [string, unknown][]): TemplateResult {
  return html`<dl class="facts">${rows.map(([k, v]) => html`<div><dt>${k}</dt><dd data-field=${k}>${show(v)}</dd></div>`)}</dl>`;
}

export function deviceCard(ctx: ViewCtx, site: Site, id: string): TemplateResult {
  const meta = site.meta?.devices[id];
  const health: Health | undefined = site.health.get(id);
  const state = obj(site.state.get(id)?.state);
  const status = health?.status ?? "unknown";
  return html`<article class="card device" data-device=${id} aria-labelledby="dev-${id}">
    <header>
      <h3 id="dev-${id}">${meta?.name ?? id}</h3>
      ${chip(status)}
    </header>
    <p class="sub">${id}${meta ? ` · ${meta.kind} · ${meta.protocol}` : ""}${meta?.room ? ` · ${meta.room}` : ""}</p>
    ${health && status !== "ok" ? html`<p class="health-detail">${health.code ?? ""} ${health.message ?? ""} (since ${fmtTime(health.since)})</p>` : nothing}
    ${meta ? (meta.kind === "codec" ? codecCard(ctx, site, id, meta, state) : body(ctx, site.id, id, meta, state)) : html`<p class="sub">no inventory from the agent yet</p>`}
  </article>`;
}

function body(ctx: ViewCtx, site: string, id: string, meta: DeviceMeta, s: State): TemplateResult {
  switch (meta.kind) {
    case "camera":
      return camera(ctx, site, id, meta, s);
    case "ledwall":
      return ledwall(ctx, site, id, meta, s);
    case "display":
      return displays(ctx, site, id, meta, s);
    case "audio":
      return audio(ctx, site, id, meta, s);
    case "crypto":
      return html`${facts([["state", s.state], ["tunnel", s.tunnel], ["key", s.key], ["alarms", (s.alarms as unknown[] | undefined)?.length ?? 0]])}
        ${meta.actions["status.refresh"] ? html`<div class="controls">${cmdButton(ctx, `${site}/${id}/refresh`, "Refresh status", () => ctx.send(`${site}/${id}/refresh`, site, id, "status.refresh"))}</div>${commandLine(ctx, `${site}/${id}/refresh`)}` : nothing}`;
    case "gpio":
      return facts([...Object.entries(obj(s.relays)).map(([k, v]): [string, unknown] => [`relay ${k}`, v ? "on" : "off"]),
        ...Object.entries(obj(s.leds)).map(([k, v]): [string, unknown] => [`lamp ${k}`, v]),
        ...Object.entries(obj(s.switches)).map(([k, v]): [string, unknown] => [k, v]),
        ...Object.entries(obj(s.temperatures)).map(([k, v]): [string, unknown] => [`${k} °C`, v])]);
    case "switch":
      return switchCard(ctx, site, id, meta, s);
    case "link":
      return linkCard(s);
    default:
      return facts((meta.stateFields ?? []).slice(0, 6).map((f): [string, unknown] => [f, s[f]]));
  }
}

const PRESETS = [0, 1, 2, 3, 4, 5];
const NUDGE_MS = 300;

function camera(ctx: ViewCtx, site: string, id: string, meta: DeviceMeta, s: State): TemplateResult {
  const a = meta.actions;
  const presetKey = `${site}/${id}/preset`;
  const ptzKey = `${site}/${id}/ptz`;
  /** A nudge: move (or zoom), and once the camera has answered, stop after a moment. */
  const nudge = (action: "move" | "zoom", direction: string) =>
    ctx.send(ptzKey, site, id, action, { direction }, (rec) => {
      if (rec.status !== "ok") return;
      setTimeout(() => ctx.send(ptzKey, site, id, action === "zoom" ? "zoom" : "stop", action === "zoom" ? { direction: "stop" } : {}), NUDGE_MS);
    });
  const other = (e: Event) => {
    e.preventDefault();
    const input = (e.currentTarget as HTMLFormElement).elements.namedItem("preset") as HTMLInputElement;
    if (input.value !== "" && ctx.canControl) ctx.send(presetKey, site, id, "preset.recall", { preset: Number(input.value) });
  };
  return html`${facts([["power", s.power], ["pan", s.pan], ["tilt", s.tilt], ["zoom", s.zoom], ["last preset", s.lastPreset]])}
    ${a["preset.recall"]
      ? html`<div class="controls" role="group" aria-label="Presets of ${id}">
            <span class="label">Preset</span>
            ${PRESETS.map((p) => cmdButton(ctx, presetKey, String(p), () => ctx.send(presetKey, site, id, "preset.recall", { preset: p }), { name: `Preset ${p}` }))}
            <form class="inline" @submit=${other}>
              <label class="vh" for="preset-${id}">Other preset of ${id}</label>
              <input id="preset-${id}" name="preset" type="number" min="0" max="254" inputmode="numeric" placeholder="#" ?disabled=${!ctx.canControl} />
              <button type="submit" ?disabled=${!ctx.canControl || ctx.commands.isPending(presetKey)}>Recall</button>
            </form>
          </div>
          ${commandLine(ctx, presetKey)}`
      : nothing}
    ${a.move
      ? html`<div class="controls ptz" role="group" aria-label="Pan, tilt and zoom of ${id}">
            ${cmdButton(ctx, ptzKey, "◀", () => nudge("move", "left"), { name: "Nudge left ◀" })}
            ${cmdButton(ctx, ptzKey, "▲", () => nudge("move", "up"), { name: "Nudge up ▲" })}
            ${cmdButton(ctx, ptzKey, "▼", () => nudge("move", "down"), { name: "Nudge down ▼" })}
            ${cmdButton(ctx, ptzKey, "▶", () => nudge("move", "right"), { name: "Nudge right ▶" })}
            ${a.zoom ? cmdButton(ctx, ptzKey, "Zoom +", () => nudge("zoom", "tele"), { name: "Zoom + (in a little)" }) : nothing}
            ${a.zoom ? cmdButton(ctx, ptzKey, "Zoom −", () => nudge("zoom", "wide"), { name: "Zoom − (out a little)" }) : nothing}
            ${a.home ? cmdButton(ctx, ptzKey, "Home", () => ctx.send(ptzKey, site, id, "home")) : nothing}
          </div>
          ${commandLine(ctx, ptzKey)}`
      : nothing}`;
}

/** An input picker: a select of the schema's enum, or of the usual names plus the current one. */
function inputPicker(ctx: ViewCtx, key: string, label: string, choices: string[], current: unknown, onPick: (input: string) => void): TemplateResult {
  const list = [...new Set([...choices, ...(typeof current === "string" ? [current] : [])])];
  const submit = (e: Event) => {
    e.preventDefault();
    const select = (e.currentTarget as HTMLFormElement).elements.namedItem("input") as HTMLSelectElement;
    if (ctx.canControl) onPick(select.value);
  };
  const fid = key.replace(/[^a-z0-9-]/g, "-");
  return html`<form class="inline" @submit=${submit}>
    <label for="in-${fid}">${label}</label>
    <select id="in-${fid}" name="input" ?disabled=${!ctx.canControl}>
      ${list.map((i) => html`<option value=${i} ?selected=${i === current}>${i}</option>`)}
    </select>
    <button type="submit" ?disabled=${!ctx.canControl || ctx.commands.isPending(key)}>Switch</button>
  </form>`;
}

/** NovaStar's inputs vary by model (the meta gives a free string): the common names. */
const LED_INPUTS = ["dvi", "hdmi", "dp"];

function ledwall(ctx: ViewCtx, site: string, id: string, meta: DeviceMeta, s: State): TemplateResult {
  const key = `${site}/${id}/video`;
  const blanked = s.blackout === true;
  return html`${facts([["input", s.input], ["blanked", blanked ? "yes" : "no"], ["brightness %", s.brightness], ["frozen", s.frozen], ["test pattern", s.testPattern]])}
    <div class="controls">
      ${meta.actions["input.select"] ? inputPicker(ctx, key, "Input", argEnum(meta.actions, "input.select", "input") ?? LED_INPUTS, s.input, (input) => ctx.send(key, site, id, "input.select", { input })) : nothing}
      ${meta.actions["blank.set"] ? cmdButton(ctx, key, blanked ? "Show picture" : "Blank", () => ctx.send(key, site, id, "blank.set", { on: !blanked })) : nothing}
    </div>
    ${commandLine(ctx, key)}`;
}

function displays(ctx: ViewCtx, site: string, id: string, meta: DeviceMeta, s: State): TemplateResult {
  const inputs = argEnum(meta.actions, "input.select", "input") ?? [];
  return html`${Object.entries(obj(s.displays)).map(([name, raw]) => {
    const d = obj(raw);
    const key = `${site}/${id}/${name}`;
    const blanked = d.blanked === true;
    return html`<section class="sub-device" aria-label="Display ${name}">
      <h4>${name} ${chip(String(obj(d.health).status ?? "unknown"))}</h4>
      ${facts([["power", d.power], ["input", d.input], ["blanked", blanked ? "yes" : "no"], ["brightness %", d.brightness]])}
      <div class="controls">
        ${meta.actions["input.select"] ? inputPicker(ctx, key, "Input", inputs, d.input, (input) => ctx.send(key, site, id, "input.select", { input, display: name })) : nothing}
        ${meta.actions["blank.set"] ? cmdButton(ctx, key, blanked ? "Show picture" : "Blank", () => ctx.send(key, site, id, "blank.set", { on: !blanked, display: name }), { name: `${blanked ? "Show picture" : "Blank"} ${name}` }) : nothing}
      </div>
      ${commandLine(ctx, key)}
    </section>`;
  })}`;
}

function audio(ctx: ViewCtx, site: string, id: string, meta: DeviceMeta, s: State): TemplateResult {
  return html`<table class="channels">
      <caption class="vh">Channels of ${id}</caption>
      <thead><tr><th scope="col">channel</th><th scope="col">mute</th><th scope="col">level dB</th><th scope="col"></th></tr></thead>
      <tbody>
        ${Object.entries(obj(s.channels)).map(([name, raw]) => {
          const c = obj(raw);
          const key = `${site}/${id}/${name}`;
          const muted = c.muted === true;
          return html`<tr data-channel=${name}>
            <th scope="row">${name}</th>
            <td>${c.muted === null || c.muted === undefined || !meta.actions["mute.set"]
              ? show(c.muted)
              : cmdButton(ctx, key, "Mute", () => ctx.send(key, site, id, "mute.set", { channel: name, on: !muted }), { pressed: muted, name: `Mute ${name}`, cls: "mute" })}</td>
            <td data-field="level">${typeof c.levelDb === "number" ? c.levelDb.toFixed(1) : show(c.levelDb)}</td>
            <td class="controls">${meta.actions["level.step"] && typeof c.levelDb === "number"
              ? html`${cmdButton(ctx, key, "−3", () => ctx.send(key, site, id, "level.step", { channel: name, db: -3 }), { name: `−3 dB ${name}` })}
                  ${cmdButton(ctx, key, "+3", () => ctx.send(key, site, id, "level.step", { channel: name, db: 3 }), { name: `+3 dB ${name}` })}`
              : nothing}</td>
          </tr>
          <tr class="cmd-row"><td colspan="4">${commandLine(ctx, key)}</td></tr>`;
        })}
      </tbody>
    </table>`;
}
