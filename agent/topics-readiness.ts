/**
 * Payload schemas of the readiness report (retained `roomgate/v1/{site}/readiness`) and of the
 * readiness and scene events, kept beside agent/topics.ts (which maps them to their topics and
 * re-exports them) so that the contract module stays readable. docs/readiness.md explains them.
 */
import { z } from "zod";
import { idSchema, siteIdSchema } from "../config/ids.js";

const ts = z.number().int().nonnegative().describe("Milliseconds since the Unix epoch.");

export const READINESS_RESULTS = ["pass", "warn", "fail"] as const;
export const ITEM_RESULTS = [...READINESS_RESULTS, "skip"] as const;

const checkId = z.string().min(1).max(64).describe("Id of one check run, unique at the site: `chk-{bootSeq}-{n}`.");

export const ReadinessItemSchema = z
  .object({
    id: z.string().min(1).describe("Stable across runs: `{device}.{key}` (e.g. `cam-main.power`, `dsp.mics.muted`) or `{host}.rtt`."),
    name: z.string().min(1).describe("What is checked, for a person."),
    room: idSchema.optional(),
    device: idSchema.optional(),
    host: idSchema.optional(),
    result: z.enum(ITEM_RESULTS),
    code: z
      .string()
      .optional()
      .describe("Why, when not pass: unreachable, slow, power_off, wrong_input, blanked, muted, out_of_range, no_signal, not_secure, ..."),
    message: z.string().optional().describe("What was found, e.g. `expected on, got standby`."),
    fix: z.string().optional().describe("What the technician can do about it."),
    expected: z.unknown().optional(),
    actual: z.unknown().optional(),
    durationMs: z.number().nonnegative().optional().describe("Time to read the device (or probe the host) back."),
  })
  .describe("One checked expectation.");

export const StepResultSchema = z
  .object({
    index: z.number().int().nonnegative(),
    kind: z.enum(["action", "wait", "verify"]),
    device: z.string().optional().describe("The device (a verify step: the devices, comma-separated)."),
    action: z.string().optional(),
    status: z.enum(["ok", "error", "skipped"]).describe("skipped: not run, an earlier step failed and the scene stops on failure."),
    error: z.object({ code: z.string().min(1), message: z.string() }).optional(),
    durationMs: z.number().nonnegative(),
    failing: z.array(z.string()).optional().describe("A verify step's failing items."),
  })
  .describe("The result of one scene step.");

export const SceneResultSchema = z
  .object({
    scene: idSchema,
    room: idSchema,
    status: z.enum(["ok", "failed"]),
    steps: z.array(StepResultSchema),
    startedAt: ts,
    durationMs: z.number().nonnegative(),
  })
  .describe("The result of one scene run.");

const counts = z
  .object({ pass: z.number().int(), warn: z.number().int(), fail: z.number().int(), skip: z.number().int() })
  .describe("Items by result.");

export const ReadinessSchema = z
  .object({
    id: checkId,
    site: siteIdSchema,
    ts: ts.describe("When the report was made (the check's end)."),
    startedAt: ts,
    result: z.enum(READINESS_RESULTS).describe("Worst result of the checks (skip counts as nothing)."),
    durationMs: z.number().nonnegative(),
    deadlineMs: z.number().int().positive().describe("The check finished within this."),
    requestedBy: idSchema.optional().describe("User who asked for the check (broker-verified); `schedule` for a scheduled one."),
    trigger: z.enum(["manual", "schedule"]),
    rooms: z.array(idSchema).describe("Rooms checked."),
    counts,
    fix: z.array(SceneResultSchema).optional().describe("With fix: the prepare scene(s) run before the check."),
    checks: z.array(ReadinessItemSchema),
  })
  .describe("The last readiness report of the site (retained).");

export const ReadinessStartedSchema = z
  .object({
    check: checkId,
    requestedBy: idSchema.optional(),
    trigger: z.enum(["manual", "schedule"]),
    rooms: z.array(idSchema),
    deadlineMs: z.number().int().positive(),
    items: z.array(ReadinessItemSchema.pick({ id: true, name: true, room: true, device: true, host: true })).describe("Every item the check will report, in order."),
  })
  .describe("Data of a `readiness.started` event.");

export const ReadinessItemEventSchema = z.object({ check: checkId, item: ReadinessItemSchema }).describe("Data of a `readiness.item` event: one item judged.");

export const ReadinessFinishedSchema = z
  .object({ check: checkId, result: z.enum(READINESS_RESULTS), counts, durationMs: z.number().nonnegative() })
  .describe("Data of a `readiness.finished` event (the report itself is retained on `readiness`).");

const sceneRun = z.string().min(1).max(64).describe("Id of one scene run: `scn-{bootSeq}-{n}`.");

export const SceneStepEventSchema = z
  .object({ run: sceneRun, scene: idSchema, room: idSchema, step: StepResultSchema })
  .describe("Data of a `scene.step` event: one step ended.");

export const SceneFinishedSchema = SceneResultSchema.extend({ run: sceneRun, user: z.string().optional() }).describe("Data of a `scene.finished` event.");

export type Readiness = z.output<typeof ReadinessSchema>;
export type ReadinessItemReport = z.output<typeof ReadinessItemSchema>;
export type PlannedItem = z.output<typeof ReadinessStartedSchema>["items"][number];
