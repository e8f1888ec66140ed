/**
 * Matches VISCA replies to requests. Pure logic over a send function and the injected Clock.
 *
 * Rules (PROTOCOLS.md, "Sony VISCA"):
 * - one request at a time awaits an immediate reply (ACK, inquiry answer, error, or a control echo);
 * - up to two commands await their Completion, one per socket (1 and 2);
 * - everything else waits in a FIFO queue: requests are never interleaved or reordered
 *   (a command that finds both sockets busy holds the queue until one frees);
 * - deadlines: `ackTimeoutMs` for the ACK, `inquiryTimeoutMs` for an inquiry answer,
 *   `completionTimeoutMs` (per request, counted from the ACK) for the Completion.
 *
 * Failures are DeviceErrors: `timeout` with details {stage: "reply"} (the device said nothing: ACK, answer
 * or echo missing) or {stage: "completion"} (it ACKed but did not finish in time); VISCA errors
 * `device_error` with details {visca: code};
 * `60 03` buffer full -> `busy`; a failed write -> `not_connected`; an aborted caller -> `cancelled`
 * (or the abort reason when that is a DeviceError). A reply nobody waits for goes to `onUnmatched`.
 */
import { watchAbort } from "../abort.js";
import type { Clock, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import type { ViscaErrorCode, ViscaReply } from "./codec.js";

export type RequestKind = "command" | "inquiry" | "control";

/** What the link gets to put on the wire. `id` lets the link report a failure of this very request. */
export interface OutboundRequest {
  id: number;
  kind: RequestKind;
  /** The full VISCA frame (`8x ... FF`). */
  frame: Buffer;
}

export interface CorrelatorOptions {
  clock: Clock;
  /** Puts a request on the wire; a rejection fails the request with `not_connected`. */
  send: (req: OutboundRequest) => Promise<void>;
  ackTimeoutMs?: number;
  completionTimeoutMs?: number;
  inquiryTimeoutMs?: number;
  /** A reply that matched no request (late ACK after a timeout, stray Completion, ...). */
  onUnmatched?: (reply: ViscaReply) => void;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides the immediate-reply deadline (ACK / inquiry answer / control echo). */
  replyTimeoutMs?: number;
  /** Overrides the Completion deadline of a command. */
  completionTimeoutMs?: number;
  /** Jump the queue (link handshake after a reconnect). */
  urgent?: boolean;
}

interface Pending {
  id: number;
  kind: RequestKind;
  frame: Buffer;
  replyTimeoutMs: number;
  completionTimeoutMs: number;
  /** For control requests: which reply settles it. */
  expect?: (reply: ViscaReply) => boolean;
  resolve: (value: unknown) => void;
  reject: (err: DeviceError) => void;
  timer?: TimerHandle;
  /** The caller gave up (abort): the slot stays taken until the device answers or the deadline passes. */
  abandoned: boolean;
  detachAbort?: () => void;
}

const SOCKETS = [1, 2] as const;

/** Maps a VISCA error reply to the DeviceError the caller sees. */
export function viscaErrorToDeviceError(code: ViscaErrorCode | "unknown", raw: number): DeviceError {
  if (code === "buffer_full") {
    return new DeviceError("busy", "camera busy: both command sockets are in use (60 03)", { visca: code });
  }
  return new DeviceError("device_error", `camera answered error ${code} (0x${raw.toString(16).padStart(2, "0")})`, {
    visca: code,
  });
}

export class ViscaCorrelator {
  private readonly clock: Clock;
  private readonly sendFn: (req: OutboundRequest) => Promise<void>;
  private readonly ackTimeoutMs: number;
  private readonly completionTimeoutMs: number;
  private readonly inquiryTimeoutMs: number;
  private readonly onUnmatched: (reply: ViscaReply) => void;

  private nextId = 1;
  private readonly queue: Pending[] = [];
  private awaiting: Pending | null = null;
  private readonly sockets = new Map<number, Pending>();

  constructor(opts: CorrelatorOptions) {
    this.clock = opts.clock;
    this.sendFn = opts.send;
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 2000;
    this.completionTimeoutMs = opts.completionTimeoutMs ?? 10_000;
    this.inquiryTimeoutMs = opts.inquiryTimeoutMs ?? this.ackTimeoutMs;
    this.onUnmatched = opts.onUnmatched ?? (() => undefined);
  }

  /** Sends a command; resolves on its Completion. */
  command(frame: Buffer, opts: RequestOptions = {}): Promise<void> {
    return this.enqueue<void>("command", frame, opts);
  }

  /** Sends an inquiry; resolves with the answer's data (bytes between `50` and `FF`). */
  inquiry(frame: Buffer, opts: RequestOptions = {}): Promise<Buffer> {
    return this.enqueue<Buffer>("inquiry", frame, opts);
  }

  /** Sends a frame whose answer is recognised by `expect` (AddressSet, IF_Clear); resolves with that reply. */
  control(frame: Buffer, expect: (reply: ViscaReply) => boolean, opts: RequestOptions = {}): Promise<ViscaReply> {
    return this.enqueue<ViscaReply>("control", frame, opts, expect);
  }

  /** Number of requests not yet settled by the device (queued, awaiting a reply, or owning a socket). */
  get pending(): number {
    return this.queue.length + (this.awaiting ? 1 : 0) + this.sockets.size;
  }

  /** Feeds one decoded reply. Returns true when it settled or advanced a request. */
  handleReply(reply: ViscaReply): boolean {
    const matched = this.match(reply);
    if (!matched) this.onUnmatched(reply);
    return matched;
  }

  /** Fails the request with this id wherever it is (the IP link reports `0F 02` malformed this way). */
  fail(id: number, err: DeviceError): boolean {
    if (this.awaiting?.id === id) {
      this.finishAwaiting(err);
      return true;
    }
    for (const [s, p] of this.sockets) {
      if (p.id === id) {
        this.releaseSocket(s, err);
        return true;
      }
    }
    const i = this.queue.findIndex((p) => p.id === id);
    if (i >= 0) {
      const [p] = this.queue.splice(i, 1);
      if (p) this.settle(p, err);
      return true;
    }
    return false;
  }

  /** Rejects everything pending with `reason` (link loss, stop). */
  clear(reason: DeviceError): void {
    const all = [...this.queue.splice(0), ...(this.awaiting ? [this.awaiting] : []), ...this.sockets.values()];
    this.awaiting = null;
    this.sockets.clear();
    for (const p of all) this.settle(p, reason);
  }

  // ---- internals ----

  private enqueue<T>(
    kind: RequestKind,
    frame: Buffer,
    opts: RequestOptions,
    expect?: (reply: ViscaReply) => boolean,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const p: Pending = {
        id: this.nextId++,
        kind,
        frame,
        replyTimeoutMs: opts.replyTimeoutMs ?? (kind === "inquiry" ? this.inquiryTimeoutMs : this.ackTimeoutMs),
        completionTimeoutMs: opts.completionTimeoutMs ?? this.completionTimeoutMs,
        resolve: resolve as (v: unknown) => void,
        reject,
        abandoned: false,
      };
      if (expect) p.expect = expect;
      if (!watchAbort(p, opts.signal, (err) => this.abandon(p, err))) return;
      if (opts.urgent) this.queue.unshift(p);
      else this.queue.push(p);
      this.pump();
    });
  }

  /** The caller stops waiting. A queued request is dropped; a request on the wire keeps its slot. */
  private abandon(p: Pending, err: DeviceError): void {
    const i = this.queue.indexOf(p);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.settle(p, err);
      return;
    }
    if (p.abandoned) return;
    p.abandoned = true;
    p.detachAbort?.();
    p.reject(err);
  }

  private pump(): void {
    while (this.awaiting === null) {
      const head = this.queue[0];
      if (!head) return;
      if (head.kind === "command" && this.sockets.size >= SOCKETS.length) return; // FIFO: wait for a socket
      this.queue.shift();
      this.awaiting = head;
      head.timer = this.clock.setTimeout(
        () => this.finishAwaiting(new DeviceError("timeout", timeoutMessage(head), { stage: "reply" })),
        head.replyTimeoutMs,
      );
      this.sendFn({ id: head.id, kind: head.kind, frame: head.frame }).catch((e: unknown) => {
        if (this.awaiting !== head) return; // already settled (e.g. cleared) before the write failed
        const message = e instanceof Error ? e.message : String(e);
        this.finishAwaiting(new DeviceError("not_connected", `write failed: ${message}`));
      });
    }
  }

  private match(reply: ViscaReply): boolean {
    const a = this.awaiting;
    switch (reply.type) {
      case "ack": {
        if (a?.kind !== "command") return false;
        if (this.sockets.has(reply.socket)) {
          // The camera reuses a socket we think is busy: its old Completion was lost. Fail the old one.
          this.releaseSocket(reply.socket, new DeviceError("device_error", "socket reused before Completion", {
            visca: "socket_reused",
          }));
        }
        this.clearTimer(a);
        this.awaiting = null;
        this.sockets.set(reply.socket, a);
        a.timer = this.clock.setTimeout(
          () =>
            this.releaseSocket(
              reply.socket,
              new DeviceError("timeout", `no Completion within ${a.completionTimeoutMs} ms`, { stage: "completion" }),
            ),
          a.completionTimeoutMs,
        );
        this.pump();
        return true;
      }
      case "completion": {
        if (!this.sockets.has(reply.socket)) return false;
        this.releaseSocket(reply.socket, undefined);
        return true;
      }
      case "inquiry": {
        if (a?.kind !== "inquiry") return false;
        this.finishAwaiting(undefined, reply.data);
        return true;
      }
      case "error": {
        const err = viscaErrorToDeviceError(reply.code, reply.raw);
        if (reply.code === "cancelled") {
          if (!this.sockets.has(reply.socket)) return false;
          this.releaseSocket(reply.socket, err);
          return true;
        }
        if (a && a.kind !== "control") {
          this.finishAwaiting(err);
          return true;
        }
        return false;
      }
      default: {
        if (a?.kind === "control" && a.expect?.(reply)) {
          this.finishAwaiting(undefined, reply);
          return true;
        }
        return false;
      }
    }
  }

  private finishAwaiting(err: DeviceError | undefined, value?: unknown): void {
    const a = this.awaiting;
    if (!a) return;
    this.awaiting = null;
    this.settle(a, err, value);
    this.pump();
  }

  private releaseSocket(socket: number, err: DeviceError | undefined): void {
    const p = this.sockets.get(socket);
    if (!p) return;
    this.sockets.delete(socket);
    this.settle(p, err);
    this.pump();
  }

  private settle(p: Pending, err: DeviceError | undefined, value?: unknown): void {
    this.clearTimer(p);
    p.detachAbort?.();
    if (p.abandoned) return;
    p.abandoned = true; // settled once
    if (err) p.reject(err);
    else p.resolve(value);
  }

  private clearTimer(p: Pending): void {
    if (p.timer !== undefined) {
      this.clock.clearTimeout(p.timer);
      delete p.timer;
    }
  }
}

function timeoutMessage(p: Pending): string {
  const what = p.kind === "inquiry" ? "inquiry answer" : p.kind === "command" ? "ACK" : "reply";
  return `no ${what} within ${p.replyTimeoutMs} ms`;
}
