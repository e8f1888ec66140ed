/**
 * Splits a Poly API byte stream into what the session acts on (PROTOCOLS-CONFERENCE-NETWORK.md, A):
 * - lines: replies end `\r\r\n` (P1, P3), and CR or LF alone ends a line too (P3's buffer splits on
 *   either); empty lines are skipped; an SSH shell's `-> ` prompt at the start of a line is removed;
 * - prompts: `Password:` and `Username:` come *without* a line end (P3), so they are recognised in
 *   the bytes held after a chunk, case-insensitively, even when they arrive in pieces;
 * - a NUL byte: what a codec prints as it reboots (P5); it also drops a half-received line.
 * A line longer than `maxLength` is dropped (and reported) rather than held forever.
 */
export type FrameToken =
  | { type: "line"; text: string }
  | { type: "prompt"; which: "password" | "username" }
  | { type: "nul" }
  | { type: "dropped"; bytes: number };

const NUL = 0x00;
const CR = 0x0d;
const LF = 0x0a;
const PROMPT = /(?:^|[^A-Za-z])(password|username)\s*:\s*$/i;
const SHELL_PROMPT = /^(?:->\s?)+/;

export class PolyFramer {
  private held: number[] = [];
  private dropping = false;

  constructor(readonly maxLength = 4096) {}

  push(chunk: Buffer): FrameToken[] {
    const out: FrameToken[] = [];
    for (const b of chunk) {
      if (b === NUL) {
        this.reset();
        out.push({ type: "nul" });
      } else if (b === CR || b === LF) {
        this.endLine(out);
      } else if (this.dropping) {
        continue;
      } else if (this.held.length >= this.maxLength) {
        out.push({ type: "dropped", bytes: this.held.length + 1 });
        this.held = [];
        this.dropping = true;
      } else {
        this.held.push(b);
      }
    }
    const partial = Buffer.from(this.held).toString("latin1");
    const prompt = PROMPT.exec(partial);
    if (prompt) {
      this.held = [];
      out.push({ type: "prompt", which: prompt[1]!.toLowerCase() as "password" | "username" });
    }
    return out;
  }

  /** Bytes waiting for their line end. */
  get pending(): number {
    return this.held.length;
  }

  /** A new link, or a reboot: nothing half-received belongs to what comes next. */
  reset(): void {
    this.held = [];
    this.dropping = false;
  }

  private endLine(out: FrameToken[]): void {
    if (this.dropping) {
      this.dropping = false;
      return;
    }
    const text = Buffer.from(this.held).toString("utf8").replace(SHELL_PROMPT, "").trim();
    this.held = [];
    if (text !== "") out.push({ type: "line", text });
  }
}
