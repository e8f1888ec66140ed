import { describe, expect, it } from "vitest";
import { ReadinessSchedule, READINESS_SCHEDULE_TICK_MS, scheduleSlots } from "./schedule.js";
import { siteConfigSchema } from "../../config/site.js";
import { DeviceError } from "../../drivers/types.js";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import type { RunOptions } from "./service.js";

const START = Date.parse("2023-11-15T02:00:00Z");
const config = siteConfigSchema.parse({
  site: "s1",
  broker: { url: "mqtt://127.0.0.1:1883" },
  readiness: { schedule: { beforeMinutes: [60, 15], sessions: [{ start: "2023-11-15T02:00:00Z" }] } },
  rooms: { hall: { profile: { devices: {} }, secure: { encryptor: "enc-1", schedule: [{ start: "2023-11-15T05:00:00Z", end: "2023-11-15T06:00:00Z" }] } } },
  devices: { "enc-1": { kind: "crypto", protocol: "enc1", transport: { type: "udp", host: "127.0.0.1", port: 1 } } },
});

describe("scheduled readiness checks", () => {
  it("slots: each listed session and each secure.schedule start, at each lead time", () => {
    expect(scheduleSlots(config).map((s) => [new Date(s.at).toISOString(), s.rooms ?? "all"])).toEqual([
      ["2023-11-15T01:00:00.000Z", "all"], ["2023-11-15T01:45:00.000Z", "all"],
      ["2023-11-15T04:00:00.000Z", ["hall"]], ["2023-11-15T04:45:00.000Z", ["hall"]],
    ]);
  });

  it("an agent started 30 minutes before runs the 60-minute check at once, the 15-minute one on time, none after the start; busy retries", async () => {
    const clock = fakeClock(START - 30 * 60_000);
    const runs: { at: number; opts: RunOptions }[] = [];
    let busy = 0;
    const schedule = new ReadinessSchedule({
      config, clock, logger: memoryLogger(),
      run: async (opts) => {
        if (busy-- > 0) throw new DeviceError("busy", "a readiness check is already running: chk-1-1");
        runs.push({ at: (clock.now() - START) / 60_000, opts });
        return {} as never;
      },
    });
    schedule.start();
    await clock.tickAsync(0);
    expect(runs).toEqual([{ at: -30, opts: { user: "schedule", trigger: "schedule" } }]);
    busy = 1; // the 15-minute slot finds a check running: it tries again at the next tick
    await clock.tickAsync(15 * 60_000 + READINESS_SCHEDULE_TICK_MS);
    expect(runs.map((r) => r.at)).toEqual([-30, -15 + READINESS_SCHEDULE_TICK_MS / 60_000]);
    await clock.tickAsync(60 * 60_000);
    expect(runs).toHaveLength(2);
    schedule.stop();
  });
});
