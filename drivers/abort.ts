/**
 * A caller that stops waiting for a request (its action's signal aborts), the same way in every
 * request queue (VISCA's correlator, the Tesira, Poly and Cisco sessions): a request still queued is
 * dropped; one on the wire keeps its slot until it is answered or times out, so the reply cannot be
 * taken for the next request's. The caller's promise rejects at once, and only once.
 */
import { DeviceError } from "./types.js";

/** What a queued request needs for this: its promise's settlers and the undo of its abort listener. */
export interface Abandonable {
  resolve(value: never): void;
  reject(err: DeviceError): void;
  detachAbort?: () => void;
}

/** Why `signal` ended a request: the DeviceError it aborted with, else `cancelled` with `message`. */
export function abortError(signal: AbortSignal, message = "request aborted by the caller"): DeviceError {
  const r: unknown = signal.reason;
  if (r instanceof DeviceError) return r;
  return new DeviceError("cancelled", message);
}

/**
 * Ties `p` to its caller's `signal`: an abort calls `abandon` with the reason. Returns false, with
 * `p` rejected, when the signal has already aborted (the request must not be queued).
 */
export function watchAbort(p: Abandonable, signal: AbortSignal | undefined, abandon: (err: DeviceError) => void): boolean {
  if (!signal) return true;
  if (signal.aborted) {
    p.reject(abortError(signal));
    return false;
  }
  const onAbort = (): void => abandon(abortError(signal));
  signal.addEventListener("abort", onAbort, { once: true });
  p.detachAbort = () => signal.removeEventListener("abort", onAbort);
  return true;
}

/** The caller stops waiting: `p` leaves `queue` if it is still there, rejects with `err`, and never settles again. */
export function abandon<P extends Abandonable>(queue: P[], p: P, err: DeviceError): void {
  const i = queue.indexOf(p);
  if (i >= 0) queue.splice(i, 1);
  p.detachAbort?.();
  const reject = p.reject;
  p.resolve = () => undefined;
  p.reject = () => undefined;
  reject(err);
}
