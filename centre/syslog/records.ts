/**
 * What the SOC is sent, from what arrives on MQTT. Pure: a message in, a record (or the reason it
 * is not one) out; `toSyslogMessage` writes a record as RFC 5424.
 *
 * The centre talks to agents only through the topic contract (DESIGN.md), never by import: the
 * schemas below are the consumer's reading of docs/topics.md (non-strict, so fields added within v1
 * pass), kept in step with agent/topics.ts and broker/security-events.ts by records.test.ts.
 *
 * Severities (RFC 5424 §6.2.1): alarms follow RFC 5674 §3 (ITU perceived severity: critical ->
 * alert, major -> crit, minor -> err, warning -> warning, cleared -> notice); the rest are ours,
 * documented in docs/centre.md.
 */
import { z } from "zod";
import { formatRfc5424, rfc3339, SEVERITY, type SeverityName } from "./rfc5424.js";

/** The topic the roomgate broker publishes its security events on (docs/topics.md). */
export const BROKER_SECURITY_TOPIC = "$SYS/roomgate/v1/security";

export const RECORD_KINDS = [
  "command", "alarm.raised", "alarm.acked", "alarm.cleared", "agent.lost", "auth.failed", "acl.denied", "security.suppressed", "syslog.dropped",
] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** One message for the SOC, before it is written as RFC 5424. */
export interface SyslogRecord {
  /** Unique across the centre's inputs (origin + id): what the queue dedupes by. */
  key: string;
  /** Also the MSGID. */
  kind: RecordKind;
  severity: SeverityName;
  /** ms epoch: the event's own time. */
  ts: number;
  /** The structured data's params, in order (eventId always among them). */
  params: Array<[string, string]>;
  /** The free text, for people. */
  text: string;
}

export interface ForwardKinds {
  audit: boolean;
  alarms: boolean;
  agentLost: boolean;
  brokerSecurity: boolean;
}

export type Reading =
  | { record: SyslogRecord; lost?: { site: string; bootSeq: number } }
  | { skip: string }
  | { invalid: string };

// ---------------------------------------------------------------- what the consumer reads

const idText = z.string().regex(/^[a-z0-9-]{1,64}$/);
const ms = z.number().int().nonnegative();

