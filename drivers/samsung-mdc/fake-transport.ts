/**
 * Test-only in-memory Transport for the MDC driver's unit tests (never used in production code).
 * Records every write; a `responder` plays the device by answering writes with reply chunks.
 */
import { EventEmitter } from "node:events";
import {
  TransportError,
  type Transport,
  type TransportEvents,
  type TransportKind,
  type TransportState,
  type TransportStatus,
} from "../transport/types.js";

export type Responder = (written: Buffer) => Buffer[] | void;

export class FakeTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly description: string;
  state: TransportState = "idle";
  readonly written: Buffer[] = [];
  /** Answers each write; replies are delivered on a later microtask, as a real link would. */
  responder: Responder | undefined;
  /** When false, `open()` stays pending (device absent) until `goOpen()`. */
  openable = true;
  openRejects: TransportError | undefined;
  private pendingOpen: (() => void) | undefined;

  constructor(readonly kind: TransportKind = "serial") {
    super();
    this.description = `${kind}:fake`;
  }

  open(): Promise<void> {
    if (this.openRejects) return Promise.reject(this.openRejects);
    if (this.openable) {
      this.setState("open");
      return Promise.resolve();
    }
    this.setState("backoff", { code: "ENOENT", message: "no such device" });
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

  /** Bytes (or one datagram) from the device. */
  feed(chunk: Buffer): void {
    this.emit("data", chunk);
  }

  /** The link drops (cable pulled): state goes to backoff. */
  drop(): void {
    this.setState("backoff", { code: "EIO", message: "device unplugged" });
  }

  /** The link comes (back) up. */
  goOpen(): void {
    this.setState("open");
    const p = this.pendingOpen;
    this.pendingOpen = undefined;
    p?.();
  }

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

