/**
 * The centre file (YAML) of `roomgate centre`: the broker it records from and its login, the
 * database, retention per kind and the state directory. Unknown keys are refused. Paths are relative
 * to the file (config/load.ts resolves them); the password is read from a file, never written here.
 */
import { z } from "zod";
import { centreWebSchema } from "./centre-web.js";
import { idSchema } from "./ids.js";
import { logLevelSchema } from "./site.js";
import { syslogConfigSchema } from "./syslog.js";

const fileSchema = (what: string) => z.string().min(1).describe(`${what} (a relative path is relative to the centre file).`);

export const centreBrokerSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^(mqtts?|wss?):\/\/\S+$/, "expected mqtt://, mqtts://, ws:// or wss://HOST[:PORT]")
      .default("mqtt://127.0.0.1:1883")
      .describe("The broker the agents report to."),
    user: idSchema.default("recorder").describe("The recorder's broker user (role recorder: `roomgate broker passwd USER --role recorder`)."),
    passwordFile: fileSchema("File holding the user's password").optional().describe("File holding the user's password; without it the centre connects without a password (a lab's anonymous broker)."),
    caFile: fileSchema("CA certificates that sign an mqtts:// or wss:// broker's certificate").optional(),
    clientId: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("MQTT client id of the persistent session. Default roomgate-centre-{user}. Keep it stable: the broker keeps the session's queue under it."),
    keepaliveSec: z.number().int().min(5).max(600).default(30).describe("MQTT keepalive."),
  })
  .describe("The broker and the recorder's login. The session is persistent (clean=false, QoS 1): the broker keeps what arrives while the centre is away.");

export const centreDatabaseSchema = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("pglite") }).describe("Embedded PostgreSQL (PGlite, WebAssembly) on disk in {stateDir}/centre/pgdata: nothing to install. Single process."),
    z.strictObject({
      type: z.literal("postgres"),
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\/\S+$/, "expected postgres://USER@HOST[:PORT]/DB")
        .refine((u) => !/^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(u), "write no password in the URL: use passwordFile")
        .describe("postgres://USER@HOST[:PORT]/DB (no password here: passwordFile, or $PGPASSWORD / ~/.pgpass)."),
      passwordFile: fileSchema("File holding the database user's password").optional(),
      poolSize: z.number().int().min(2).max(64).default(4).describe("Connections: one writes, the others answer history queries."),
    }).describe("A PostgreSQL server: the same schema and queries, for a province or a nation that outgrows one process."),
  ])
  .describe("Where the record is kept.");

const days = (what: string, def: number, min = 1) =>
  z.number().int().min(min).max(36_500).default(def).describe(`Days ${what} are kept (default ${def}).`);

export const centreRetentionSchema = z
  .strictObject({
    audit: days("command audit records", 365),
    alarms: days("alarms (cleared ones; an active alarm is never removed)", 365),
    health: days("device health transitions", 90),
    agents: days("agent births, clean stops and losses", 365),
    readiness: days("readiness reports", 365),
    // The raw events are the dedupe key: one older than an agent's outbox could ever replay
    // (broker.outboxMaxAgeSec, 7 days by default) must still be there, or a late replay is recorded twice.
    events: days("raw events (the dedupe record); at least 8, longer than any agent's outbox keeps an event", 90, 8),
    quarantine: days("quarantined messages", 90),
  })
  .describe("Retention per kind, applied daily, oldest rows first; the newest row of each series (a device's health, a site's audit chain, its agent state, its last readiness report) is always kept.");

export const centreConfigSchema = z
  .strictObject({
    broker: centreBrokerSchema.prefault({}),
    database: centreDatabaseSchema.prefault({ type: "pglite" }),
    retention: centreRetentionSchema.prefault({}),
    stateDir: z
      .string()
      .min(1)
      .optional()
      .describe("State directory: the PGlite database, the local API socket, the audit chain's signing key. Default $ROOMGATE_STATE_DIR, else .roomgate; the centre keeps its files in {stateDir}/centre."),
    batchSize: z.number().int().min(1).max(10_000).default(1000).describe("Most messages committed in one transaction."),
    maxBacklog: z
      .number()
      .int()
      .min(100)
      .max(1_000_000)
      .default(50_000)
      .describe("Messages held unacknowledged in memory while the database is away; past it the centre stops reading and the broker keeps the rest in the session."),
    healthRefreshSec: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(60)
      .describe("How often the centre's health topic (roomgate/centre/{user}/health) is republished with its counters (recorded, backlog, quarantined) while they change. A change of status is published at once."),
    logLevel: logLevelSchema.default("info"),
    web: centreWebSchema.optional().describe("The console with its history pages and /metrics (docs/centre.md); without it the centre serves no web pages."),
    syslog: syslogConfigSchema.optional().describe("Syslog to the security operations centre (centre/syslog, docs/centre.md#syslog-to-the-soc); absent: nothing is forwarded."),
  })
  .describe("roomgate centre file");

export type CentreConfig = z.output<typeof centreConfigSchema>;
export type CentreConfigInput = z.input<typeof centreConfigSchema>;
export type CentreRetention = z.output<typeof centreRetentionSchema>;
export type CentreDatabase = z.output<typeof centreDatabaseSchema>;
