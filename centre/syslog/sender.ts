/**
 * Delivers one collector's queue, oldest first, in rounds: connect (TCP or TLS), write a batch of
 * octet-counted frames, close our side, and wait for the collector to close its own.
 *
 * Why a round per batch: syslog over TCP has no acknowledgement, and bytes a socket accepted may
 * still die in a collector that stops (the classic "plain TCP syslog is not reliable"). A receiver
 * reads a connection to its end before it closes it, so the collector's own close, after ours, says
 * it has read every byte we sent: only then do the messages leave the queue. A reset, an error, a
 * close the collector began before ours, or no close within `deliveryTimeoutMs`, and the whole batch
 * is sent again later (at-least-once: the SOC dedupes by the event id in every message).
 *
 * Between rounds the queue is read again, so messages queued meanwhile go in the next round; with
 * nothing queued no connection is held open. A failed round waits a backoff delay (exponential with
 * jitter, on the injected clock) before the next; new messages do not cut the wait short.
 */
import net from "node:net";
import { readFileSync } from "node:fs";
import tls from "node:tls";
import { Backoff } from "../../drivers/transport/backoff.js";
import type { Clock, Logger, TimerHandle } from "../../drivers/types.js";
import type { DropNotice, SyslogQueue } from "./queue.js";
import { octetFrame } from "./rfc5424.js";

export interface CollectorEndpoint {
  host: string;
  port: number;
  transport: "tcp" | "tls";
  /** Files are read at every connect, so a renewed certificate needs no restart. */
  tls?: { caFile: string; certFile?: string | undefined; keyFile?: string | undefined; servername?: string | undefined } | undefined;
}

export interface SenderOptions {
  name: string;
  endpoint: CollectorEndpoint;
  queue: SyslogQueue;
  /** The RFC 5424 text of a drop notice. */
  noticeMessage: (n: DropNotice) => string;
  batchMaxMessages: number;
  connectTimeoutMs: number;
  deliveryTimeoutMs: number;
  backoff: { initialMs: number; maxMs: number };
  clock: Clock;
  logger: Logger;
  /** Tests: another way to open the connection (a fault-injecting one). */
  connect?: (endpoint: CollectorEndpoint) => net.Socket;
  random?: () => number;
}

export type SenderState = "idle" | "sending" | "waiting" | "stopped";

export interface SenderStatus {
  name: string;
  state: SenderState;
  /** Messages queued and not yet confirmed by the collector. */
  pending: number;
  pendingBytes: number;
  /** When the oldest pending message was queued (ms epoch). */
  oldestAt: number | undefined;
  /** Messages the collector confirmed since start. */
  delivered: number;
  lastDeliveredAt: number | undefined;
  /** Messages dropped unsent by the queue's bounds since start, and those the collector has not yet been told of. */
  dropped: number;
  droppedUnreported: number;
  /** Failed rounds in a row (0 when the last one went through). */
  failures: number;
  lastError: string | undefined;
}

export class SenderError extends Error {
  constructor(
    readonly code: "timeout" | "closed_early" | "connect_failed",
    message: string,
  ) {
    super(message);
    this.name = "SenderError";
  }
}

export class CollectorSender {
  private state: SenderState = "idle";
  private stopped = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private abort: (() => void) | undefined;
  private readonly backoff: Backoff;
  private delivered = 0;
  private lastDeliveredAt: number | undefined;
  private failures = 0;
  private lastError: string | undefined;

