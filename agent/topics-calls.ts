/**
 * Payload schemas of the codec module's events (docs/alarms.md "Calls"), kept beside agent/topics.ts,
 * which maps them to their event types and re-exports them.
 */
import { z } from "zod";

export const CallDroppedSchema = z
  .object({
    callId: z.string().min(1).describe("The codec's own id of the call."),
    remote: z.string().describe("The far end's number or URI."),
    direction: z.enum(["incoming", "outgoing"]),
    local: z.literal(false).describe("Always false: a hang-up at this endpoint is not a drop."),
    cause: z.string().describe("The codec's cause, in its own words (RemoteDisconnect, 16, remote hangup, ...)."),
    reason: z
      .enum(["local", "remote", "network", "rejected", "no_answer", "unknown"])
      .describe("The codec driver's summary: remote (the far end hung up), network (the call was lost), unknown."),
    connectedMs: z.number().nonnegative().describe("How long the call was connected before it ended (ms)."),
  })
  .describe("Data of a `call.dropped` event (`device`: the codec): a connected call ended without a hang-up at this endpoint.");
