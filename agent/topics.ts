/**
 * The MQTT topic contract, v1 (DESIGN.md "The MQTT topic contract"; STYLE.md rule 4).
 *
 * The ONE module that knows every topic: how to build it, how to parse it, whether it is retained,
 * its QoS and the zod schema of its payload. The publisher, the command router, tests and the
 * generated docs (docs/topics.md, docs/schemas/*.schema.json) all use it.
 *
 * Published payloads use non-strict objects (a consumer must ignore fields it does not know, so v1
 * can grow); the command, which the agent receives, is strict.
 */
import { z } from "zod";
import { idSchema } from "../config/ids.js";
import type { HealthStatus } from "../drivers/types.js";
import {
  ReadinessFinishedSchema, ReadinessItemEventSchema, ReadinessSchema, ReadinessStartedSchema, SceneFinishedSchema, SceneStepEventSchema,
  type Readiness,
} from "./topics-readiness.js";
import type { AgentMeta } from "./topics-meta.js";

import { AgentMetaSchema } from "./topics-meta.js";
import { CallDroppedSchema } from "./topics-calls.js";
import { CommandSchema } from "./topics-command.js";
import { TOPIC_PATTERNS, type TopicKind } from "./topic-names.js";

export * from "./topic-names.js";
export * from "./topics-command.js";
export * from "./topics-readiness.js";
export * from "./topics-meta.js";
export * from "./topics-calls.js";

// ---------------------------------------------------------------- payloads

const ts = z.number().int().nonnegative().describe("Milliseconds since the Unix epoch.");
const bootSeq = z
  .number()
  .int()
  .nonnegative()
  .describe("Counts agent starts; a new value means the agent restarted (not just reconnected).");

export const AgentStateSchema = z
  .discriminatedUnion("state", [
    z.object({ state: z.literal("online"), bootSeq, version: z.string().min(1).describe("Agent version."), ts }).describe("Birth."),
    // The will is registered at connect time and published later by the broker: a ts would be stale.
    z.object({ state: z.literal("lost"), bootSeq }).describe("Last will: the broker lost the agent."),
    z.object({ state: z.literal("offline"), bootSeq, ts }).describe("Clean stop."),
  ])
  .describe("Agent availability (retained).");

export const DeviceStateSchema = z
  .object({ ts, state: z.record(z.string(), z.unknown()).describe("Full snapshot of the device's state.") })
  .describe("Device state (retained).");

export const HEALTH_STATUSES = ["ok", "degraded", "unreachable", "fault", "unknown"] as const;
export const healthStatusSchema = z.enum(HEALTH_STATUSES);
// Compile-time guard: the contract's vocabulary is the drivers' vocabulary.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const healthAgrees: Same<HealthStatus, (typeof HEALTH_STATUSES)[number]> = true;
void healthAgrees;

export const DeviceHealthSchema = z
  .object({
    status: healthStatusSchema,
    code: z.string().min(1).optional().describe("Detail: timeout, nak, auth_failed, bad_config, not_secure, ..."),
    message: z.string().optional(),
    since: ts.describe("When the status last changed (ms epoch)."),
    lastSeen: ts.nullable().describe("When the device last answered (ms epoch); null if never."),
  })
  .describe("Device health (retained, published on change).");

export const ALARM_SEVERITIES = ["critical", "major", "minor", "warning"] as const;

export const AlarmSchema = z
  .object({
    severity: z.enum(ALARM_SEVERITIES),
    code: z.string().min(1),
    device: idSchema.optional(),
    raisedAt: ts,
    message: z.string(),
    ack: z
      .object({ user: z.string().min(1), at: ts })
      .optional()
      .describe("Set once an operator acknowledged it (`alarm.ack`); the user is the broker-verified one."),
  })
  .describe("An active alarm (retained while active; an empty retained payload clears it).");

export const RESPONSE_STATUSES = ["ok", "error", "rejected", "expired", "timeout"] as const;

export const CommandAuditSchema = z
  .object({
    id: z.string(),
    user: idSchema.describe("From the topic (verified by the broker's ACL), never from the payload."),
    device: idSchema.nullable().optional().describe("null or absent for agent-level or unreadable commands."),
    action: z.string().nullable().describe("null when the command could not be read."),
    status: z.enum(RESPONSE_STATUSES),
    durationMs: z.number().nonnegative(),
    errorCode: z.string().optional(),
  })
  .describe("Data of a `command` event: the audit record of one command.");

