/**
 * Test-only in-memory UDP transport for the X32 driver's unit tests (never used in production).
 * Records every datagram written; a `responder` plays the desk by answering writes with datagrams.
 */
import { EventEmitter } from "node:events";
import { TransportError, type Transport, type TransportEvents, type TransportState, type TransportStatus } from "../transport/types.js";

export type Responder = (written: Buffer) => Buffer[] | void;

export class FakeUdpTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly kind = "udp" as const;
  readonly description = "udp:fake:10023";
  state: TransportState = "idle";
  readonly written: Buffer[] = [];
  responder: Responder | undefined;

  open(): Promise<void> {
    this.setState("open");
    return Promise.resolve();
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

  /** One datagram from the desk. */
  feed(datagram: Buffer): void {
    this.emit("data", datagram);
  }

  /** The socket fails (ICMP unreachable): backoff. */
  drop(): void {
    this.setState("backoff", { code: "ECONNREFUSED", message: "port unreachable" });
  }

  goOpen(): void {
    this.setState("open");
  }

  private setState(state: TransportState, error?: TransportStatus["error"]): void {
    this.state = state;
    const status: TransportStatus = { state, attempt: 0 };
    if (error) status.error = error;
    this.emit("status", status);
  }
}
