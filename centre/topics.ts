/**
 * The centre's own topic: `roomgate/centre/{user}/health`, where {user} is the recorder's broker user
 * (the broker lets user R write only roomgate/centre/R/health, broker/acl.ts). Outside the
 * `roomgate/v1/{site}` tree on purpose: a site id may be any id, `centre` included, and the centre is
 * no site. Retained, QoS 1. docs/topics.md documents it.
 *
 * What the centre reads is the agents' contract (agent/topics.ts): the one module of agent/ the
 * centre imports, because it is the contract itself (pure zod schemas and topic parsing, no runtime).
 */
import { z } from "zod";
import { idSchema } from "../config/ids.js";

export const CENTRE_TOPIC_PREFIX = "roomgate/centre";

export const centreTopics = {
  health: (user: string) => `${CENTRE_TOPIC_PREFIX}/${idSchema.parse(user)}/health`,
} as const;

const ts = z.number().int().nonnegative();

export const CENTRE_HEALTH_CODES = ["database_down", "database_full", "database_refused", "lost", "stopped"] as const;

export const CentreHealthSchema = z
  .object({
    status: z.enum(["ok", "degraded", "unreachable"]).describe("ok: every message is committed as it comes; degraded: the database does not take rows, nothing is acknowledged; unreachable: the broker lost the centre (its last will)."),
    code: z.enum(CENTRE_HEALTH_CODES).optional(),
    message: z.string().optional(),
    since: ts.optional().describe("When this status began (absent in the will: it is written at connect time)."),
    ts: ts.optional(),
    database: z.enum(["pglite", "postgres"]).optional(),
    backlog: z.number().int().nonnegative().optional().describe("Messages received and not yet committed (so not yet acknowledged to the broker)."),
    recorded: z.number().int().nonnegative().optional().describe("Messages committed since the centre started."),
    duplicates: z.number().int().nonnegative().optional().describe("Messages that were already recorded (redeliveries, replays, retained republishes) since start."),
    quarantined: z.number().int().nonnegative().optional().describe("Messages kept in quarantine since start (not JSON, failed their schema, claimed another site)."),
    version: z.string().optional(),
  })
  .describe("The centre's recorder: whether the record is being kept (retained).");

export type CentreHealth = z.output<typeof CentreHealthSchema>;
