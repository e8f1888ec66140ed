/**
 * Splits the byte stream of an xAPI session (SSH shell, RS-232, telnet) into what the codec said:
 * JSON documents (JSON output mode, C2/C3: each reply or feedback is one pretty-printed object) and
 * text lines (terminal mode: the login dialogue, `OK`, `Command not recognized.`). Pure: no I/O.
 *
 * - In text mode every line is a line. In JSON mode a `{` outside any string opens a document that
 *   ends at its matching `}` (quotes and escapes honoured, so braces inside values do not count);
 *   text between documents is still reported line by line (a reboot's `login:` on RS-232 arrives so).
 * - `pending` is the unterminated tail, which is how a prompt (`login: `, `Password: `) is seen: a
 *   codec prints it without a newline.
 * - A document or line longer than `maxBytes` is dropped and reported, never buffered without bound.
 * - UTF-8 split across chunks is decoded whole (StringDecoder).
 */
import { StringDecoder } from "node:string_decoder";

export type Frame =
  | { type: "json"; value: unknown; raw: string }
  | { type: "line"; text: string }
  | { type: "garbled"; raw: string; reason: string }
  | { type: "dropped"; chars: number };

export class XapiFramer {
  /** JSON output mode: `{` outside a string opens a document. */
  json = false;
  private decoder = new StringDecoder("utf8");
  private text = "";
  private doc = "";
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Dropping a document that grew past the limit: skip to its end. */
  private skipping = false;

  constructor(private readonly maxChars = 1_048_576) {}

  /** The unterminated text after the last line (a prompt). */
  get pending(): string {
    return this.text;
  }

  reset(): void {
    this.decoder = new StringDecoder("utf8");
    this.text = "";
    this.clearDoc();
    this.json = false;
  }

  /** Clears the unterminated text (a prompt that has been answered). */
  consumePending(): void {
    this.text = "";
  }

  push(chunk: Buffer | string): Frame[] {
    const s = typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    const out: Frame[] = [];
    for (const ch of s) {
      if (this.depth > 0) {
        this.inDoc(ch, out);
        continue;
      }
      if (this.json && ch === "{") {
        if (this.text.trim() !== "") out.push({ type: "line", text: this.text.replace(/\r$/, "") });
        this.text = "";
        this.doc = "{";
        this.depth = 1;
        continue;
      }
      if (ch === "\n") {
        out.push({ type: "line", text: this.text.replace(/\r$/, "") });
        this.text = "";
        continue;
      }
      this.text += ch;
      if (this.text.length > this.maxChars) {
        out.push({ type: "dropped", chars: this.text.length });
        this.text = "";
      }
    }
    return out;
  }

  private inDoc(ch: string, out: Frame[]): void {
    // A codec prints a document's outer `{` at the start of a line and never a raw newline inside a
    // string: either seen mid-document means the document was cut or garbled (junk on the line);
    // resynchronise on it instead of swallowing every later reply.
    const lineStart = this.doc.endsWith("\n");
    if ((ch === "\n" && this.inString) || (ch === "{" && lineStart && !this.inString)) {
      if (!this.skipping) out.push({ type: "garbled", raw: this.doc.slice(0, 200), reason: "document cut short" });
      this.clearDoc();
      if (ch === "{") {
        this.doc = "{";
        this.depth = 1;
      }
      return;
    }
    if (!this.skipping) this.doc += ch;
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (ch === "\\") this.escaped = true;
      else if (ch === '"') this.inString = false;
    } else if (ch === '"') {
      this.inString = true;
    } else if (ch === "{" || ch === "[") {
      this.depth++;
    } else if (ch === "}" || ch === "]") {
      this.depth--;
    }
    if (!this.skipping && this.doc.length > this.maxChars) {
      out.push({ type: "dropped", chars: this.doc.length });
      this.skipping = true;
      this.doc = "";
    }
    if (this.depth > 0) return;
    if (this.skipping) {
      this.clearDoc();
      return;
    }
    const raw = this.doc;
    this.clearDoc();
    try {
      out.push({ type: "json", value: JSON.parse(raw) as unknown, raw });
    } catch (e) {
      out.push({ type: "garbled", raw: raw.slice(0, 200), reason: (e as Error).message });
    }
  }

  private clearDoc(): void {
    this.doc = "";
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.skipping = false;
  }
}
