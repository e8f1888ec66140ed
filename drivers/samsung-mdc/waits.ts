/**
 * Bounded waits on the injected clock that `stop()` can end: a timer must never outlive the
 * driver, and a promise waiting on one must never hang when it is cleared.
 */
import type { Clock, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";

export class Waits {
  private readonly live = new Map<TimerHandle, (err: DeviceError) => void>();

  constructor(private readonly clock: Clock) {}

  /** Resolves after `ms`; rejects `cancelled` when `signal` aborts or `cancelAll` runs. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new DeviceError("cancelled", "cancelled"));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => end(new DeviceError("cancelled", "cancelled"));
      const end = (err?: DeviceError): void => {
        if (!this.live.delete(timer)) return;
        this.clock.clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve();
      };
      const timer = this.clock.setTimeout(() => end(), ms);
      this.live.set(timer, end);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** `done` when `p` resolves within `ms`, `timeout` otherwise; rejects when `p` rejects first. */
  async race(p: Promise<unknown>, ms: number): Promise<"done" | "timeout"> {
    let timer: TimerHandle;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = this.clock.setTimeout(() => resolve("timeout"), ms);
    });
    const done = p.then(() => "done" as const);
    try {
      return await Promise.race([done, timeout]);
    } finally {
      this.clock.clearTimeout(timer!);
      done.catch(() => undefined); // a late rejection after the timeout is reported by the caller's health
    }
  }

  /** Ends every pending wait with `err`. */
  cancelAll(err: DeviceError): void {
    for (const end of [...this.live.values()]) end(err);
  }
}

export function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
