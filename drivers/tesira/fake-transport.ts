/**
 * Test-only in-memory Transport for the Tesira driver's unit tests (never used in production code).
 * Records every write; a `responder` plays the DSP by answering each written line with text.
 */
import { EventEmitter } from "node:events";
import { TransportError, type Transport, type TransportEvents, type TransportKind, type TransportState, type TransportStatus } from "../transport/types.js";

/** Answers one written command line (without LF); returned text is fed back as is. */
export type Responder = (line: string) => string | void;

export class FakeTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly description: string;
  state: TransportState = "idle";
  /** Every write, as latin1 text (telnet bytes included). */
  readonly written: string[] = [];
  responder: Responder | undefined;
  resets: string[] = [];

  constructor(readonly kind: TransportKind = "tcp") {
    super();
    this.description = `${kind}:fake`;
  }

  /** The command lines written (telnet replies left out), without LF. */
  get lines(): string[] {
    return this.written.filter((w) => w.endsWith("\n")).map((w) => w.slice(0, -1));
  }

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
    const text = data.toString("latin1");
    this.written.push(text);
    if (text.endsWith("\n")) {
      const answer = this.responder?.(text.slice(0, -1));
      if (answer) queueMicrotask(() => this.feed(answer));
    }
    return Promise.resolve();
  }

  reset(reason: string): void {
    this.resets.push(reason);
  }

  /** Text (latin1, so "\xff" is byte FF) from the DSP. */
  feed(text: string): void {
    this.emit("data", Buffer.from(text, "latin1"));
  }

  drop(): void {
    this.setState("backoff", { code: "ECONNRESET", message: "peer closed the connection" });
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