export const HealthEventSchema = DeviceHealthSchema.pick({ status: true, code: true, message: true })
  .extend({ previous: healthStatusSchema.optional() })
  .describe("Data of a `health` event: a device's health changed.");

export const DriverEventDataSchema = z
  .object({ type: z.string().min(1), message: z.string().optional(), data: z.record(z.string(), z.unknown()).optional() })
  .describe("Data of a `driver` event: something a driver reported (garbled_frame, network_change, ...).");

export const AlarmRaisedSchema = AlarmSchema.extend({ alarm: idSchema }).describe("Data of an `alarm.raised` event.");

export const AlarmClearedSchema = z
  .object({ alarm: idSchema, code: z.string().min(1).optional(), clearedAt: ts })
  .describe("Data of an `alarm.cleared` event.");

/** Known event types and the schema of their `data`. Other types may appear; consumers ignore them. */
export const EVENT_DATA_SCHEMAS = {
  command: CommandAuditSchema,
  health: HealthEventSchema,
  driver: DriverEventDataSchema,
  "alarm.raised": AlarmRaisedSchema,
  "alarm.cleared": AlarmClearedSchema,
  "readiness.started": ReadinessStartedSchema,
  "readiness.item": ReadinessItemEventSchema,
  "readiness.finished": ReadinessFinishedSchema,
  "scene.step": SceneStepEventSchema,
  "scene.finished": SceneFinishedSchema,
  "call.dropped": CallDroppedSchema,
} as const;
export type KnownEventType = keyof typeof EVENT_DATA_SCHEMAS;

export const EventSchema = z
  .object({
    id: z
      .string()
      .regex(/^[0-9]+-[0-9]+$/)
      .describe("Unique at the site: `{bootSeq}-{n}`. Delivery is at-least-once: dedupe by it."),
    ts,
    type: z.string().min(1).describe("command | health | driver | alarm.raised | alarm.cleared | ... (open set)."),
    device: idSchema.optional(),
    historical: z.boolean().optional().describe("True when replayed from the outbox after an outage."),
    data: z.record(z.string(), z.unknown()).optional().describe("Per type: see event-<type>.schema.json."),
  })
  .superRefine((ev, ctx) => {
    const schema = (EVENT_DATA_SCHEMAS as Record<string, z.ZodType>)[ev.type];
    if (schema === undefined) return;
    const r = schema.safeParse(ev.data);
    for (const issue of r.success ? [] : r.error.issues) {
      ctx.addIssue({ code: "custom", path: ["data", ...issue.path], message: issue.message });
    }
  })
  .describe("Something that happened (not retained): command audit, health change, driver event, alarm raised/cleared.");

export const ResponseSchema = z
  .object({
    id: z.string().max(64).nullable().describe("The command's id; \"\" or null if it could not be read from the payload."),
    status: z.enum(RESPONSE_STATUSES),
    data: z.unknown().optional().describe("Result of a successful action."),
    error: z
      .object({ code: z.string().min(1), message: z.string(), details: z.unknown().optional() })
      .optional()
      .describe("Present exactly when status is not ok. For rejected, details holds zod's issues."),
    ts,
  })
  .superRefine((r, ctx) => {
    if (r.status === "ok" && r.error !== undefined) ctx.addIssue({ code: "custom", path: ["error"], message: "ok has no error" });
    if (r.status !== "ok" && r.error === undefined) ctx.addIssue({ code: "custom", path: ["error"], message: `${r.status} needs an error` });
  })
  .describe("Agent -> operator response (never retained).");

export type AgentState = z.output<typeof AgentStateSchema>;
export type DeviceStatePayload = z.output<typeof DeviceStateSchema>;
export type DeviceHealthPayload = z.output<typeof DeviceHealthSchema>;
export type Alarm = z.output<typeof AlarmSchema>;
export type AlarmSeverity = Alarm["severity"];
/** An event payload (named so as not to shadow the DOM/Node `Event`). */
export type SiteEvent = z.output<typeof EventSchema>;
export type CommandAudit = z.output<typeof CommandAuditSchema>;
export type Command = z.output<typeof CommandSchema>;
/** A command as an operator may write it (args may be absent). */
export type CommandInput = z.input<typeof CommandSchema>;
/** A response payload (named so as not to shadow fetch's `Response`). */
export type CommandResponse = z.output<typeof ResponseSchema>;
export type ResponseStatus = CommandResponse["status"];

// ---------------------------------------------------------------- topic specs

