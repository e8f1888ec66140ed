import { describe, expect, it } from "vitest";
import { fakeClock } from "../test/helpers/clock.js";
import { RateLimitedEmitter } from "./state-emitter.js";

describe("RateLimitedEmitter", () => {
  it("the first change goes out at once; a burst within the window is one trailing emit at its end", async () => {
    const clock = fakeClock();
    const at: number[] = [];
    const t0 = clock.now();
    const e = new RateLimitedEmitter(clock, 100, () => at.push(clock.now() - t0));
    e.changed();
    await clock.tickAsync(10);
    e.changed();
    e.changed();
    await clock.tickAsync(40);
    e.changed();
    expect(at).toEqual([0]);
    await clock.tickAsync(50);
    expect(at).toEqual([0, 100]);
    await clock.tickAsync(500);
    e.changed(); // a quiet window has passed: at once again
    expect(at).toEqual([0, 100, 600]);
  });

  it("cancel drops a due emit (the driver stopped)", async () => {
    const clock = fakeClock();
    let n = 0;
    const e = new RateLimitedEmitter(clock, 100, () => n++);
    e.changed();
    e.changed();
    e.cancel();
    await clock.tickAsync(1000);
    expect(n).toBe(1);
  });

  it("an interval of 0 emits every change", () => {
    const clock = fakeClock();
    let n = 0;
    const e = new RateLimitedEmitter(clock, 0, () => n++);
    e.changed();
    e.changed();
    expect(n).toBe(2);
  });
});
