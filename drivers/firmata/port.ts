/**
 * Our Transport as the "serial port" firmata-io wants: an EventEmitter with `write(buf, cb)` that
 * emits `data`. Reconnect and backoff stay in the transport; a reopened link gets a new port and a
 * new firmata-io instance (firmata-io's handshake runs once per instance).
 *
 * Bytes from the board are framed and vetted here before firmata-io sees them: firmata-io throws
 * from its data handler on some malformed sysex (e.g. `F0 79 F7` makes it call Buffer.alloc(-1))
 * and indexes its pin table with unchecked pin numbers. Malformed messages are reported, not fed.
 */
import { EventEmitter } from "node:events";
import type { Transport } from "../transport/types.js";
import { decodeBoardMessage, FirmataCodecError, type BoardMessage } from "./codec.js";
import { FirmataFramer, type FramerGarbageReason } from "./framer.js";

export type GarbageReason = FramerGarbageReason | "malformed" | "rejected_by_firmata_io";

export interface PortHandlers {
  /** A well-formed message, before firmata-io handles it (proof of life). */
  onMessage(msg: BoardMessage): void;
  onGarbage(bytes: Buffer, reason: GarbageReason, detail?: string): void;
  onWriteError(err: unknown): void;
}

export class TransportPort extends EventEmitter {
  private readonly framer = new FirmataFramer("fromBoard");
  private closed = false;

  constructor(
    private readonly transport: Transport,
    private readonly handlers: PortHandlers,
    /** Pins the board reported so far (0 before the capability response). */
    private readonly pinCount: () => number,
    /** Clears firmata-io's partial-message buffer after it threw. */
    private readonly resetParser: () => void,
  ) {
    super();
    this.framer.onGarbage = (bytes, reason) => this.handlers.onGarbage(bytes, reason);
  }

  /** firmata-io writes here. Failures are reported, never thrown (firmata-io ignores them). */
  write(data: Buffer, callback?: (err?: Error | null) => void): boolean {
    if (this.closed) {
      callback?.(new Error("port closed"));
      return false;
    }
    this.transport.write(data).then(
      () => callback?.(),
      (err: unknown) => {
        this.handlers.onWriteError(err);
        callback?.(err instanceof Error ? err : new Error(String(err)));
      },
    );
    return true;
  }

  /** Bytes from the transport. */
  receive(chunk: Buffer): void {
    if (this.closed) return;
    for (const msg of this.framer.push(chunk)) {
      let decoded: BoardMessage;
      try {
        decoded = decodeBoardMessage(msg, this.pinCount());
      } catch (err) {
        if (!(err instanceof FirmataCodecError)) throw err;
        this.handlers.onGarbage(msg, "malformed", err.message);
        continue;
      }
      this.handlers.onMessage(decoded);
      try {
        this.emit("data", msg);
      } catch (err) {
        this.resetParser();
        this.handlers.onGarbage(msg, "rejected_by_firmata_io", err instanceof Error ? err.message : String(err));
      }
    }
  }

  /** Stops passing bytes either way; firmata-io's listeners go with this object. */
  close(): void {
    this.closed = true;
    this.framer.reset();
    this.removeAllListeners();
  }
}
