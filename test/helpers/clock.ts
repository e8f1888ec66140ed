import FakeTimers from "@sinonjs/fake-timers";
import type { Clock } from "../../drivers/types.js";

export interface FakeClock extends Clock {
  /** The underlying @sinonjs/fake-timers clock: use `tickAsync` to advance time. */
  readonly fake: FakeTimers.Clock;
  tickAsync(ms: number): Promise<number>;
  runAllAsync(): Promise<number>;
}

/** A Clock backed by a standalone fake-timers clock; globals stay real, so sockets keep working. */
export function fakeClock(start = 1_700_000_000_000): FakeClock {
  const fake = FakeTimers.createClock(start);
  return {
    fake,
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
    clearTimeout: (h) => fake.clearTimeout(h as FakeTimers.TimerId),
    setInterval: (fn, ms) => fake.setInterval(fn, ms),
    clearInterval: (h) => fake.clearInterval(h as FakeTimers.TimerId),
    tickAsync: (ms) => fake.tickAsync(ms),
    runAllAsync: () => fake.runAllAsync(),
  };
}
