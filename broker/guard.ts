/**
 * The stream aedes reads a client from: the real connection (TCP, TLS or WebSocket) seen through a
 * PacketScanner, so that
 * - a packet over `maxPacketBytes` closes the connection as soon as its header arrives (aedes would
 *   otherwise buffer the whole body first);
 * - a malformed remaining length closes it;
 * - a client sending PUBLISH/SUBSCRIBE/UNSUBSCRIBE faster than its rate is simply not read until its
 *   token bucket refills (TCP backpressure slows it down; nothing is dropped, and other clients are
 *   not affected).
 * Bytes pass through unchanged. It also carries what the listener knows about the connection
 * (`info`: listener, peer address, a verified client certificate's CN) for the auth hooks.
 */
import { Duplex } from "node:stream";
import type { Clock, TimerHandle } from "../drivers/types.js";
import { PacketScanner, PUBLISH, SUBSCRIBE, UNSUBSCRIBE, type ScanError } from "./packet-scan.js";

export type ListenerKind = "tcp" | "tls" | "ws";

export interface ConnectionInfo {
  listener: ListenerKind;
  remoteAddress: string | undefined;
  /** The CN of a client certificate the TLS listener verified against its CA. */
  certCN?: string | undefined;
}

export interface GuardOptions {
  maxPacketBytes: number;
  /** Sustained rate-limited packets per second. */
  messagesPerSecond: number;
  /** Bucket size: packets allowed at once above the rate. */
  burst: number;
  clock: Clock;
  /** The connection is about to be closed for this error. */
  onRefused(conn: GuardedConnection, error: ScanError): void;
  /** Reading paused because the client is over its rate (once per episode). */
  onThrottled(conn: GuardedConnection): void;
}

const RATE_LIMITED = new Set([PUBLISH, SUBSCRIBE, UNSUBSCRIBE]);

export class GuardedConnection extends Duplex {
  private readonly scanner: PacketScanner;
  private tokens: number;
  private lastRefill: number;
  private throttleTimer: TimerHandle | undefined;
  private wantsData = true;
  private corked = false;
  /** Times reading was paused for the rate limit (metrics, tests). */
  throttled = 0;

  constructor(
    private readonly inner: Duplex,
    readonly info: ConnectionInfo,
    private readonly opts: GuardOptions,
  ) {
    super({ allowHalfOpen: false });
    this.scanner = new PacketScanner(opts.maxPacketBytes);
    this.tokens = opts.burst;
    this.lastRefill = opts.clock.now();
    inner.on("data", (chunk: Buffer) => this.onData(chunk));
    inner.on("end", () => this.push(null));
    inner.on("error", (err) => this.destroy(err));
    inner.on("close", () => this.destroy());
  }

  private onData(chunk: Buffer): void {
    let count = 0;
    const error = this.scanner.scan(chunk, (type) => {
      if (RATE_LIMITED.has(type)) count += 1;
    });
    if (error) {
      this.opts.onRefused(this, error);
      this.destroy();
      return;
    }
    // The whole chunk goes on (a chunk is never split); the debt is paid by pausing afterwards.
    this.wantsData = this.push(chunk);
    if (count > 0) this.charge(count);
    if (!this.wantsData || this.throttleTimer !== undefined) this.inner.pause();
  }

  private charge(packets: number): void {
    const now = this.opts.clock.now();
    this.tokens = Math.min(this.opts.burst, this.tokens + ((now - this.lastRefill) / 1000) * this.opts.messagesPerSecond);
    this.lastRefill = now;
    this.tokens -= packets;
    if (this.tokens >= 0 || this.throttleTimer !== undefined) return;
    this.throttled += 1;
    this.opts.onThrottled(this);
    const waitMs = Math.ceil((-this.tokens / this.opts.messagesPerSecond) * 1000);
    this.throttleTimer = this.opts.clock.setTimeout(() => {
      this.throttleTimer = undefined;
      this.tokens = Math.min(this.opts.burst, this.tokens + ((this.opts.clock.now() - this.lastRefill) / 1000) * this.opts.messagesPerSecond);
      this.lastRefill = this.opts.clock.now();
      if (this.wantsData && !this.destroyed) this.inner.resume();
    }, waitMs);
  }

  override _read(): void {
    this.wantsData = true;
    if (this.throttleTimer === undefined) this.inner.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    // mqtt-packet writes one packet in several pieces (header, topic, payload), and aedes one packet
    // after another: corked until the end of this tick they leave in one writev system call instead
    // of one each (bench/fleet: a quarter of the broker's CPU went to socket writes).
    if (!this.corked) {
      this.corked = true;
      this.inner.cork();
      process.nextTick(() => {
        this.corked = false;
        this.inner.uncork();
      });
    }
    if (this.inner.write(chunk)) cb();
    else this.inner.once("drain", () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.inner.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.throttleTimer !== undefined) this.opts.clock.clearTimeout(this.throttleTimer);
    this.throttleTimer = undefined;
    this.inner.destroy();
    cb(err);
  }
}
