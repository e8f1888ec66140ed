/**
 * Running something under a deadline on the injected clock: the promise settles by then, with a
 * DeviceError `timeout` when the work did not, and the work's signal is aborted so it can stop.
 */
import type { Clock } from "../drivers/types.js";
import { DeviceError } from "../drivers/types.js";

export async function withDeadline<T>(clock: Clock, timeoutMs: number, message: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(new DeviceError("timeout", message)), timeoutMs);
  try {
    return await Promise.race([
      work(controller.signal),
      new Promise<never>((_, reject) => controller.signal.addEventListener("abort", () => reject(controller.signal.reason), { once: true })),
    ]);
  } finally {
    clock.clearTimeout(timer);
  }
}
