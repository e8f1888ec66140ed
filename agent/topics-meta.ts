/**
 * Payload schema of the retained `roomgate/v1/{site}/agent/meta` (the site's inventory), kept beside
 * agent/topics.ts (which maps it to its topic and re-exports it). docs/topics.md explains it.
 *
 * `agent` (the agent's own actions) was added within v1: optional here, so a consumer validating
 * with this schema still accepts the meta of an agent from before it.
 */
import { z } from "zod";
import { idSchema, siteIdSchema } from "../config/ids.js";
import { DEVICE_KINDS } from "../config/site.js";

const ts = z.number().int().nonnegative().describe("Milliseconds since the Unix epoch.");
const bootSeq = z
  .number()
  .int()
  .nonnegative()
  .describe("Counts agent starts; a new value means the agent restarted (not just reconnected).");

const actionMetaSchema = z.object({
  description: z.string(),
  args: z.record(z.string(), z.unknown()).describe("JSON Schema of the action's args."),
});

export const DeviceMetaSchema = z.object({
  kind: z.enum(DEVICE_KINDS),
  protocol: z.string().min(1),
  room: idSchema.optional(),
  name: z.string().optional(),
  transport: z.string().describe("Endpoint without secrets, e.g. serial:/dev/ttyUSB0@9600, udp:10.0.0.5:52381."),
  actions: z.record(z.string(), actionMetaSchema).describe("Actions by name."),
  stateFields: z.array(z.string()).describe("Fields of the device's state payload."),
});

export const AgentSectionMetaSchema = z
  .object({
    actions: z
      .record(z.string(), actionMetaSchema)
      .describe("Actions by name, addressed to the agent itself: a command without `device`. Exactly those the agent accepts."),
  })
  .describe("The agent's own actions (readiness, scenes, secure sessions, alarms, power-cycling, discovery, ...).");

export const AgentMetaSchema = z
  .object({
    site: siteIdSchema,
    name: z.string().optional(),
    region: z.array(idSchema).describe("Region path from the top, as ids."),
    version: z.string().min(1),
    bootSeq,
    ts,
    rooms: z.record(idSchema, z.object({ name: z.string().optional() })).optional(),
    devices: z.record(idSchema, DeviceMetaSchema),
    agent: AgentSectionMetaSchema.optional(),
  })
  .describe("Site inventory (retained): devices, their actions with JSON Schemas of args, state fields; the agent's own actions.");

export type AgentMeta = z.output<typeof AgentMetaSchema>;
export type DeviceMeta = z.output<typeof DeviceMetaSchema>;
