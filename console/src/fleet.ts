/**
 * What the console knows of the fleet: one record per site, filled from the retained topics (agent
 * state and meta, device state and health, alarms, readiness) and kept current by live messages.
 * Pure: no DOM, no MQTT. A payload that does not parse is ignored and counted, never thrown on:
 * one bad agent must not blank the page for every other site.
 */
import { parseTopic } from "./topics.js";

export const HEALTH_ORDER = ["ok", "unknown", "degraded", "unreachable", "fault"] as const;
export type HealthStatus = (typeof HEALTH_ORDER)[number];
export const SEVERITY_ORDER = ["warning", "minor", "major", "critical"] as const;
export type Severity = (typeof SEVERITY_ORDER)[number];

export interface Health {
  status: HealthStatus;
  code?: string;
  message?: string;
  since?: number;
  lastSeen?: number;
}
export interface ActionMeta {
  description?: string;
  args?: { properties?: Record<string, JsonSchema>; required?: string[] };
}
export interface JsonSchema {
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  description?: string;
  anyOf?: JsonSchema[];
}
export interface DeviceMeta {
  kind: string;
  protocol: string;
  room?: string;
  name?: string;
  actions: Record<string, ActionMeta>;
  stateFields?: string[];
}
export interface AgentMeta {
  site: string;
  name?: string;
  region: string[];
  version?: string;
  devices: Record<string, DeviceMeta>;
  rooms?: Record<string, { name?: string }>;
}
export interface AgentState {
  state: "online" | "offline" | "lost";
  bootSeq?: number;
  version?: string;
  ts?: number;
}
export interface Alarm {
  severity: Severity;
  code: string;
  device?: string;
  raisedAt: number;
  message: string;
  ack?: { user: string; at: number };
}
export interface ReadinessItem {
  id?: string;
  name: string;
  result: "pass" | "warn" | "fail" | "skip";
  device?: string;
  host?: string;
  room?: string;
  code?: string;
  message?: string;
  fix?: string;
}
export interface ReadinessReport {
  id?: string;
  ts: number;
  result: "pass" | "warn" | "fail";
  durationMs?: number;
  requestedBy?: string;
  trigger?: string;
  counts?: { pass: number; warn: number; fail: number; skip: number };
  checks: ReadinessItem[];
}

export interface Site {
  readonly id: string;
  agent?: AgentState;
  meta?: AgentMeta;
  readonly health: Map<string, Health>;
  readonly state: Map<string, { ts?: number; state: Record<string, unknown> }>;
  readonly alarms: Map<string, Alarm>;
  readiness?: ReadinessReport;
}

export type SiteLevel = HealthStatus | "offline";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export class Fleet {
  readonly sites = new Map<string, Site>();
  /** Messages that did not parse (shown in the page's footer; a sign of an agent out of contract). */
  malformed = 0;

  site(id: string): Site {
    let s = this.sites.get(id);
    if (s === undefined) {
      s = { id, health: new Map(), state: new Map(), alarms: new Map() };
      this.sites.set(id, s);
    }
    return s;
  }

  /** Applies one message; true when it changed what the page shows. Responses are not handled here. */
  apply(topic: string, payload: string): boolean {
    const t = parseTopic(topic);
    if (t === undefined || t.kind === "res" || t.kind === "event") return false;
    const site = this.site(t.site);
    if (payload === "") {
      // An empty retained payload clears: an alarm that ended, or a topic an admin wiped.
      if (t.kind === "alarm") return site.alarms.delete(t.alarm);
      if (t.kind === "device-health") return site.health.delete(t.device);
      if (t.kind === "device-state") return site.state.delete(t.device);
      return false;
    }
    let json: unknown;
    try {
      json = JSON.parse(payload);
    } catch {
      return this.bad(); // not JSON: counted, shown in the footer
    }
    if (!isObject(json)) return this.bad();
    switch (t.kind) {
      case "agent-state":
        if (json.state !== "online" && json.state !== "offline" && json.state !== "lost") return this.bad();
        site.agent = json as unknown as AgentState;
        return true;
      case "agent-meta":
        if (!isObject(json.devices)) return this.bad();
        site.meta = { ...(json as unknown as AgentMeta), region: Array.isArray(json.region) ? (json.region as string[]) : [] };
        return true;
      case "device-health":
        if (!(HEALTH_ORDER as readonly unknown[]).includes(json.status)) return this.bad();
        site.health.set(t.device, json as unknown as Health);
        return true;
      case "device-state":
        if (!isObject(json.state)) return this.bad();
        site.state.set(t.device, json as { ts?: number; state: Record<string, unknown> });
        return true;
      case "alarm":
        if (!(SEVERITY_ORDER as readonly unknown[]).includes(json.severity) || typeof json.code !== "string") return this.bad();
        site.alarms.set(t.alarm, json as unknown as Alarm);
        return true;
      case "readiness":
        if (!Array.isArray(json.checks) || typeof json.result !== "string") return this.bad();
        site.readiness = json as unknown as ReadinessReport;
        return true;
    }
  }

  private bad(): false {
    this.malformed += 1;
    return false;
  }

  /** Sites grouped by region (sorted by group, then site id). */
  byRegion(): { region: string; sites: Site[] }[] {
    const groups = new Map<string, Site[]>();
    for (const s of [...this.sites.values()].sort((a, b) => a.id.localeCompare(b.id))) {
      const key = regionOf(s);
      groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([region, sites]) => ({ region, sites }));
  }

  /** Every active alarm, most severe first, then newest first. */
  alarms(): { site: string; id: string; alarm: Alarm }[] {
    const all = [...this.sites.values()].flatMap((s) => [...s.alarms].map(([id, alarm]) => ({ site: s.id, id, alarm })));
    return all.sort((a, b) => SEVERITY_ORDER.indexOf(b.alarm.severity) - SEVERITY_ORDER.indexOf(a.alarm.severity) || b.alarm.raisedAt - a.alarm.raisedAt);
  }
}

/**
 * The group a site is shown in: its region path without the site itself (the site file's
 * `region: [province, district-07]` of site district-07 puts it under "province").
 */
export function regionOf(site: Site): string {
  const path = site.meta?.region ?? [];
  const parents = path[path.length - 1] === site.id ? path.slice(0, -1) : path;
  return parents.length > 0 ? parents.join(" / ") : "no region";
}

/** The worst health of a site's devices; "offline" when its agent is not online (its health is stale). */
export function siteLevel(site: Site): SiteLevel {
  if (site.agent !== undefined && site.agent.state !== "online") return "offline";
  let worst: HealthStatus = "ok";
  for (const h of site.health.values()) if (HEALTH_ORDER.indexOf(h.status) > HEALTH_ORDER.indexOf(worst)) worst = h.status;
  if (site.agent === undefined && site.health.size === 0) return "unknown";
  return worst;
}

/** Devices of a site: those of its meta, plus any that published health without being in it. */
export function deviceIds(site: Site): string[] {
  const ids = new Set([...Object.keys(site.meta?.devices ?? {}), ...site.health.keys(), ...site.state.keys()]);
  return [...ids].sort();
}
