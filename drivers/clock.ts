import { performance } from "node:perf_hooks";
import type { Clock } from "./types.js";

/** The real clock: production code gets this; tests pass a fake one (test/helpers/clock.ts). */
export const systemClock: Clock = {
  now: () => Date.now(),
  preciseNow: () => performance.timeOrigin + performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};