const EventEnvelope = z.object({
  id: z.string().regex(/^[0-9]+-[0-9]+$/),
  ts: ms,
  type: z.string().min(1),
  device: idText.optional(),
  historical: z.boolean().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
const CommandData = z.object({
  id: z.string(),
  user: idText,
  device: idText.nullable().optional(),
  action: z.string().nullable(),
  status: z.string().min(1),
  durationMs: z.number().nonnegative(),
  errorCode: z.string().optional(),
});
const AlarmRaisedData = z.object({
  alarm: idText,
  severity: z.enum(["critical", "major", "minor", "warning"]),
  code: z.string().min(1),
  device: idText.optional(),
  message: z.string(),
});
const AlarmAckedData = z.object({ alarm: idText, code: z.string().optional(), user: z.string().min(1) });
const AlarmClearedData = z.object({ alarm: idText, code: z.string().optional() });
const LostState = z.object({ state: z.literal("lost"), bootSeq: z.number().int().nonnegative() });
const AgentState = z.object({ state: z.string() });

const SecurityEnvelope = z.object({
  id: z.string().regex(/^[0-9]+-[0-9]+$/),
  ts: ms,
  type: z.string().min(1),
  broker: z.string().min(1),
  data: z.record(z.string(), z.unknown()),
});
const optText = z.string().optional();
const AuthFailedData = z.object({
  reason: z.string().min(1),
  user: optText,
  unknownUser: z.boolean().optional(),
  clientId: optText,
  remoteAddress: optText,
  listener: optText,
});
const AclDeniedData = AuthFailedData.omit({ reason: true, unknownUser: true }).extend({
  access: z.enum(["publish", "subscribe"]),
  topic: z.string(),
  role: optText,
});
const SuppressedData = z.object({
  from: ms,
  to: ms,
  counts: z.record(z.string(), z.number().int().nonnegative()),
  top: z.array(z.object({ key: z.string(), count: z.number().int().nonnegative() })).default([]),
  others: z.number().int().nonnegative().default(0),
});

// ---------------------------------------------------------------- severities

const ALARM_SEVERITY: Record<z.output<typeof AlarmRaisedData>["severity"], SeverityName> = {
  critical: "alert",
  major: "crit",
  minor: "err",
  warning: "warning",
};
/** Refusals that point at someone trying to get in or pass as someone else; the rest are notices. */
const SUSPICIOUS_REFUSALS = new Set(["bad_credentials", "no_username", "certificate", "client_id", "will"]);

function commandSeverity(status: string): SeverityName {
  return status === "error" || status === "timeout" ? "warning" : "notice";
}

function authSeverity(reason: string): SeverityName {
  if (reason === "error") return "err";
  return SUSPICIOUS_REFUSALS.has(reason) ? "warning" : "notice";
}

// ---------------------------------------------------------------- reading

/** Longest SD value taken from the network: ids are 64, a free code or topic is cut here. */
const VALUE_MAX = 256;
const cap = (v: string) => (v.length > VALUE_MAX ? `${v.slice(0, VALUE_MAX - 1)}…` : v);

class Params {
  readonly list: Array<[string, string]> = [];
  add(name: string, value: string | number | boolean | null | undefined): this {
    if (value === undefined || value === null || value === "") return this;
    this.list.push([name, cap(String(value))]);
    return this;
  }
}

function parseJson(payload: Buffer | string): { ok: true; value: unknown } | { ok: false; why: string } {
  try {
    return { ok: true, value: JSON.parse(typeof payload === "string" ? payload : payload.toString("utf8")) };
  } catch (err) {
    return { ok: false, why: `not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
}

const issues = (e: z.ZodError) => e.issues.map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`).join("; ");

/**
 * Reads one MQTT message. `retained` is the flag the broker set on delivery (a retained message
 * sent because we subscribed, not a live one); `now` stamps what carries no time of its own (the
 * agent's will).
 */
export function readMessage(topic: string, payload: Buffer | string, retained: boolean, now: number, forward: ForwardKinds): Reading {
  if (topic === BROKER_SECURITY_TOPIC) return forward.brokerSecurity ? readSecurity(payload) : { skip: "broker security not forwarded" };
  const m = /^roomgate\/v1\/([a-z0-9-]{1,48})\/(event|agent\/state)$/.exec(topic);
  if (m === null) return { skip: "not a topic the SOC is sent" };
  const site = m[1]!;
  const json = parseJson(payload);
  if (!json.ok) return { invalid: json.why };
  if (m[2] === "agent/state") {
    const state = AgentState.safeParse(json.value);
    if (!state.success) return { invalid: issues(state.error) };
    if (state.data.state !== "lost") return { skip: `agent state ${state.data.state}` };
    if (!forward.agentLost) return { skip: "agents lost not forwarded" };
    const lost = LostState.safeParse(json.value);
    if (!lost.success) return { invalid: issues(lost.error) };
    return { record: agentLost(site, lost.data.bootSeq, retained, now), lost: { site, bootSeq: lost.data.bootSeq } };
  }
  const env = EventEnvelope.safeParse(json.value);
  if (!env.success) return { invalid: issues(env.error) };
  const ev = env.data;
  const p = new Params().add("site", site);
  const key = `site/${site}/${ev.id}`;
  const tail = (params: Params) => params.add("eventId", ev.id).add("historical", ev.historical === true ? "true" : undefined).list;
  const replay = ev.historical === true ? " (replayed after an outage)" : "";
  switch (ev.type) {
    case "command": {
      if (!forward.audit) return { skip: "audit not forwarded" };
      const d = CommandData.safeParse(ev.data);
      if (!d.success) return { invalid: `data: ${issues(d.error)}` };
      const c = d.data;
      const device = c.device ?? undefined;
      p.add("device", device).add("user", c.user).add("action", c.action).add("result", c.status).add("commandId", c.id);
      p.add("durationMs", Math.round(c.durationMs)).add("errorCode", c.errorCode);
      const what = c.action === null ? "an unreadable command" : `${cap(c.action)}${device ? ` on ${device}` : ""}`;
      const text = `${c.user} ran ${what} at ${site}: ${c.status}${c.errorCode ? ` (${cap(c.errorCode)})` : ""} in ${Math.round(c.durationMs)} ms${replay}`;
      return { record: { key, kind: "command", severity: commandSeverity(c.status), ts: ev.ts, params: tail(p), text } };
    }
    case "alarm.raised": {
      if (!forward.alarms) return { skip: "alarms not forwarded" };
      const d = AlarmRaisedData.safeParse(ev.data);
      if (!d.success) return { invalid: `data: ${issues(d.error)}` };
      const a = d.data;
      p.add("device", a.device ?? ev.device).add("alarm", a.alarm).add("severity", a.severity).add("code", a.code);
      const text = `alarm ${a.alarm} raised at ${site} (${a.severity}, ${cap(a.code)}): ${a.message}${replay}`;
      return { record: { key, kind: "alarm.raised", severity: ALARM_SEVERITY[a.severity], ts: ev.ts, params: tail(p), text } };
    }
    case "alarm.acked": {
      if (!forward.alarms) return { skip: "alarms not forwarded" };
      const d = AlarmAckedData.safeParse(ev.data);
      if (!d.success) return { invalid: `data: ${issues(d.error)}` };
      const a = d.data;
      p.add("device", ev.device).add("alarm", a.alarm).add("code", a.code).add("user", a.user);
      const text = `alarm ${a.alarm} at ${site} acknowledged by ${cap(a.user)}${replay}`;
      return { record: { key, kind: "alarm.acked", severity: "notice", ts: ev.ts, params: tail(p), text } };
    }
    case "alarm.cleared": {
      if (!forward.alarms) return { skip: "alarms not forwarded" };
      const d = AlarmClearedData.safeParse(ev.data);
      if (!d.success) return { invalid: `data: ${issues(d.error)}` };
      const a = d.data;
      p.add("device", ev.device).add("alarm", a.alarm).add("code", a.code);
      return { record: { key, kind: "alarm.cleared", severity: "notice", ts: ev.ts, params: tail(p), text: `alarm ${a.alarm} at ${site} cleared${replay}` } };
    }
    default:
      return { skip: `event type ${ev.type}` };
  }
}

function agentLost(site: string, bootSeq: number, retained: boolean, now: number): SyslogRecord {
  const eventId = `lost-${bootSeq}`;
  const params = new Params().add("site", site).add("bootSeq", bootSeq).add("eventId", eventId).add("retained", retained ? "true" : undefined).list;
  // The will carries no time (the broker publishes it later): the time is when the centre saw it.
  const text = retained
    ? `agent of ${site} is lost (boot ${bootSeq}): its last will was already the retained state when the centre subscribed`
    : `agent of ${site} lost (boot ${bootSeq}): the broker published its last will`;
  return { key: `site/${site}/${eventId}`, kind: "agent.lost", severity: "warning", ts: now, params, text };
}

function readSecurity(payload: Buffer | string): Reading {
  const json = parseJson(payload);
  if (!json.ok) return { invalid: json.why };
  const env = SecurityEnvelope.safeParse(json.value);
  if (!env.success) return { invalid: issues(env.error) };
  const ev = env.data;
  const key = `broker/${ev.broker}/${ev.id}`;
  const p = new Params().add("broker", ev.broker);
  const from = (d: { user?: string | undefined; unknownUser?: boolean | undefined; remoteAddress?: string | undefined }) =>
    `${d.user !== undefined ? `user ${cap(d.user)}` : d.unknownUser ? "an unknown user" : "no user"}${d.remoteAddress ? ` from ${cap(d.remoteAddress)}` : ""}`;
  switch (ev.type) {
    case "auth.failed": {
      const d = AuthFailedData.safeParse(ev.data);
      if (!d.success) return { invalid: `data: ${issues(d.error)}` };
      const a = d.data;
      p.add("reason", a.reason).add("user", a.user).add("unknownUser", a.unknownUser ? "true" : undefined).add("clientId", a.clientId);
      p.add("remoteAddress", a.remoteAddress).add("listener", a.listener).add("eventId", ev.id);
      const text = `broker refused a connection (${cap(a.reason)}) of ${from(a)}${a.clientId ? `, client id ${cap(a.clientId)}` : ""}`;
      return { record: { key, kind: "auth.failed", severity: authSeverity(a.reason), ts: ev.ts, params: p.list, text } };
    }
    case "acl.denied": {
      const d = AclDeniedData.safeParse(ev.data);
      if (!d.success) return { invalid: `data: ${issues(d.error)}` };
      const a = d.data;
      p.add("access", a.access).add("topic", a.topic).add("user", a.user).add("role", a.role).add("clientId", a.clientId);
      p.add("remoteAddress", a.remoteAddress).add("listener", a.listener).add("eventId", ev.id);
      const text = `broker denied ${a.access === "publish" ? "a publish to" : "a subscription to"} ${cap(a.topic)} of ${from(a)}${a.role ? ` (${a.role})` : ""}`;
      return { record: { key, kind: "acl.denied", severity: a.access === "publish" ? "warning" : "notice", ts: ev.ts, params: p.list, text } };
    }
    case "security.suppressed": {
      const d = SuppressedData.safeParse(ev.data);
      if (!d.success) return { invalid: `data: ${issues(d.error)}` };
      const s = d.data;
      const total = Object.values(s.counts).reduce((a, b) => a + b, 0);
      p.add("from", rfc3339(s.from)).add("to", rfc3339(s.to)).add("suppressed", total);
      for (const [type, n] of Object.entries(s.counts)) p.add(type.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 32), n);
      p.add("top", s.top.map((t) => `${t.key}=${t.count}`).join(",")).add("others", s.others || undefined).add("eventId", ev.id);
      const by = Object.entries(s.counts).map(([t, n]) => `${t} ${n}`).join(", ");
      const top = s.top.map((t) => `${t.key} (${t.count})`).join(", ");
      const text = `broker held back ${total} security events over its rate limit between ${rfc3339(s.from)} and ${rfc3339(s.to)}: ${by}${top ? `; most from ${top}` : ""}`;
      return { record: { key, kind: "security.suppressed", severity: "warning", ts: ev.ts, params: p.list, text } };
    }
    default:
      return { skip: `broker event type ${ev.type}` };
  }
}

/** The record a collector's queue writes when it had to drop messages (docs/centre.md). */
export function droppedRecord(collector: string, d: { id: string; full: number; age: number; firstAt: number; lastAt: number }, now: number): SyslogRecord {
  const total = d.full + d.age;
  const why = [d.full ? `${d.full} because the queue was full` : "", d.age ? `${d.age} older than the queue's age bound` : ""].filter(Boolean).join(" and ");
  const params = new Params()
    .add("collector", collector).add("dropped", total).add("full", d.full).add("age", d.age)
    .add("from", rfc3339(d.firstAt)).add("to", rfc3339(d.lastAt)).add("eventId", d.id).list;
  const text = `the centre dropped ${total} messages for collector ${collector} that were never sent (${why}), queued between ${rfc3339(d.firstAt)} and ${rfc3339(d.lastAt)}: the centre's history still has them`;
  return { key: `collector/${collector}/${d.id}`, kind: "syslog.dropped", severity: "warning", ts: now, params, text };
}

export interface MessageOptions {
  facility: number;
  hostname: string;
  enterpriseId: number;
  maxMessageBytes: number;
}

/** The record as an RFC 5424 message: APP-NAME roomgate, MSGID the kind, our SD-ID roomgate@{enterpriseId}. */
export function toSyslogMessage(r: SyslogRecord, o: MessageOptions): string {
  return formatRfc5424(
    {
      facility: o.facility,
      severity: SEVERITY[r.severity],
      timestamp: rfc3339(r.ts),
      hostname: o.hostname,
      appName: "roomgate",
      procId: null,
      msgId: r.kind,
      structuredData: [{ id: `roomgate@${o.enterpriseId}`, params: r.params }],
      msg: r.text,
    },
    { maxBytes: o.maxMessageBytes },
  );
}
