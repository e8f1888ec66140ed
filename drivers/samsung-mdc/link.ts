/**
 * One MDC link (an RS-232 chain or a TCP connection): bytes -> frames -> answers, and one command
 * on the wire at a time (MDC has no sequence numbers: an answer is matched by display id and rCMD).
 *
 * Requests queue FIFO; each gets its deadline when it goes on the wire. An answer from another
 * display id than the one asked is discarded and reported (`onWrongId`); an answer that matches
 * nothing (a late one after a timeout) is reported as `onUnmatched`. On TCP, the first bytes of
 * every connection go through `classifyGreeting` (secured.ts) before framing.
 * The driver owns the transport listeners and feeds `receive()`.
 */
import type { Clock, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import type { Transport } from "../transport/types.js";
import { MdcCodecError, decodeReply, type MdcReply } from "./codec.js";
import { MdcFrameSplitter } from "./framer.js";
import { SECURED_MESSAGE, classifyGreeting } from "./secured.js";

export interface MdcLinkHandlers {
  /** A well-formed answer from the display that was asked: proof of life. */
  onContact(id: number): void;
  /** Dropped bytes: framer reasons, `short` (a frame cut off, found at a timeout) or `bad_reply`. */
  onJunk(bytes: Buffer, reason: string): void;
  /** An answer carrying another display id than the request's: discarded. */
  onWrongId(reply: MdcReply, expectedId: number): void;
  /** An answer nobody waits for (late after a timeout, or for another command). */
  onUnmatched(reply: MdcReply): void;
  /** The peer greeted with the secured protocol; every request now fails fast until `reset()`. */
  onSecured(first: Buffer): void;
}

export interface MdcLinkOptions {
  clock: Clock;
  /** Classify the first bytes of each connection (TCP only: secured firmware exists only there). */
  detectSecured: boolean;
  handlers: MdcLinkHandlers;
}

export interface MdcRequest {
  frame: Buffer;
  /** Display id the answer must carry. */
  id: number;
  /** Command byte the answer must carry as rCMD. */
  cmd: number;
  /** Deadline for the answer, counted from the moment the frame is written. */
  timeoutMs: number;
  signal?: AbortSignal;
}

interface Pending extends MdcRequest {
  resolve(r: MdcReply): void;
  reject(e: DeviceError): void;
  timer?: TimerHandle;
  onAbort?: () => void;
}

/** Error of every request while the peer speaks the secured protocol. */
export function securedError(): DeviceError {
  return new DeviceError("device_error", SECURED_MESSAGE, { mdc: "unsupported_protocol" });
}

export class MdcLink {
  private readonly splitter = new MdcFrameSplitter("reply");
  private readonly queue: Pending[] = [];
  private active: Pending | null = null;
  private greeting: Buffer | null;
  private blocked = false;

  constructor(
    private readonly transport: Transport,
    private readonly opts: MdcLinkOptions,
  ) {
    this.greeting = opts.detectSecured ? Buffer.alloc(0) : null;
    this.splitter.onJunk = (bytes, reason) => opts.handlers.onJunk(bytes, reason);
  }

  /** True while the peer of this connection is known to speak the secured protocol. */
  get secured(): boolean {
    return this.blocked;
  }

  /** Queues a request; resolves with its ACK or NAK, rejects with a DeviceError (`timeout`, ...). */
  request(req: MdcRequest): Promise<MdcReply> {
    if (this.blocked) return Promise.reject(securedError());
    if (req.signal?.aborted) return Promise.reject(new DeviceError("cancelled", "request cancelled before it was sent"));
    return new Promise<MdcReply>((resolve, reject) => {
      const p: Pending = { ...req, resolve, reject };
      if (req.signal) {
        p.onAbort = () => this.settle(p, new DeviceError("cancelled", "request cancelled"));
        req.signal.addEventListener("abort", p.onAbort, { once: true });
      }
      this.queue.push(p);
      this.pump();
    });
  }

  receive(chunk: Buffer): void {
    if (this.blocked) return; // TLS bytes from a secured peer: nothing we can read
    if (this.greeting !== null) {
      this.greeting = Buffer.concat([this.greeting, chunk]);
      const verdict = classifyGreeting(this.greeting);
      if (verdict === "undecided") return;
      chunk = this.greeting;
      this.greeting = null;
      if (verdict === "secured") {
        this.blocked = true;
        this.opts.handlers.onSecured(chunk);
        this.failAll(securedError());
        return;
      }
    }
    for (const frame of this.splitter.push(chunk)) this.onFrame(frame);
  }

  /**
   * A new connection (or the old one lost): forget partial frames and the greeting verdict, and
   * fail every waiting request with `err`.
   */
  reset(err: DeviceError): void {
    this.splitter.reset();
    this.greeting = this.opts.detectSecured ? Buffer.alloc(0) : null;
    this.blocked = false;
    this.failAll(err);
  }

  /** Fails every waiting request with `err` (driver stop). */
  failAll(err: DeviceError): void {
    // Detach everything first: settling the active one must not put the next one on the wire.
    const all = [...(this.active ? [this.active] : []), ...this.queue.splice(0)];
    this.active = null;
    for (const p of all) this.finish(p, err);
  }

  private onFrame(frame: Buffer): void {
    let reply: MdcReply;
    try {
      reply = decodeReply(frame);
    } catch (e) {
      if (!(e instanceof MdcCodecError)) throw e;
      this.opts.handlers.onJunk(frame, e.code === "short" ? "short" : "bad_reply");
      return;
    }
    const p = this.active;
    if (p && reply.id !== p.id) {
      this.opts.handlers.onWrongId(reply, p.id);
      return;
    }
    if (!p || reply.rcmd !== p.cmd) {
      this.opts.handlers.onUnmatched(reply);
      return;
    }
    this.opts.handlers.onContact(reply.id);
    this.settle(p, null, reply);
  }

  private pump(): void {
    if (this.active || this.queue.length === 0) return;
    const p = this.queue.shift()!;
    this.active = p;
    const { clock } = this.opts;
    p.timer = clock.setTimeout(() => {
      // A frame cut off for good must not glue onto the next answer.
      const partial = this.splitter.reset();
      if (partial.length > 0) this.opts.handlers.onJunk(partial, "short");
      this.settle(
        p,
        new DeviceError("timeout", `display ${p.id} did not answer command ${hex(p.cmd)} within ${p.timeoutMs} ms`, {
          stage: "reply",
          displayId: p.id,
        }),
      );
    }, p.timeoutMs);
    this.transport.write(p.frame).catch((e: unknown) => {
      this.settle(p, new DeviceError("not_connected", `write failed: ${e instanceof Error ? e.message : String(e)}`));
    });
  }

  /** Ends a request once (answer or error), and lets the next one go. */
  private settle(p: Pending, err: DeviceError | null, reply?: MdcReply): void {
    const wasActive = this.active === p;
    if (wasActive) this.active = null;
    else {
      const i = this.queue.indexOf(p);
      if (i === -1) return; // already settled
      this.queue.splice(i, 1);
    }
    this.finish(p, err, reply);
    if (wasActive) this.pump();
  }

  private finish(p: Pending, err: DeviceError | null, reply?: MdcReply): void {
    if (p.timer !== undefined) this.opts.clock.clearTimeout(p.timer);
    if (p.onAbort) p.signal?.removeEventListener("abort", p.onAbort);
    if (err) p.reject(err);
    else p.resolve(reply!);
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0").toUpperCase();
}
