/**
 * One reconnecting link to a device (STYLE.md rule 3).
 *
 * Rules every transport keeps (checked by drivers/transport/conformance.ts):
 * - `open()` starts the link and keeps it up until `close()`: on failure or loss it retries with
 *   exponential backoff and jitter, emitting `status` at every change.
 * - `open()` resolves once the link is first open; it never rejects for a device that is merely
 *   absent (the transport keeps retrying and reports `backoff`); it rejects only for a
 *   configuration that can never work (code `bad_config`).
 * - `write()` rejects with a TransportError `not_open` when the link is not open; it never throws
 *   synchronously.
 * - No `error` event is ever emitted: errors are reported in `status` events, so that one device's
 *   socket error can never take the process down.
 * - `close()` is idempotent, stops reconnecting, and resolves when all handles are released.
 * - `data` carries bytes for stream links (serial, tcp) and exactly one datagram per event for udp.
 */
import type { EventEmitter } from "node:events";

export type TransportKind = "serial" | "tcp" | "udp" | "http" | "ssh";

export type TransportState = "idle" | "connecting" | "open" | "backoff" | "closed";

export interface TransportStatus {
  state: TransportState;
  /** Consecutive failed attempts since the link was last open. */
  attempt: number;
  /** Why the link is not open (for `backoff`), e.g. {code: "ENOENT", message: "..."}. */
  error?: { code: string; message: string };
  /** For `backoff`: the delay before the next attempt. */
  delayMs?: number;
}

export interface TransportEvents {
  data: [chunk: Buffer];
  status: [status: TransportStatus];
}

export type TransportErrorCode = "not_open" | "write_failed" | "bad_config" | "closed";

export class TransportError extends Error {
  readonly code: TransportErrorCode;
  constructor(code: TransportErrorCode, message: string) {
    super(message);
    this.name = "TransportError";
    this.code = code;
  }
}

export interface Transport extends Pick<EventEmitter<TransportEvents>, "on" | "off" | "once"> {
  readonly kind: TransportKind;
  /** Human-readable endpoint without secrets, e.g. `serial:/dev/ttyUSB0@9600`, `udp:10.0.0.5:52381`. */
  readonly description: string;
  readonly state: TransportState;
  open(): Promise<void>;
  close(): Promise<void>;
  write(data: Buffer): Promise<void>;
  /**
   * Stream and datagram links: drop the open link and reconnect with backoff (for a half-open link
   * that accepts writes and answers nothing). Absent on links with nothing to reset (http).
   */
  reset?(reason: string): void;
  /**
   * The remote host and port (udp). For a driver whose protocol library must own its socket
   * (net-snmp: its session matches replies to requests, its receiver and v3 engine state live on
   * its socket): it reads the endpoint here and never opens this transport, only closes it.
   */
  readonly endpoint?: { host: string; port: number };
}

export interface BackoffOptions {
  /** First retry delay. Default 250 ms. */
  initialMs?: number;
  /** Ceiling. Default 30 000 ms. */
  maxMs?: number;
  /** Multiplier per attempt. Default 2. */
  factor?: number;
  /** Fraction of the delay randomised (0..1, "equal jitter"). Default 0.5. */
  jitter?: number;
  /**
   * A link counts as proven, and the next loss starts again from `initialMs`, once it has stayed
   * open this long or brought its first bytes. Until then delays keep growing, so a peer that
   * accepts and drops at once (or a UDP socket that binds but meets ICMP refusals) is not
   * retried at `initialMs` forever. Default 5 000 ms.
   */
  stableMs?: number;
}
