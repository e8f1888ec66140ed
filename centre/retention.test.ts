import { describe, expect, it } from "vitest";
import { fakeClock } from "../test/helpers/clock.js";
import { memoryLogger } from "../test/helpers/logger.js";
import { RetentionSchedule, type RetentionResult } from "./retention.js";

describe("the daily retention schedule", () => {
  it("runs a minute after start, then every 24 hours of the injected clock, and a failed run is tried again the next day", async () => {
    const clock = fakeClock();
    const runs: number[] = [];
    let fail = false;
    const log = memoryLogger();
    const schedule = new RetentionSchedule(
      async () => {
        runs.push(clock.now());
        if (fail) throw new Error("database down");
        return {} as RetentionResult;
      },
      clock,
      log,
    );
    const t0 = clock.now();
    schedule.start(60_000);
    await clock.tickAsync(59_999);
    expect(runs).toEqual([]);
    await clock.tickAsync(1);
    expect(runs).toEqual([t0 + 60_000]);
    fail = true;
    await clock.tickAsync(24 * 3_600_000);
    expect(log.records.some((r) => r.msg === "retention failed; it runs again tomorrow")).toBe(true);
    fail = false;
    await clock.tickAsync(24 * 3_600_000);
    expect(runs.map((t) => (t - t0 - 60_000) / 3_600_000)).toEqual([0, 24, 48]);
    await schedule.stop();
    await clock.tickAsync(48 * 3_600_000);
    expect(runs).toHaveLength(3);
  });
});
