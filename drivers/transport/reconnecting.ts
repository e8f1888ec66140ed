/**
 * The reconnect loop shared by every transport, so backoff, status and close logic exist once.
 *
 * A subclass supplies three primitives for one handle (a SerialPort, a net.Socket, a dgram socket):
 * - `connect()`: one attempt; resolves when the handle is open, rejects with the reason otherwise
 *   (a TransportError `bad_config` stops the loop for good, anything else is retried);
 * - `release()`: frees the current handle, idempotent; it must also make a `connect()` in flight
 *   settle soon (destroying the socket it is opening is enough);
 * - `send(data)`: writes on the open handle.
 * and reports back with `received(chunk)` and `lost(err)`. It must guard those calls with the
 * identity of its current handle: a late event from a released handle must not reach the base.
 *
 * Delays grow from `initialMs` and start again only once a link has proven itself (first bytes
 * from the peer, or `stableMs` open), so flapping links back off too. Status `attempt` counts
 * failures since the link was last open, as types.ts says.
 *
 * The base never emits `error`; every failure becomes a `status` event, and listener exceptions
 * are logged instead of escaping into a socket callback (one device must not stop the agent).
 */
import { EventEmitter } from "node:events";
import type { Clock, Logger, TimerHandle } from "../types.js";
import { Backoff, resolveBackoffOptions } from "./backoff.js";
import {
  TransportError,
  type BackoffOptions,
  type Transport,
  type TransportEvents,
  type TransportKind,
  type TransportState,
  type TransportStatus,
} from "./types.js";

/** What every transport constructor takes besides its endpoint. */
export interface TransportDeps {
  clock: Clock;
  logger: Logger;
  backoff?: BackoffOptions;
  /** Randomness for jitter, [0, 1); tests may pass a seeded one. */
  random?: () => number;
}

/** `{code, message}` of anything thrown: errno codes (`ENOENT`, `ECONNREFUSED`) pass through. */
export function statusError(err: unknown): { code: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { code: typeof code === "string" && code !== "" ? code : "unknown", message: err.message };
  }
  return { code: "unknown", message: String(err) };
}

export abstract class ReconnectingTransport extends EventEmitter<TransportEvents> implements Transport {
  abstract readonly kind: TransportKind;
  readonly description: string;
  protected readonly clock: Clock;
  protected readonly logger: Logger;

  private current: TransportState = "idle";
  private readonly backoff: Backoff;
  private readonly stableMs: number;
  /** Failed attempts since the link was last open (the `attempt` of status events). */
  private failures = 0;
  private retryTimer: TimerHandle | undefined;
  private stableTimer: TimerHandle | undefined;
  private opening: Promise<void> | undefined;
  private settleOpen: { resolve: () => void; reject: (err: TransportError) => void } | undefined;
  private closing: Promise<void> | undefined;
  /** The attempt in progress (never rejects). */
  private inflight: Promise<void> = Promise.resolve();
  /** Release of a lost handle; the next attempt waits for it (a fixed UDP port must be free again). */
  private releasing: Promise<void> = Promise.resolve();

  protected constructor(description: string, deps: TransportDeps) {
    super();
    this.description = description;
    this.clock = deps.clock;
    this.logger = deps.logger.child({ transport: description });
    const opts = resolveBackoffOptions(deps.backoff);
    this.backoff = new Backoff(opts, deps.random);
    this.stableMs = opts.stableMs;
  }

  get state(): TransportState {
    return this.current;
  }

  /** Starts the link and keeps it up until `close()`; resolves once it is first open. */
  open(): Promise<void> {
    if (this.isClosed()) {
      return Promise.reject(new TransportError("closed", `${this.description}: open() after close()`));
    }
    if (this.opening) return this.opening;
    this.opening = new Promise<void>((resolve, reject) => {
      this.settleOpen = { resolve, reject };
    });
    // A caller that fires open() and forgets it must not turn a later close() into an unhandled rejection.
    this.opening.catch((err: unknown) => this.logger.debug({ err: statusError(err) }, "open() settled without a link"));
    this.inflight = this.attempt();
    return this.opening;
  }

  /** Writes on the open link; rejects with `not_open` or `write_failed`, never throws synchronously. */
  async write(data: Buffer): Promise<void> {
    if (this.current !== "open") {
      throw new TransportError("not_open", `${this.description} is ${this.current}, not open`);
    }
    try {
      await this.send(data);
    } catch (err) {
      const e = statusError(err);
      throw new TransportError("write_failed", `${this.description}: write failed: ${e.code}: ${e.message}`);
    }
  }

