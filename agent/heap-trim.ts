/**
 * A major garbage collection every few minutes, asked for by the agent itself, incremental
 * ("async": V8 marks in small steps between the agent's own work, the event loop is not held).
 *
 * Why: what a poll replaces (the driver's last state, the timers of a 5 s poll) lives across many
 * young-generation collections, so V8 promotes it and it becomes garbage in the old generation,
 * where V8 collects only once that generation has grown past its limit. On the bundle's Node 24
 * with the gateway's flags and 12 cameras polled every 5 s that garbage grew RSS by ~0.06 MB a
 * minute, 62.7 -> 64.3 MB, before each collection took it back (one every ~15 minutes; measured,
 * docs/performance.md): above the 64 MB budget at every peak. A collection costs ~25-50 ms of CPU on
 * the 2-core test machine, so one every 2 minutes is ~0.03 % of a core.
 *
 * It needs V8's `gc` function, which only `--expose-gc` gives (the gateway's flags,
 * cli/node-flags.ts); without it nothing runs.
 */
import type { Clock, Logger, TimerHandle } from "../drivers/types.js";

/** V8's `gc` as `--expose-gc` defines it (the options form: V8's GC extension). */
export type GcFunction = (options?: { type?: "major" | "minor"; execution?: "sync" | "async" }) => unknown;

export const HEAP_TRIM_EVERY_MS = 120_000;

export class HeapTrim {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly deps: {
      clock: Clock;
      logger: Logger;
      everyMs?: number;
      /** Defaults to the global `gc` (present only with --expose-gc). */
      gc?: GcFunction | undefined;
    },
  ) {}

  /** True when collections run (a `gc` function exists). */
  start(): boolean {
    const gc = "gc" in this.deps ? this.deps.gc : (globalThis as { gc?: GcFunction }).gc;
    if (typeof gc !== "function" || this.timer !== undefined) return false;
    const every = this.deps.everyMs ?? HEAP_TRIM_EVERY_MS;
    this.timer = this.deps.clock.setInterval(() => {
      try {
        const done = gc({ type: "major", execution: "async" });
        // A promise on Node 24; nothing waits for it, and a failure must not become an unhandled rejection.
        if (done instanceof Promise) done.catch((err: unknown) => this.deps.logger.warn({ err: String(err) }, "heap collection failed"));
      } catch (err) {
        this.deps.logger.warn({ err: String(err) }, "heap collection failed");
      }
    }, every);
    // A periodic chore must not keep the process alive on its own.
    (this.timer as { unref?: () => void }).unref?.();
    this.deps.logger.debug({ everyMs: every }, "periodic heap collection on");
    return true;
  }

  stop(): void {
    if (this.timer !== undefined) this.deps.clock.clearInterval(this.timer);
    this.timer = undefined;
  }
}
