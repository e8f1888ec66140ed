/**
 * The readiness parts of the site file (docs/readiness.md): each room's profile (the expected
 * session state of its devices and the network hosts it needs), its scenes (named sequences of
 * actions, waits and verifications), and the site's check settings and schedule.
 *
 * A device's expectations are validated by its driver (`drivers/<name>/readiness.ts`) when the file
 * is loaded (agent/drivers.ts `checkDevices`), the way its `options` are.
 */
import { z } from "zod";
import { idSchema } from "./ids.js";

const ms = (max: number) => z.number().int().min(0).max(max);

export const hostCheckSchema = z
  .strictObject({
    host: z.string().min(1).describe("Address or name of the host, e.g. the conference bridge."),
    port: z.number().int().min(1).max(65535).describe("A TCP port the host serves (e.g. 443, 5061): the probe connects to it."),
    warnRttMs: z.number().positive().max(60_000).optional().describe("Round-trip time above which the item warns."),
    maxRttMs: z.number().positive().max(60_000).default(200).describe("Round-trip time above which the item fails."),
    count: z.number().int().min(1).max(10).default(3).describe("Connections made; the median time is judged."),
    timeoutMs: z.number().int().min(100).max(30_000).default(2000).describe("Deadline of one connection."),
    simulator: z
      .strictObject({ enabled: z.boolean().default(false).describe("`roomgate sim` listens on host:port in its place.") })
      .optional()
      .describe("A stand-in listener for development and tests."),
  })
  .refine((h) => h.warnRttMs === undefined || h.warnRttMs <= h.maxRttMs, { message: "warnRttMs must not exceed maxRttMs", path: ["warnRttMs"] })
  .describe("A network host the room needs: reachable, and answering within the thresholds (TCP connect time).");

export const roomProfileSchema = z
  .strictObject({
    devices: z
      .record(idSchema, z.record(z.string(), z.unknown()))
      .default({})
      .describe("Device id -> its expected session state; the keys are the driver's (docs/readiness.md)."),
    hosts: z.record(idSchema, hostCheckSchema).default({}).describe("Host id -> reachability and round-trip time thresholds."),
  })
  .describe("The expected session state of a room, checked by `roomgate check` and `readiness.run`.");

export const FAILURE_POLICIES = ["stop", "continue"] as const;

export const actionStepSchema = z
  .strictObject({
    device: idSchema.describe("The device the step acts on."),
    action: z.string().min(1).describe("Its action, e.g. power, preset.recall, input.select, mute.set."),
    args: z.record(z.string(), z.unknown()).default({}).describe("The action's args."),
    timeoutMs: z.number().int().min(100).max(60_000).default(5000).describe("Deadline of the step."),
    onFailure: z.enum(FAILURE_POLICIES).optional().describe("Overrides the scene's onFailure for this step."),
  })
  .describe("Run a device action.");

export const waitStepSchema = z
  .strictObject({ wait: ms(600_000).describe("Milliseconds to wait (a camera moving, a display booting).") })
  .describe("Wait.");

export const verifyStepSchema = z
  .strictObject({
    verify: z.union([idSchema, z.array(idSchema).min(1)]).describe("Device(s) whose room-profile expectations must pass now (read back)."),
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000).describe("Deadline of the read-back."),
    onFailure: z.enum(FAILURE_POLICIES).optional().describe("Overrides the scene's onFailure for this step."),
  })
  .describe("Verify devices against the room profile.");

export const sceneStepSchema = z.union([actionStepSchema, waitStepSchema, verifyStepSchema]).describe("One step: an action, a wait or a verification.");

export const sceneSchema = z
  .strictObject({
    description: z.string().max(200).optional(),
    onFailure: z.enum(FAILURE_POLICIES).default("stop").describe("stop: a failed step ends the scene; continue: the next step runs anyway."),
    steps: z.array(sceneStepSchema).min(1).describe("Run in order."),
  })
  .describe("A named sequence of steps (prepare, shutdown, presentation, failsafe, ...), run by `scene.run`.");

export const readinessSettingsSchema = z
  .strictObject({
    deadlineMs: z.number().int().min(1000).max(300_000).default(20_000).describe("A check finishes within this, whatever the devices do."),
    deviceTimeoutMs: z.number().int().min(200).max(120_000).default(10_000).describe("Deadline of reading one device back."),
    slowMs: z.number().int().min(1).max(60_000).default(3000).describe("A device that takes longer than this to answer is a warn (slow)."),
    schedule: z
      .strictObject({
        beforeMinutes: z.array(z.number().int().min(1).max(24 * 60)).default([]).describe("Run the check this many minutes before each session, e.g. [60, 15]."),
        sessions: z
          .array(
            z.strictObject({
              start: z.iso.datetime({ offset: true }).describe("When the session starts (ISO 8601 with offset or Z)."),
              room: idSchema.optional().describe("Check only this room (default: every room with a profile)."),
            }),
          )
          .default([])
          .describe("Sessions to check before; the starts of the rooms' secure.schedule windows count too."),
      })
      .prefault({})
      .describe("Checks the agent runs by itself."),
  })
  .describe("Readiness check settings of the site.");

export type HostCheck = z.output<typeof hostCheckSchema>;
export type RoomProfile = z.output<typeof roomProfileSchema>;
export type SceneConfig = z.output<typeof sceneSchema>;
export type SceneStep = z.output<typeof sceneStepSchema>;
export type ActionStep = z.output<typeof actionStepSchema>;
export type ReadinessSettings = z.output<typeof readinessSettingsSchema>;