  /** Stops reconnecting and releases the handle; idempotent; resolves when all handles are released. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      this.clearTimers();
      this.setStatus({ state: "closed", attempt: this.failures });
      this.settleOpen?.reject(new TransportError("closed", `${this.description} was closed before it opened`));
      this.settleOpen = undefined;
      await this.safeRelease();
      await this.releasing;
      await this.inflight;
    })();
    return this.closing;
  }

  protected abstract connect(): Promise<void>;
  protected abstract release(): Promise<void>;
  protected abstract send(data: Buffer): Promise<void>;

  /** Subclass: bytes (or one datagram) from the current handle. */
  protected received(chunk: Buffer): void {
    if (this.current !== "open") return;
    // Bytes from the peer prove the link: the next loss starts again from the first delay.
    this.markStable();
    this.safeEmit("data", chunk);
  }

  /**
   * Drops the open link and reconnects with backoff, as if it had been lost. For a link that looks
   * open but carries nothing back (a half-open TCP connection whose peer rebooted or vanished:
   * keepalive alone takes minutes to notice), once requests have missed their deadlines.
   * Does nothing unless the link is open.
   */
  reset(reason: string): void {
    this.lost(Object.assign(new Error(`reset: ${reason}`), { code: "ETIMEDOUT" }));
  }

  /** Subclass: the current, open handle failed or went away. */
  protected lost(err: unknown): void {
    if (this.current !== "open") return;
    this.clearTimers();
    const e = statusError(err);
    this.logger.warn({ err: e }, "link lost");
    this.releasing = this.safeRelease();
    this.scheduleRetry(err);
  }

  private async attempt(): Promise<void> {
    try {
      await this.releasing;
      if (this.isClosed()) return;
      this.setStatus({ state: "connecting", attempt: this.failures });
      try {
        await this.connect();
      } catch (err) {
        // A failed attempt may still hold a half-made handle (a bound but unconnected UDP socket).
        await this.safeRelease();
        if (this.isClosed()) return;
        if (err instanceof TransportError && err.code === "bad_config") return await this.giveUp(err);
        this.scheduleRetry(err);
        return;
      }
      if (this.isClosed()) {
        // close() ran while we were connecting: what we just opened must not leak.
        await this.safeRelease();
        return;
      }
      this.failures = 0;
      this.setStatus({ state: "open", attempt: 0 });
      this.logger.info({}, "link open");
      this.stableTimer = this.clock.setTimeout(() => this.markStable(), this.stableMs);
      this.settleOpen?.resolve();
      this.settleOpen = undefined;
    } catch (err) {
      // Only a bug in a subclass gets here; keep the loop alive rather than stall.
      this.logger.error({ err: statusError(err) }, "reconnect loop failed; retrying");
      if (this.current === "connecting") this.scheduleRetry(err);
    }
  }

  private scheduleRetry(err: unknown): void {
    const delayMs = this.backoff.next();
    this.failures += 1;
    const error = statusError(err);
    // The first failure says what happened; the repeats would only flood the log.
    const level = this.failures === 1 ? "warn" : "debug";
    this.logger[level]({ err: error, attempt: this.failures, delayMs }, "link down; retrying");
    this.setStatus({ state: "backoff", attempt: this.failures, error, delayMs });
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.inflight = this.attempt();
    }, delayMs);
  }

  private async giveUp(err: TransportError): Promise<void> {
    this.logger.error({ err: statusError(err) }, "bad transport configuration; not retrying");
    this.clearTimers();
    this.setStatus({ state: "closed", attempt: this.failures, error: statusError(err) });
    this.closing = this.safeRelease();
    this.settleOpen?.reject(err);
    this.settleOpen = undefined;
    await this.closing;
  }

  /** A method, not a field test: TS would keep the narrowing across `await`, but close() may run there. */
  private isClosed(): boolean {
    return this.current === "closed";
  }

  private markStable(): void {
    if (this.stableTimer !== undefined) this.clock.clearTimeout(this.stableTimer);
    this.stableTimer = undefined;
    this.backoff.reset();
  }

  private clearTimers(): void {
    if (this.retryTimer !== undefined) this.clock.clearTimeout(this.retryTimer);
    if (this.stableTimer !== undefined) this.clock.clearTimeout(this.stableTimer);
    this.retryTimer = undefined;
    this.stableTimer = undefined;
  }

  private async safeRelease(): Promise<void> {
    try {
      await this.release();
    } catch (err) {
      this.logger.warn({ err: statusError(err) }, "releasing the handle failed");
    }
  }

  private setStatus(status: TransportStatus): void {
    this.current = status.state;
    this.safeEmit("status", status);
  }

  /** A listener that throws must not unwind into a socket callback and crash the process. */
  private safeEmit<K extends keyof TransportEvents>(event: K, ...args: TransportEvents[K]): void {
    try {
      (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
    } catch (err) {
      this.logger.error({ err: statusError(err), event }, "a transport listener threw");
    }
  }
}
