/**
 * The command an operator sends (`.../cmd/{user}`), the one payload the agent itself validates; in a
 * module of its own so the agent loads it without the other payloads' schemas (agent/topic-names.ts).
 */
import { z } from "zod";
import { idSchema } from "../config/ids.js";

const ts = z.number().int().nonnegative().describe("Milliseconds since the Unix epoch.");

export const CommandSchema = z
  .strictObject({
    id: z.string().min(1).max(64).describe("Chosen by the operator; echoed in the response."),
    device: idSchema.optional().describe("Target device; absent for agent-level actions."),
    action: z.string().min(1).max(64).describe("Action name, as listed in agent/meta."),
    args: z.record(z.string(), z.unknown()).default({}).describe("Action arguments (see the action's JSON Schema in meta)."),
    expiresAt: ts.optional().describe("Past this time (ms epoch) the command is answered `expired`, never run."),
  })
  .describe("Operator -> agent command (never retained).");