  constructor(private readonly o: SenderOptions) {
    this.backoff = new Backoff({ initialMs: o.backoff.initialMs, maxMs: o.backoff.maxMs, factor: 2, jitter: 0.5 }, o.random);
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Something was queued: deliver it if idle (a backoff wait is not cut short). */
  kick(): void {
    this.wake?.();
  }

  /** Stops after the round in flight is given up (its batch stays queued). Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.();
    this.wake?.();
    await this.running;
    this.state = "stopped";
  }

  status(): SenderStatus {
    const q = this.o.queue;
    return {
      name: this.o.name,
      state: this.state,
      pending: q.length,
      pendingBytes: q.bytes,
      oldestAt: q.oldestAt,
      delivered: this.delivered,
      lastDeliveredAt: this.lastDeliveredAt,
      dropped: q.droppedSinceOpen,
      droppedUnreported: ((n) => (n === undefined ? 0 : n.full + n.age))(q.unreported()),
      failures: this.failures,
      lastError: this.lastError,
    };
  }

  private async loop(): Promise<void> {
    const log = this.o.logger;
    while (!this.stopped) {
      const q = this.o.queue;
      q.expire();
      const notice = q.unreported();
      if (q.length === 0 && notice === undefined) {
        this.state = "idle";
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      this.state = "sending";
      const batch = q.take(this.o.batchMaxMessages);
      const frames = [...(notice ? [octetFrame(this.o.noticeMessage(notice))] : []), ...batch.map((m) => octetFrame(m.msg))];
      const err = await this.round(Buffer.concat(frames));
      if (err === undefined) {
        if (batch.length > 0) q.confirm(batch.at(-1)!.seq);
        if (notice) q.reported(notice);
        if (this.failures > 0) log.info({ failedRounds: this.failures, pending: q.length }, "collector reachable again: sending the backlog in order");
        this.failures = 0;
        this.lastError = undefined;
        this.delivered += batch.length;
        this.lastDeliveredAt = this.o.clock.now();
        this.backoff.reset();
        log.debug({ messages: batch.length, notice: notice?.id, through: batch.at(-1)?.seq, pending: q.length }, "batch confirmed by the collector");
        continue;
      }
      q.giveBack();
      if (this.stopped) break;
      this.failures += 1;
      this.lastError = err.message;
      const delay = this.backoff.next();
      const fields = { err: err.message, code: (err as { code?: unknown }).code, pending: q.length, retryInMs: delay, failedRounds: this.failures };
      if (this.failures === 1) log.warn(fields, "collector unreachable: messages stay queued on disk and are sent when it is back");
      else log.debug(fields, "collector still unreachable");
      this.state = "waiting";
      await new Promise<void>((resolve) => {
        const timer = this.o.clock.setTimeout(() => {
          this.abort = undefined;
          resolve();
        }, delay);
        this.abort = () => {
          this.o.clock.clearTimeout(timer);
          resolve();
        };
      });
      this.abort = undefined;
    }
  }

  /** One round; undefined when the collector confirmed every byte by closing after us. */
  private round(bytes: Buffer): Promise<Error | undefined> {
    const { clock, endpoint } = this.o;
    return new Promise((resolve) => {
      let socket: net.Socket;
      try {
        socket = (this.o.connect ?? connectTo)(endpoint);
      } catch (err) {
        resolve(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      let timer: TimerHandle | undefined;
      let ourEnd = false;
      let theirEnd = false;
      let early = false;
      let settled = false;
      const settle = (err: Error | undefined) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        this.abort = undefined;
        if (err !== undefined) socket.destroy();
        resolve(err);
      };
      this.abort = () => settle(new SenderError("closed_early", "stopping"));
      timer = clock.setTimeout(
        () => settle(new SenderError("timeout", `no connection to ${endpoint.host}:${endpoint.port} within ${this.o.connectTimeoutMs} ms`)),
        this.o.connectTimeoutMs,
      );
      socket.once(endpoint.transport === "tls" ? "secureConnect" : "connect", () => {
        clock.clearTimeout(timer);
        timer = clock.setTimeout(
          () => settle(new SenderError("timeout", `the collector did not close after reading the batch within ${this.o.deliveryTimeoutMs} ms`)),
          this.o.deliveryTimeoutMs,
        );
        socket.setNoDelay(true);
        socket.write(bytes);
        socket.end();
        ourEnd = true;
        this.o.logger.debug({ bytes: bytes.length }, "batch written; waiting for the collector to close after reading it");
      });
      // A collector sends nothing; read anyway, or its close (end of stream) would never be seen.
      socket.resume();
      socket.on("end", () => {
        theirEnd = true;
        if (!ourEnd) early = true;
      });
      socket.on("error", (err) => settle(err));
      socket.on("close", () => {
        if (theirEnd && ourEnd && !early) settle(undefined);
        else settle(new SenderError("closed_early", "the collector closed the connection before it had read the batch"));
      });
    });
  }
}

/** A TCP or TLS connection to the collector; TLS verifies its certificate against caFile (and the host name). */
export function connectTo(ep: CollectorEndpoint): net.Socket {
  if (ep.transport === "tcp") return net.connect({ host: ep.host, port: ep.port });
  const t = ep.tls;
  if (t === undefined) throw new Error("transport tls needs tls.caFile");
  const socket = tls.connect({
    host: ep.host,
    port: ep.port,
    ca: readFileSync(t.caFile),
    ...(t.certFile !== undefined ? { cert: readFileSync(t.certFile) } : {}),
    ...(t.keyFile !== undefined ? { key: readFileSync(t.keyFile) } : {}),
    ...(t.servername !== undefined ? { servername: t.servername } : net.isIP(ep.host) ? {} : { servername: ep.host }),
    minVersion: "TLSv1.2",
  });
  return socket;
}
