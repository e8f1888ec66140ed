/**
 * What a room profile may expect of the WAN link: loss, jitter and round trip within limits, judged
 * on the window's figures at the moment of the check (no hysteresis: a check is a snapshot). `true`
 * takes the device's own thresholds (options.thresholds); `{ok, warn}` gives the check its own.
 * At or below ok: pass; at or below warn: warn; above: fail. The fix is the network team's: each item
 * says what to tell them.
 */
import { z } from "zod";
import type { DriverReadiness, ReadinessItem } from "../readiness.js";
import { parseStampOptions, type StampOptions } from "./options.js";
import type { Limits, Metric } from "./quality.js";

const limitsSchema = (unit: string) =>
  z
    .strictObject({
      ok: z.number().min(0).describe(`At or below: pass (${unit}).`),
      warn: z.number().min(0).describe(`At or below: warn; above: fail (${unit}).`),
    })
    .refine((l) => l.ok <= l.warn, "ok must not exceed warn");

const check = (unit: string, what: string) =>
  z
    .union([z.literal(true), limitsSchema(unit)])
    .optional()
    .describe(`${what}: true for the device's thresholds, or {ok, warn} in ${unit}.`);

export const stampProfileSchema = z
  .strictObject({
    loss: check("%", "Probes lost in the window"),
    jitter: check("ms", "Jitter (mean |ΔRTT|) in the window"),
    rtt: check("ms", "Round trip (the device's rttStatistic, p95 by default) in the window"),
  })
  .describe("Readiness expectations of the WAN link (STAMP probe).");

export type StampProfile = z.output<typeof stampProfileSchema>;

const NAMES: Record<Metric, (l: Limits) => string> = {
  loss: (l) => `WAN loss <= ${l.ok} %`,
  jitter: (l) => `WAN jitter <= ${l.ok} ms`,
  rtt: (l) => `WAN round trip <= ${l.ok} ms`,
};

const CODES: Record<Metric, string> = { loss: "loss_high", jitter: "jitter_high", rtt: "rtt_high" };
const UNIT: Record<Metric, string> = { loss: " %", jitter: " ms", rtt: " ms" };

/** What the technician tells the network team, per metric. */
function fix(m: Metric, reflector: string, figure: string, warn: number): string {
  const path = `the WAN path from this site to the MCU's reflector (${reflector || "the link device's transport"})`;
  switch (m) {
    case "loss":
      return `tell the network team: ${path} loses ${figure} of STAMP probes (limit ${warn} %); ask them to check the circuit's error and drop counters and that video is queued as AF41 with its bandwidth (+20 %) reserved`;
    case "jitter":
      return `tell the network team: ${path} has ${figure} of jitter (limit ${warn} ms); ask them to check queueing on the WAN edge: video as AF41 with priority, no congested uplink, no bulk transfer sharing its queue`;
    case "rtt":
      return `tell the network team: ${path} has a ${figure} round trip (limit ${warn} ms); ask them to check the route to the MCU: a detour or backup path, or a saturated link`;
  }
}

export const readiness: DriverReadiness<StampProfile> = {
  profile: stampProfileSchema,
  evaluate(p, s, options) {
    const o: StampOptions = parseStampOptions(options);
    const resolved = num(s.repliesReceived) + num(s.lost);
    const reflector = typeof s.reflector === "string" ? s.reflector : "";
    const rtt = s.rttMs && typeof s.rttMs === "object" ? (s.rttMs as Record<string, unknown>)[o.rttStatistic] : null;
    const values: Record<Metric, unknown> = { loss: s.lossPct, jitter: s.jitterMs, rtt };
    const items: ReadinessItem[] = [];
    for (const m of ["loss", "jitter", "rtt"] as const) {
      const want = p[m];
      if (want === undefined) continue;
      const limits = want === true ? o.thresholds[m] : want;
      items.push(judge(m, limits, values[m], resolved, o, reflector));
    }
    return items;
  },
};

function judge(m: Metric, limits: Limits, actual: unknown, resolved: number, o: StampOptions, reflector: string): ReadinessItem {
  const base = { key: m, name: NAMES[m](limits), expected: { ok: limits.ok, warn: limits.warn } };
  const window = `in the last ${o.windowMs / 1000} s`;
  if (typeof actual !== "number") {
    return {
      ...base, result: "fail", code: "unknown", actual: null,
      message: `no figure: no probe answered ${window}`,
      fix: `check that roomgate reflector runs beside the MCU and that UDP to it passes the firewalls (${reflector || "the link's transport"})`,
    };
  }
  const shown = m === "rtt" ? `${actual}${UNIT[m]} ${o.rttStatistic}` : `${actual}${UNIT[m]}`;
  if (actual <= limits.ok) {
    if (resolved < o.minProbes) {
      return { ...base, result: "warn", code: "few_probes", actual, message: `${shown} over only ${resolved} probes ${window} (fewer than ${o.minProbes})`, fix: "run the check again in a few seconds, once the window has filled" };
    }
    return { ...base, result: "pass", actual };
  }
  const over = actual <= limits.warn;
  return {
    ...base,
    result: over ? "warn" : "fail",
    code: CODES[m],
    actual,
    message: `${shown} ${window}, above ${over ? `the ok limit ${limits.ok}` : `the warn limit ${limits.warn}`}${UNIT[m]}`,
    fix: fix(m, reflector, shown, limits.warn),
  };
}

const num = (v: unknown): number => (typeof v === "number" ? v : 0);
