/**
 * The call parts of the site file (docs/alarms.md "Calls", docs/readiness.md "The test call"): the
 * loss and jitter thresholds and the window of the codec module's `call-quality` alarm, for the site
 * with a per-codec override, and each codec's optional test call for the readiness check.
 *
 * The defaults are the interactive-video limits of Cisco's QoS baseline (loss <= 1 %, jitter <= 30 ms;
 * ../shared/PROTOCOLS-CONFERENCE-NETWORK.md part E), the same as drivers/codec/vocabulary.ts's
 * DEFAULT_QUALITY. The dial string is checked against the codec vocabulary's `call.dial` args when the
 * file is loaded with its drivers (agent/readiness/config-check.ts): config never imports a driver.
 */
import { z } from "zod";

/** Defaults of `calls.quality`. */
export const QUALITY_DEFAULTS = { lossPct: 1, jitterMs: 30, windowSec: 10 } as const;

/** Left at the end of a test call's budget to hang it up (the hang-up's own deadline). */
export const TEST_CALL_HANGUP_SEC = 3;

const lossPct = z.number().min(0).max(100);
const jitterMs = z.number().min(0).max(10_000);
const windowSec = z.number().int().min(1).max(3600);

const LOSS_TEXT = "Packet loss (%, any medium, either direction) above which a call's quality is poor.";
const JITTER_TEXT = "Jitter (ms, any medium, either direction) above which a call's quality is poor.";
const WINDOW_TEXT =
  "How long a call must stay over a threshold before `{codec}-call-quality` is raised, and back under both before it clears.";

export const callQualitySchema = z
  .strictObject({
    lossPct: lossPct.default(QUALITY_DEFAULTS.lossPct).describe(`${LOSS_TEXT} Default 1 (Cisco QoS baseline for interactive video).`),
    jitterMs: jitterMs.default(QUALITY_DEFAULTS.jitterMs).describe(`${JITTER_TEXT} Default 30 (Cisco QoS baseline for interactive video).`),
    windowSec: windowSec
      .default(QUALITY_DEFAULTS.windowSec)
      .describe(`${WINDOW_TEXT} Default 10: two or three readings of the codec's statistics, so one burst is not an alarm.`),
  })
  .describe("Call-quality thresholds of every codec of the site (docs/alarms.md).");

export const callQualityOverrideSchema = z
  .strictObject({
    lossPct: lossPct.optional().describe(`${LOSS_TEXT} Overrides calls.quality.lossPct.`),
    jitterMs: jitterMs.optional().describe(`${JITTER_TEXT} Overrides calls.quality.jitterMs.`),
    windowSec: windowSec.optional().describe(`${WINDOW_TEXT} Overrides calls.quality.windowSec.`),
  })
  .describe("This codec's own call-quality thresholds; what is left out comes from calls.quality.");

export const testCallSchema = z
  .strictObject({
    number: z
      .string()
      .min(1)
      .max(200)
      .describe("What the codec dials: the MCU's test or loopback service, e.g. 9999@mcu.province.gov (a dial string: no spaces or quotes)."),
    protocol: z.enum(["sip", "h323", "auto"]).default("auto").describe("sip, h323, or auto (the codec's default)."),
    rateKbps: z.number().int().min(64).max(6144).optional().describe("Call rate; absent: the codec's default."),
    connectSec: z.number().int().min(1).max(120).default(10).describe("The call must connect within this (seconds)."),
    holdSec: z
      .number()
      .int()
      .min(1)
      .max(120)
      .default(5)
      .describe("Then every quality reading the codec gives for this long must be under the thresholds (seconds)."),
  })
  .describe("A test call in the readiness check of the codec's room, hung up afterwards whatever happens (docs/readiness.md).");

export const siteCallsSchema = z
  .strictObject({ quality: callQualitySchema.prefault({}) })
  .describe("Calls of the site's codecs: the thresholds of the call-quality alarm.");

export const deviceCallsSchema = z
  .strictObject({
    quality: callQualityOverrideSchema.optional(),
    testCall: testCallSchema.optional(),
  })
  .describe("A codec's own call settings (kind codec only): quality thresholds, and its test call.");

export type CallQuality = z.output<typeof callQualitySchema>;
export type TestCall = z.output<typeof testCallSchema>;

/** The quality thresholds and window that hold for `device`: its own over the site's. */
export function qualityFor(config: { calls: { quality: CallQuality }; devices: Record<string, { calls?: { quality?: Partial<CallQuality> | undefined } | undefined }> }, device: string): CallQuality {
  const own = config.devices[device]?.calls?.quality ?? {};
  const defined = Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined));
  return { ...config.calls.quality, ...defined };
}

/** Longest a test call may take: connect, hold, and the hang-up. */
export const testCallBudgetSec = (t: TestCall): number => t.connectSec + t.holdSec + TEST_CALL_HANGUP_SEC;

type CallsShape = {
  rooms?: Record<string, { profile?: unknown }> | undefined;
  devices: Record<string, { kind: string; room?: string | undefined; calls?: { testCall?: TestCall | undefined } | undefined }>;
  readiness: { deadlineMs: number };
};

/**
 * Cross-field rules: call settings only on a codec; a test call needs a room with a readiness
 * profile (else no check would ever make it) and must fit in the check's deadline.
 */
export function checkCalls(site: CallsShape, ctx: z.RefinementCtx): void {
  for (const [id, dev] of Object.entries(site.devices)) {
    if (dev.calls === undefined) continue;
    const at = ["devices", id, "calls"];
    if (dev.kind !== "codec") {
      ctx.addIssue({ code: "custom", path: at, message: `only a codec (kind codec) has call settings; ${id} is a ${dev.kind}` });
      continue;
    }
    const t = dev.calls.testCall;
    if (t === undefined) continue;
    const tAt = [...at, "testCall"];
    if (dev.room === undefined) {
      ctx.addIssue({ code: "custom", path: tAt, message: `a test call runs in its room's readiness check: give devices.${id} a room with a readiness profile` });
    } else if (site.rooms?.[dev.room]?.profile === undefined) {
      ctx.addIssue({ code: "custom", path: tAt, message: `room ${dev.room} has no readiness profile (rooms.${dev.room}.profile), so no check would make this test call` });
    }
    const budget = testCallBudgetSec(t);
    if (budget * 1000 > site.readiness.deadlineMs) {
      ctx.addIssue({
        code: "custom",
        path: tAt,
        message:
          `the test call takes up to ${budget} s (connectSec ${t.connectSec} + holdSec ${t.holdSec} + ${TEST_CALL_HANGUP_SEC} s to hang up), ` +
          `longer than the check's deadline readiness.deadlineMs (${site.readiness.deadlineMs} ms): raise it, or shorten connectSec or holdSec`,
      });
    }
  }
}
