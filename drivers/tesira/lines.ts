/**
 * Splits the TTP byte stream into lines. A line ends with LF (a CR before it is dropped); bytes
 * without a terminator are held until it arrives. A line longer than `maxLength` is not held
 * forever: its bytes up to the next LF are dropped and counted once through `onDrop`.
 */
const LF = 0x0a;
const CR = 0x0d;

export class LineSplitter {
  /** Called once per over-long line with the number of bytes dropped so far (at least maxLength + 1). */
  onDrop: ((bytes: number) => void) | undefined;
  private held: Buffer[] = [];
  private heldLength = 0;
  /** Inside an over-long line: discard until the next LF. */
  private discarding = false;

  constructor(readonly maxLength = 4096) {}

  /** Feeds bytes; returns the complete lines (without terminators, empty lines skipped). */
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
        this.clear();
        continue;
      }
      if (this.heldLength + part.length > this.maxLength) {
        this.onDrop?.(this.heldLength + part.length);
        this.clear();
        continue;
      }
      const line = this.take(part);
      if (line !== "") lines.push(line);
    }
    this.hold(chunk.subarray(start));
    return lines;
  }

  /** Bytes waiting for their terminator. */
  get pending(): number {
    return this.heldLength;
  }

  reset(): void {
    this.clear();
    this.discarding = false;
  }

  private hold(rest: Buffer): void {
    if (rest.length === 0 || this.discarding) return;
    if (this.heldLength + rest.length > this.maxLength) {
      this.onDrop?.(this.heldLength + rest.length);
      this.clear();
      this.discarding = true;
      return;
    }
    this.held.push(Buffer.from(rest)); // copy: the transport may reuse its chunk
    this.heldLength += rest.length;
  }

  private take(part: Buffer): string {
    const whole = this.held.length === 0 ? part : Buffer.concat([...this.held, part]);
    this.clear();
    const end = whole.length > 0 && whole[whole.length - 1] === CR ? whole.length - 1 : whole.length;
    return whole.subarray(0, end).toString("utf8").trim();
  }

  private clear(): void {
    this.held = [];
    this.heldLength = 0;
  }
}
