/**
 * Options of the STAMP link probe (the `options` block of a `kind: link, protocol: stamp` device).
 * The thresholds' defaults and their sources: docs/devices.md, "WAN link"; [A] marks an assumption.
 */
import { z } from "zod";
import { DeviceError } from "../types.js";
import { MAX_PACKET_SIZE, SENDER_BASE_SIZE } from "./codec.js";

function limits(unit: string, ok: number, warn: number, max: number, source: string) {
  const n = z.number().min(0).max(max);
  return z
    .strictObject({
      ok: n.default(ok).describe(`At or below: ok (${unit}).`),
      warn: n.default(warn).describe(`At or below: warn; above: critical (${unit}).`),
    })
    .refine((l) => l.ok <= l.warn, "ok must not exceed warn")
    .prefault({})
    .describe(`${unit}: ok <= ${ok}, warn <= ${warn}, else critical. ${source}`);
}

const SEVERITIES = ["critical", "major", "minor", "warning"] as const;

export const stampOptionsSchema = z
  .strictObject({
    intervalMs: z
      .number()
      .int()
      .min(10)
      .max(60_000)
      .default(100)
      .describe("Time between probes (100 = 10 probes a second, about 6 kbit/s each way with 44-octet packets)."),
    windowMs: z
      .number()
      .int()
      .min(500)
      .max(3_600_000)
      .default(30_000)
      .describe("The sliding window the figures cover; no reply at all for this long makes the link unreachable."),
    timeoutMs: z
      .number()
      .int()
      .min(20)
      .max(60_000)
      .default(1000)
      .describe("A probe not answered within this is lost (a later reply counts as `late`); also poll's deadline."),
    packetSize: z
      .number()
      .int()
      .min(SENDER_BASE_SIZE)
      .max(MAX_PACKET_SIZE)
      .default(SENDER_BASE_SIZE)
      .describe(`UDP payload of each probe, ${SENDER_BASE_SIZE}..${MAX_PACKET_SIZE} octets; a STAMP reflector answers with as many. ${SENDER_BASE_SIZE} is STAMP's base packet, as long as the reflected one.`),
    minProbes: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(100)
      .describe("Figures are judged once this many probes in the window were answered or lost (with fewer, one loss weighs more than the 1 % limit) [A]."),
    thresholds: z
      .strictObject({
        loss: limits("% of probes lost", 0.5, 1, 100, "Sources: Cisco's video QoS baseline (loss <= 1 %), Vidyo (< 1 % ok); the 0.5 % ok line is [A]."),
        jitter: limits("ms, mean |ΔRTT|", 20, 30, 60_000, "Sources: Cisco's video QoS baseline (jitter <= 30 ms); the 20 ms ok line is [A]."),
        rtt: limits("ms, round trip (the rttStatistic)", 150, 300, 60_000, "Sources: ITU-T G.114 (one-way <= 150 ms, so a 300 ms round trip is the warn edge); RTT <= 150 ms ok is [A]."),
      })
      .prefault({})
      .describe("Quality bands per metric."),
    rttStatistic: z.enum(["p50", "p95", "max"]).default("p95").describe("Which round-trip figure is judged against thresholds.rtt [A]."),
    clearRatio: z
      .number()
      .gt(0)
      .max(1)
      .default(0.8)
      .describe("Hysteresis: a metric returns to a better band only at or below this fraction of that band's limit [A]."),
    clearHoldMs: z
      .number()
      .int()
      .min(0)
      .max(3_600_000)
      .default(10_000)
      .describe("Hysteresis: ...and only after staying there this long [A]. Getting worse is immediate."),
    alarmSeverity: z
      .strictObject({
        warn: z.enum(SEVERITIES).default("minor").describe("Severity of {device}-quality in the warn band."),
        critical: z.enum(SEVERITIES).default("major").describe("Severity of {device}-quality in the critical band."),
      })
      .prefault({})
      .describe("Alarm severity by band [A]."),
    reportMs: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .default(5000)
      .describe("At most one `state` event per this many ms (a band change is reported at once)."),
    connectTimeoutMs: z
      .number()
      .int()
      .positive()
      .max(600_000)
      .default(5000)
      .describe("How long start() waits for the socket and a first reply before it resolves with health `unreachable`."),
  })
  .refine((o) => o.timeoutMs < o.windowMs, { message: "timeoutMs must be shorter than windowMs", path: ["timeoutMs"] })
  .refine((o) => o.intervalMs * 2 <= o.windowMs, { message: "the window must hold at least two probes (intervalMs <= windowMs / 2)", path: ["intervalMs"] })
  .describe("STAMP / TWAMP-light link probe options (kind link, protocol stamp)");

export type StampOptions = z.output<typeof stampOptionsSchema>;
export type Severity = (typeof SEVERITIES)[number];

/** Validates raw options. Throws DeviceError `invalid_args` naming each bad path. */
export function parseStampOptions(raw: unknown): StampOptions {
  const result = stampOptionsSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: ["options", ...i.path].join("."), message: i.message }));
  throw new DeviceError("invalid_args", `invalid STAMP options: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, { issues });
}
