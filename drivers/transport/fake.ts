/**
 * Test-only in-memory Transport shared by the drivers' unit tests (never used in production code).
 * Records every write; a `responder` plays the device by answering writes with reply chunks, which
 * arrive on a later microtask, as they would over a real link.
 */
import { EventEmitter } from "node:events";
import {
  TransportError,
  type Transport,
  type TransportEvents,
  type TransportKind,
  type TransportState,
  type TransportStatus,
} from "./types.js";

type LinkError = NonNullable<TransportStatus["error"]>;

/** A chunk from the device: bytes, or text taken as latin1 (so "\xff" is byte FF). */
export type Chunk = Buffer | string;

/** Answers one write with the chunks the device sends back (each one `data` event), or nothing. */
export type Responder = (written: Buffer) => readonly Chunk[] | void;

export interface FakeTransportOptions {
  /** Default `<kind>:fake`. */
  description?: string;
  /** Reported while `open()` waits for an absent device (`openable = false`). Default by kind. */
  absentError?: LinkError;
  /** Reported by `drop()`. Default by kind. */
  dropError?: LinkError;
}

/** Why a link of each kind is typically not (or no longer) open, as a real transport reports it. */
const ABSENT: Record<TransportKind, LinkError> = {
  serial: { code: "ENOENT", message: "no such device" },
  tcp: { code: "ECONNREFUSED", message: "connection refused" },
  udp: { code: "ECONNREFUSED", message: "port unreachable" },
  http: { code: "ECONNREFUSED", message: "connection refused" },
  ssh: { code: "ECONNREFUSED", message: "connection refused" },
};
const DROPPED: Record<TransportKind, LinkError> = {
  serial: { code: "EIO", message: "device unplugged" },
  tcp: { code: "ECONNRESET", message: "peer closed the connection" },
  udp: { code: "ECONNREFUSED", message: "port unreachable" },
  http: { code: "ECONNRESET", message: "peer closed the connection" },
  ssh: { code: "ECONNRESET", message: "peer closed the SSH connection" },
};

export class FakeTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly description: string;
  state: TransportState = "idle";
  /** Every buffer the driver wrote, in order (clear with `written.length = 0`). */
  readonly written: Buffer[] = [];
  responder: Responder | undefined;
  /** When false, `open()` stays pending (device absent, state `backoff`) until `goOpen()`. */
  openable = true;
  /** When set, `open()` rejects with it (a configuration that can never work). */
  openRejects: TransportError | undefined;
  /** The reason of every `reset()` call, in order. */
  readonly resets: string[] = [];
  private pendingOpen: (() => void) | undefined;
  private readonly absentError: LinkError;
  private readonly dropError: LinkError;

  constructor(readonly kind: TransportKind = "serial", options: FakeTransportOptions = {}) {
    super();
    this.description = options.description ?? `${kind}:fake`;
    this.absentError = options.absentError ?? ABSENT[kind];
    this.dropError = options.dropError ?? DROPPED[kind];
  }

  open(): Promise<void> {
    if (this.openRejects) return Promise.reject(this.openRejects);
    if (this.openable) {
      this.setState("open");
      return Promise.resolve();
    }
    this.setState("backoff", this.absentError);
    return new Promise((resolve) => {
      this.pendingOpen = resolve;
    });
  }

  close(): Promise<void> {
    if (this.state !== "closed") this.setState("closed");
    return Promise.resolve();
  }

  write(data: Buffer): Promise<void> {
    if (this.state !== "open") return Promise.reject(new TransportError("not_open", `fake transport is ${this.state}`));
    this.written.push(Buffer.from(data));
    const replies = this.responder?.(Buffer.from(data));
    if (replies) queueMicrotask(() => replies.forEach((r) => this.feed(r)));
    return Promise.resolve();
  }

  /** Records the reason only: the link stays as it is (tests drive `drop()`/`goOpen()` themselves). */
  reset(reason: string): void {
    this.resets.push(reason);
  }

  /** Bytes (or one datagram) from the device. */
  feed(chunk: Chunk): void {
    this.emit("data", typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk);
  }

  /** The writes as latin1 text. */
  writtenText(): string[] {
    return this.written.map((b) => b.toString("latin1"));
  }

  /** The writes that end in LF, as text without the LF (line protocols; telnet negotiation left out). */
  get lines(): string[] {
    return this.writtenText()
      .filter((w) => w.endsWith("\n"))
      .map((w) => w.slice(0, -1));
  }

  /** The link drops (cable pulled, peer gone): state goes to backoff. */
  drop(): void {
    this.setState("backoff", this.dropError);
  }

  /** The link comes (back) up; a pending `open()` resolves. */
  goOpen(): void {
    this.setState("open");
    const p = this.pendingOpen;
    this.pendingOpen = undefined;
    p?.();
  }

  /** How many `data` and `status` listeners are attached (0 once a driver has let go). */
  listeners_(): number {
    return this.listenerCount("data") + this.listenerCount("status");
  }

  private setState(state: TransportState, error?: TransportStatus["error"]): void {
    this.state = state;
    const status: TransportStatus = { state, attempt: 0 };
    if (error) status.error = error;
    this.emit("status", status);
  }
}

/** A responder for text protocols: `answer` sees each write as latin1 text. */
export function textResponder(answer: (written: string) => readonly Chunk[] | void): Responder {
  return (written) => answer(written.toString("latin1"));
}

/**
 * A responder for line protocols: `answer` sees each write that ends in LF, without the LF (other
 * writes, e.g. telnet negotiation, get no answer); the text it returns is fed back as one chunk.
 */
export function lineResponder(answer: (line: string) => string | void): Responder {
  return (written) => {
    const text = written.toString("latin1");
    if (!text.endsWith("\n")) return;
    const reply = answer(text.slice(0, -1));
    return reply ? [reply] : undefined;
  };
}

/** Hex string like `81 01 04 3F 02 05 FF` -> Buffer. */
export function hexBytes(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ""), "hex");
}

/** Buffer -> `81 01 04 3F 02 05 FF`, for readable assertions. */
export function toHex(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0").toUpperCase()).join(" ");
}
