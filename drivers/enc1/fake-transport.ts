/**
 * Test-only in-memory Transport for the ENC/1 driver's unit tests (never used in production code).
 * Records every write; a `responder` plays the device by answering writes with reply chunks.
 */
import { EventEmitter } from "node:events";
import { TransportError, type Transport, type TransportEvents, type TransportKind, type TransportState, type TransportStatus } from "../transport/types.js";
import { checksum } from "./codec.js";

export type Responder = (written: string) => string[] | void;

export class FakeTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly description: string;
  state: TransportState = "idle";
  /** Every buffer the driver wrote, in order. */
  readonly written: Buffer[] = [];
  /** Answers each write (as text); replies are delivered on a later microtask, as a real link would. */
  responder: Responder | undefined;
  /** When false, `open()` stays pending (device absent) until `goOpen()`. */
  openable = true;
  /** When set, `open()` rejects with it (a configuration that can never work). */
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
    const replies = this.responder?.(data.toString("latin1"));
    if (replies) queueMicrotask(() => replies.forEach((r) => this.feed(r)));
    return Promise.resolve();
  }

  /** Bytes from the device. */
  feed(chunk: Buffer | string): void {
    this.emit("data", typeof chunk === "string" ? Buffer.from(chunk, "latin1") : chunk);
  }

  writtenText(): string[] {
    return this.written.map((b) => b.toString("latin1"));
  }

  drop(): void {
    this.setState("backoff", { code: "EIO", message: "device unplugged" });
  }

  goOpen(): void {
    this.setState("open");
    const p = this.pendingOpen;
    this.pendingOpen = undefined;
    p?.();
  }

  private setState(state: TransportState, error?: TransportStatus["error"]): void {
    this.state = state;
    const status: TransportStatus = { state, attempt: 0 };
    if (error) status.error = error;
    this.emit("status", status);
  }
}

/** A device line with its checksum and LF, e.g. `dev("ENC,HB,1,0")` -> `$ENC,HB,1,0*6F\n`. */
export function dev(body: string): string {
  return `$${body}*${checksum(body)}\n`;
}

export const st = (seq: number, state: string, tun = "UP", key = "VALID", alarm = "NONE") =>
  dev(`ENC,ST,${seq},${state},tun=${tun},key=${key},alarm=${alarm}`);
export const hb = (seq: number, uptime = seq * 2) => dev(`ENC,HB,${seq},${uptime}`);
export const al = (seq: number, code: string, sev: string, action: string) => dev(`ENC,AL,${seq},${code},${sev},${action}`);
