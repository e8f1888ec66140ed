/**
 * Splits the ENC/1 byte stream into lines on LF. Bytes without their LF are held until it arrives
 * (lines split across reads). A line longer than `maxBytes` is never held whole: its bytes up to
 * the next LF are discarded and reported once through `onOverlong`, so a stream without LFs
 * cannot grow memory. Bytes are decoded as latin1 (one char per byte) so the codec sees every
 * non-ASCII byte as exactly one non-ASCII character.
 */
const LF = 0x0a;

export class LineFramer {
  /** Called once per over-long line. */
  onOverlong: (() => void) | undefined;
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Inside an over-long line: drop everything up to the next LF. */
  private discarding = false;

  /** `maxBytes` counts the line without its LF; a CR before the LF is allowed on top. */
  constructor(readonly maxBytes = 120) {}

  /** Feeds bytes; returns the complete lines (without LF), empty lines skipped. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const lf = chunk.indexOf(LF, start);
      if (lf < 0) break;
      const part = chunk.subarray(start, lf);
      start = lf + 1;
      if (this.discarding) {
        this.discarding = false;
        continue;
      }
      if (this.heldBytes + part.length > this.maxBytes + 1) {
        this.clear();
        this.onOverlong?.();
        continue;
      }
      const whole = this.held.length === 0 ? part : Buffer.concat([...this.held, part]);
      this.clear();
      if (whole.length > 0) lines.push(whole.toString("latin1"));
    }
    this.hold(chunk.subarray(start));
    return lines;
  }

  /** Drops a partial line (the link was lost: its rest will never come). */
  reset(): void {
    this.clear();
    this.discarding = false;
  }

  private hold(rest: Buffer): void {
    if (rest.length === 0 || this.discarding) return;
    if (this.heldBytes + rest.length > this.maxBytes + 1) {
      this.clear();
      this.discarding = true;
      this.onOverlong?.();
      return;
    }
    this.held.push(Buffer.from(rest)); // copy: the transport may reuse its chunk
    this.heldBytes += rest.length;
  }

  private clear(): void {
    this.held = [];
    this.heldBytes = 0;
  }
}
