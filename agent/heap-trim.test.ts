import { describe, expect, it } from "vitest";
import { fakeClock } from "../test/helpers/clock.js";
import { memoryLogger } from "../test/helpers/logger.js";
import { HeapTrim, type GcFunction } from "./heap-trim.js";

describe("HeapTrim", () => {
  it("asks V8 for an incremental major collection every interval, and stops asking when stopped", async () => {
    const clock = fakeClock();
    const calls: unknown[] = [];
    const gc: GcFunction = (o) => {
      calls.push(o);
      return Promise.resolve();
    };
    const trim = new HeapTrim({ clock, logger: memoryLogger(), everyMs: 60_000, gc });
    expect(trim.start()).toBe(true);
    await clock.tickAsync(59_999);
    expect(calls).toEqual([]);
    await clock.tickAsync(1);
    expect(calls).toEqual([{ type: "major", execution: "async" }]);
    await clock.tickAsync(120_000);
    expect(calls).toHaveLength(3);
    trim.stop();
    await clock.tickAsync(600_000);
    expect(calls).toHaveLength(3);
  });

  it("does nothing without V8's gc function (a Node started without --expose-gc)", async () => {
    const clock = fakeClock();
    const trim = new HeapTrim({ clock, logger: memoryLogger(), gc: undefined });
    expect(trim.start()).toBe(false);
    await clock.tickAsync(600_000);
    trim.stop();
  });
});
