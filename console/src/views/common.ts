/** What every view shares: the context it renders from, status chips, times, command status lines. */
import { html, nothing, type TemplateResult } from "lit-html";
import type { CommandRecord, Commands } from "../commands.js";
import type { Fleet, Site, SiteLevel } from "../fleet.js";

export interface SceneInfo {
  rooms: Record<string, Record<string, { description?: string }>>;
}

export interface ViewCtx {
  readonly fleet: Fleet;
  readonly commands: Commands;
  readonly user: string;
  /** False for a monitor: every control is shown disabled, and nothing is sent. */
  readonly canControl: boolean;
  send(key: string, site: string, device: string | undefined, action: string, args?: Record<string, unknown>, then?: (rec: CommandRecord) => void): void;
  /** Scenes of a site (asked with `scene.list` when its page opens), or why there are none. */
  scenes(site: string): SceneInfo | { error: string } | undefined;
}

const LEVEL_LABEL: Record<SiteLevel, string> = {
  ok: "ok",
  degraded: "degraded",
  unreachable: "unreachable",
  fault: "fault",
  unknown: "unknown",
  offline: "agent offline",
};

/** A status chip: the colour is never the only sign, the word is always there. */
export function chip(level: string, label = LEVEL_LABEL[level as SiteLevel] ?? level): TemplateResult {
  return html`<span class="chip s-${level}">${label}</span>`;
}

export function siteName(site: Site): string {
  return site.meta?.name ?? site.id;
}

export function fmtTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "–";
  const d = new Date(ms);
  const sameDay = d.toDateString() === new Date().toDateString();
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  return sameDay ? time : `${d.toLocaleDateString()} ${time}`;
}

function argsText(args: Record<string, unknown>): string {
  const parts = Object.entries(args).map(([k, v]) => `${k} ${typeof v === "string" ? v : JSON.stringify(v)}`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

/** The latest command of a control: pending, or the agent's answer. Announced to screen readers. */
export function commandLine(ctx: ViewCtx, key: string): TemplateResult {
  const rec = ctx.commands.latest(key);
  return html`<p class="cmd ${rec ? `cmd-${rec.status}` : ""}" title=${rec?.error?.message ?? ""} role="status" aria-live="polite" data-key=${key} data-cmd=${rec?.id ?? ""} data-status=${rec?.status ?? "none"}>
    ${rec === undefined ? nothing : describeCommand(rec)}
  </p>`;
}

/** Long agent messages (an unknown action lists every known one) are clipped; the title has all. */
const clip = (m: string): string => (m.length > 90 ? `${m.slice(0, 89)}…` : m);

export function describeCommand(rec: CommandRecord): string {
  const what = `${rec.action}${argsText(rec.args)}`;
  const took = rec.answeredAt === undefined ? "" : ` in ${((rec.answeredAt - rec.sentAt) / 1000).toFixed(1)} s`;
  switch (rec.status) {
    case "pending":
      return `${what}: sent, waiting for the agent…`;
    case "ok":
      return `${what}: done${took}`;
    default:
      return `${what}: ${rec.status}${rec.error ? ` — ${rec.error.code}: ${clip(rec.error.message)}` : ""}${took}`;
  }
}

/**
 * A button that sends one command; disabled for monitors and while that control's command is
 * pending. `name` is its accessible name when the visible label is a symbol or a bare number (it
 * contains the visible label, so speech users can say what they see).
 */
export function cmdButton(ctx: ViewCtx, key: string, label: string, send: () => void, opts: { pressed?: boolean; name?: string; cls?: string } = {}): TemplateResult {
  const pending = ctx.commands.isPending(key);
  const title = !ctx.canControl ? "read-only: your role cannot send commands" : (opts.name ?? label);
  return html`<button
    type="button"
    class=${opts.cls ?? ""}
    ?disabled=${!ctx.canControl || pending}
    aria-busy=${pending ? "true" : "false"}
    aria-pressed=${opts.pressed === undefined ? nothing : String(opts.pressed)}
    aria-label=${opts.name ?? nothing}
    title=${title}
    @click=${() => ctx.canControl && send()}
  >${label}</button>`;
}

/** The enum of one argument of an action, from the agent's meta (JSON Schema). */
export function argEnum(actions: Record<string, { args?: { properties?: Record<string, { enum?: unknown[] }> } }>, action: string, arg: string): string[] | undefined {
  const e = actions[action]?.args?.properties?.[arg]?.enum;
  return Array.isArray(e) ? e.map(String) : undefined;
}
