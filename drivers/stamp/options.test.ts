/** The link probe's options: the defaults of docs/devices.md, and bad values named by their path. */
import { describe, expect, it } from "vitest";
import { DeviceError } from "../types.js";
import { parseStampOptions } from "./options.js";

describe("parseStampOptions", () => {
  it("defaults: 10 probes a second, a 30 s window, 44-octet probes, the part E thresholds", () => {
    expect(parseStampOptions({})).toEqual({
      intervalMs: 100, windowMs: 30_000, timeoutMs: 1000, packetSize: 44, minProbes: 100,
      thresholds: { loss: { ok: 0.5, warn: 1 }, jitter: { ok: 20, warn: 30 }, rtt: { ok: 150, warn: 300 } },
      rttStatistic: "p95", clearRatio: 0.8, clearHoldMs: 10_000, alarmSeverity: { warn: "minor", critical: "major" },
      reportMs: 5000, connectTimeoutMs: 5000,
    });
  });

  it("one threshold given keeps the other defaults", () => {
    expect(parseStampOptions({ thresholds: { rtt: { warn: 400 } } }).thresholds).toEqual({
      loss: { ok: 0.5, warn: 1 }, jitter: { ok: 20, warn: 30 }, rtt: { ok: 150, warn: 400 },
    });
  });

  it("refuses what can never work, naming each path", () => {
    const err = (raw: unknown): DeviceError => {
      try {
        parseStampOptions(raw);
      } catch (e) {
        return e as DeviceError;
      }
      throw new Error("accepted");
    };
    expect(err({ packetSize: 20 }).message).toMatch(/options\.packetSize: Too small: expected number to be >=44/);
    expect(err({ thresholds: { loss: { ok: 2, warn: 1 } } }).message).toContain("options.thresholds.loss: ok must not exceed warn");
    expect(err({ timeoutMs: 5000, windowMs: 2000 }).message).toContain("options.timeoutMs: timeoutMs must be shorter than windowMs");
    expect(err({ intervalMs: 2000, windowMs: 3000 }).message).toContain("options.intervalMs: the window must hold at least two probes");
    expect(err({ alarmSeverity: { warn: "info" } }).message).toMatch(/options\.alarmSeverity\.warn/);
    expect(err({ probes: 10 })).toMatchObject({ code: "invalid_args" });
  });
});
