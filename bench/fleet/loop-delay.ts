/**
 * Event-loop delay of a worker process (perf_hooks), so a reader can tell whether the generator kept
 * up: a busy loop delays every timestamp it takes. The histogram records the time between timer
 * ticks, resolution included; that resolution is taken off.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import type { LoopDelay } from "./protocol.js";

const RESOLUTION_MS = 5;

export class LoopDelayMeter {
  private readonly h: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });

  enable(): void {
    this.h.enable();
  }

  reset(): void {
    this.h.reset();
  }

  snapshot(): LoopDelay {
    const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 100) / 100);
    return { p50: ms(this.h.percentile(50)), p99: ms(this.h.percentile(99)), max: ms(this.h.max) };
  }

  disable(): void {
    this.h.disable();
  }
}