/** Payload type of each topic. An alarm's `null` is the empty retained payload that clears it. */
export interface PayloadTypes {
  agentState: AgentState;
  agentMeta: AgentMeta;
  rebirth: unknown;
  deviceState: DeviceStatePayload;
  deviceHealth: DeviceHealthPayload;
  alarm: Alarm | null;
  event: SiteEvent;
  readiness: Readiness;
  cmd: Command;
  res: CommandResponse;
}

export interface TopicSpec {
  kind: TopicKind;
  /** With placeholders, as in DESIGN.md. */
  pattern: string;
  retain: boolean;
  qos: 0 | 1 | 2;
  from: "agent" | "operator";
  /** null: any payload (rebirth). */
  schema: z.ZodType | null;
  /** docs/schemas file name, or null. */
  schemaFile: string | null;
}

const spec = (kind: TopicKind, retain: boolean, from: TopicSpec["from"], schema: z.ZodType | null, file: string | null): TopicSpec => ({
  kind,
  pattern: TOPIC_PATTERNS[kind],
  retain,
  qos: 1,
  from,
  schema,
  schemaFile: file === null ? null : `${file}.schema.json`,
});

export const TOPIC_SPECS: Readonly<Record<TopicKind, TopicSpec>> = {
  agentState: spec("agentState", true, "agent", AgentStateSchema, "agent-state"),
  agentMeta: spec("agentMeta", true, "agent", AgentMetaSchema, "agent-meta"),
  rebirth: spec("rebirth", false, "operator", null, null),
  deviceState: spec("deviceState", true, "agent", DeviceStateSchema, "device-state"),
  deviceHealth: spec("deviceHealth", true, "agent", DeviceHealthSchema, "device-health"),
  alarm: spec("alarm", true, "agent", AlarmSchema, "alarm"),
  event: spec("event", false, "agent", EventSchema, "event"),
  readiness: spec("readiness", true, "agent", ReadinessSchema, "readiness"),
  cmd: spec("cmd", false, "operator", CommandSchema, "command"),
  res: spec("res", false, "agent", ResponseSchema, "response"),
};

/** MQTT publish options of a topic kind. */
export function publishOptions(kind: TopicKind): { qos: 0 | 1 | 2; retain: boolean } {
  const s = TOPIC_SPECS[kind];
  return { qos: s.qos, retain: s.retain };
}

// ---------------------------------------------------------------- encode / decode

/** A payload that does not match its topic's schema. `issues` are zod's, for a `rejected` answer. */
export class PayloadError extends Error {
  readonly code: "invalid_json" | "invalid_payload";
  readonly issues: readonly z.core.$ZodIssue[];
  constructor(code: PayloadError["code"], message: string, issues: readonly z.core.$ZodIssue[] = []) {
    super(message);
    this.name = "PayloadError";
    this.code = code;
    this.issues = issues;
  }
}

/** Validates and serialises a payload for `kind` (throws PayloadError). An alarm's null gives "" (clears it). */
export function encodePayload<K extends TopicKind>(kind: K, value: PayloadTypes[K]): string {
  if (kind === "alarm" && value === null) return "";
  const schema = TOPIC_SPECS[kind].schema;
  if (schema === null) return value === undefined ? "" : JSON.stringify(value);
  const r = schema.safeParse(value);
  if (!r.success) throw new PayloadError("invalid_payload", `${kind}: ${z.prettifyError(r.error)}`, r.error.issues);
  return JSON.stringify(r.data);
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: PayloadError };

/** Parses and validates a received payload for `kind`. Never throws. */
export function decodePayload<K extends TopicKind>(kind: K, payload: Buffer | Uint8Array | string): Decoded<PayloadTypes[K]> {
  const text = typeof payload === "string" ? payload : Buffer.from(payload).toString("utf8");
  if (kind === "alarm" && text === "") return { ok: true, value: null as PayloadTypes[K] };
  const schema = TOPIC_SPECS[kind].schema;
  // Any payload (rebirth): hand the text over as it came.
  if (schema === null) return { ok: true, value: text as PayloadTypes[K] };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: new PayloadError("invalid_json", `payload is not JSON: ${err instanceof Error ? err.message : String(err)}`) };
  }
  const r = schema.safeParse(json);
  if (!r.success) return { ok: false, error: new PayloadError("invalid_payload", z.prettifyError(r.error), r.error.issues) };
  return { ok: true, value: r.data as PayloadTypes[K] };
}
