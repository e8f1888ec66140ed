/**
 * Splits a Firmata byte stream into whole messages (MIDI-style framing, Firmata 2.x).
 *
 * A message starts with a status byte (high bit set); data bytes are 7-bit. The length follows
 * from the status byte and the direction: `9p`/`Ep`/`F4`/`F5` take two data bytes, `Cp`/`Dp` one,
 * `F9` two from the board but none from the host (there it is the version query), `FF` none, and a
 * sysex runs from `F0` to `F7`. A status byte arriving before a message is complete ends that
 * message as `truncated`; data bytes with no status byte are `no_status`; a sysex longer than
 * `MAX_SYSEX` is `too_long`. Never throws: bad bytes are reported through `onGarbage`.
 */

export type FirmataDirection = "fromBoard" | "fromHost";
export type FramerGarbageReason = "no_status" | "truncated" | "too_long" | "unknown_status";

/** Longest sysex we accept (a capability response of a 128-pin board stays well below). */
export const MAX_SYSEX = 2048;

export const START_SYSEX = 0xf0;
export const END_SYSEX = 0xf7;

/** Data bytes that follow a status byte; -1 for sysex, undefined for a status byte Firmata does not use. */
export function dataLength(status: number, direction: FirmataDirection): number | undefined {
  if (status === START_SYSEX) return -1;
  const high = status & 0xf0;
  if (high === 0x90 || high === 0xe0) return 2; // digital port / analog message
  if (high === 0xc0 || high === 0xd0) return 1; // report analog / report digital
  if (status === 0xf4 || status === 0xf5) return 2; // set pin mode / set digital pin value
  if (status === 0xf9) return direction === "fromBoard" ? 2 : 0; // version report / version query
  if (status === 0xff) return 0; // system reset
  return undefined;
}

/** The pure splitter. */
export class FirmataFramer {
  /** Called with each run of dropped bytes. */
  onGarbage?: (bytes: Buffer, reason: FramerGarbageReason) => void;
  private readonly direction: FirmataDirection;
  private msg: number[] = [];
  /** Data bytes still expected for the current non-sysex message (-1: inside a sysex). */
  private need = 0;
  private stray: number[] = [];

  constructor(direction: FirmataDirection) {
    this.direction = direction;
  }

  /** Feeds bytes; returns the messages they complete (fresh Buffers). */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (const b of chunk) {
      if (b >= 0x80 && !(this.need === -1 && b === END_SYSEX)) {
        // A status byte: any message in progress is cut short.
        if (this.msg.length > 0) this.drop(Buffer.from(this.msg), "truncated");
        this.msg = [];
        this.flushStray();
        const n = dataLength(b, this.direction);
        if (n === undefined) {
          this.drop(Buffer.from([b]), "unknown_status");
          continue;
        }
        if (n === 0) {
          out.push(Buffer.from([b]));
          continue;
        }
        this.msg = [b];
        this.need = n;
        continue;
      }
      if (this.msg.length === 0) {
        this.stray.push(b);
        continue;
      }
      this.msg.push(b);
      if (this.need === -1) {
        if (b === END_SYSEX) {
          out.push(Buffer.from(this.msg));
          this.msg = [];
          this.need = 0;
        } else if (this.msg.length > MAX_SYSEX) {
          this.drop(Buffer.from(this.msg), "too_long");
          this.msg = [];
          this.need = 0;
        }
        continue;
      }
      if (--this.need === 0) {
        out.push(Buffer.from(this.msg));
        this.msg = [];
      }
    }
    this.flushStray();
    return out;
  }

  /** Forgets the message in progress (the line was lost). */
  reset(): void {
    this.msg = [];
    this.need = 0;
    this.stray = [];
  }

  private flushStray(): void {
    if (this.stray.length === 0) return;
    const bytes = Buffer.from(this.stray);
    this.stray = [];
    this.drop(bytes, "no_status");
  }

  private drop(bytes: Buffer, reason: FramerGarbageReason): void {
    this.onGarbage?.(bytes, reason);
  }
}
