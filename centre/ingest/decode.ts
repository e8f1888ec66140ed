/**
 * What one MQTT message means for the record, decided without I/O: a recordable item, or the reason
 * it goes to quarantine. The topic contract is the agents' (agent/topics.ts): the centre reads it, it
 * does not restate it.
 */
import {
  decodePayload, parseTopic,
  type AgentMeta, type AgentState, type Alarm, type DeviceHealthPayload, type Readiness, type SiteEvent,
} from "../../agent/topics.js";

export interface Incoming {
  topic: string;
  payload: Buffer;
  receivedAt: number;
  retain: boolean;
}

export const QUARANTINE_REASONS = ["not_json", "schema", "site_mismatch", "unknown_topic", "unstorable", "id_conflict", "database_refused"] as const;
export type QuarantineReason = (typeof QUARANTINE_REASONS)[number];

export type Item =
  | { kind: "event"; site: string; event: SiteEvent }
  | { kind: "health"; site: string; device: string; health: DeviceHealthPayload }
  | { kind: "agentState"; site: string; state: AgentState }
  | { kind: "meta"; site: string; meta: AgentMeta }
  | { kind: "alarm"; site: string; alarm: string; value: Alarm | null }
  | { kind: "readiness"; site: string; report: Readiness }
  | { kind: "quarantine"; site: string | null; reason: QuarantineReason; detail: string };

const RECORDED = new Set(["event", "deviceHealth", "agentState", "agentMeta", "alarm", "readiness"]);

/** A string anywhere in a JSON value holding NUL, which PostgreSQL cannot keep in text or jsonb. */
function holdsNul(v: unknown): boolean {
  if (typeof v === "string") return v.includes("\u0000");
  if (Array.isArray(v)) return v.some(holdsNul);
  if (v !== null && typeof v === "object") return Object.entries(v).some(([k, x]) => k.includes("\u0000") || holdsNul(x));
  return false;
}

export function decode(m: Pick<Incoming, "topic" | "payload">): Item {
  const item = decodeItem(m);
  // Cheap test on the text first: only a payload that writes \u0000 can hold a NUL once parsed.
  if (item.kind !== "quarantine" && /\\u0000/i.test(m.payload.toString("latin1")) && holdsNul(item)) {
    return { kind: "quarantine", site: item.site, reason: "unstorable", detail: "a string holds a NUL character (\\u0000), which PostgreSQL cannot store" };
  }
  return item;
}

function decodeItem(m: Pick<Incoming, "topic" | "payload">): Item {
  const t = parseTopic(m.topic);
  if (t === null || !RECORDED.has(t.kind)) {
    return { kind: "quarantine", site: t?.site ?? null, reason: "unknown_topic", detail: `not a topic the centre records: ${m.topic}` };
  }
  const site = t.site;
  const refuse = (reason: QuarantineReason, detail: string): Item => ({ kind: "quarantine", site, reason, detail });
  switch (t.kind) {
    case "event": {
      const r = decodePayload("event", m.payload);
      if (!r.ok) return refuse(r.error.code === "invalid_json" ? "not_json" : "schema", r.error.message);
      return { kind: "event", site, event: r.value };
    }
    case "deviceHealth": {
      const r = decodePayload("deviceHealth", m.payload);
      if (!r.ok) return refuse(r.error.code === "invalid_json" ? "not_json" : "schema", r.error.message);
      return { kind: "health", site, device: t.device!, health: r.value };
    }
    case "agentState": {
      const r = decodePayload("agentState", m.payload);
      if (!r.ok) return refuse(r.error.code === "invalid_json" ? "not_json" : "schema", r.error.message);
      return { kind: "agentState", site, state: r.value };
    }
    case "agentMeta": {
      const r = decodePayload("agentMeta", m.payload);
      if (!r.ok) return refuse(r.error.code === "invalid_json" ? "not_json" : "schema", r.error.message);
      if (r.value.site !== site) return refuse("site_mismatch", `the inventory claims site "${r.value.site}" on site ${site}'s topic`);
      return { kind: "meta", site, meta: r.value };
    }
    case "alarm": {
      const r = decodePayload("alarm", m.payload);
      if (!r.ok) return refuse(r.error.code === "invalid_json" ? "not_json" : "schema", r.error.message);
      return { kind: "alarm", site, alarm: t.alarm!, value: r.value };
    }
    case "readiness": {
      const r = decodePayload("readiness", m.payload);
      if (!r.ok) return refuse(r.error.code === "invalid_json" ? "not_json" : "schema", r.error.message);
      if (r.value.site !== site) return refuse("site_mismatch", `the readiness report claims site "${r.value.site}" on site ${site}'s topic`);
      return { kind: "readiness", site, report: r.value };
    }
    default:
      return refuse("unknown_topic", `not a topic the centre records: ${m.topic}`);
  }
}

/** A payload as the quarantine keeps it: text when it is UTF-8 without NUL (PostgreSQL text cannot hold one), else base64. */
export function keptPayload(payload: Buffer, max = 256 * 1024): { payload: string; encoding: "utf8" | "base64"; bytes: number } {
  const cut = payload.subarray(0, max);
  const text = cut.toString("utf8");
  const clean = !text.includes("\u0000") && Buffer.from(text, "utf8").equals(cut);
  return clean ? { payload: text, encoding: "utf8", bytes: payload.length } : { payload: cut.toString("base64"), encoding: "base64", bytes: payload.length };
}
