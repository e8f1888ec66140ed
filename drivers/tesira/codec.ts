/**
 * Tesira Text Protocol (TTP) lines: commands out, responses in (PROTOCOLS.md, "Biamp Tesira TTP").
 * Pure, no I/O.
 *
 * Command: `InstanceTag verb attribute [index...] [value]` + LF; tags are case-sensitive and a tag
 * with spaces is quoted. Response lines:
 * - `+OK` with an optional value: verbose `"value":-10.000000`, `"list":[...]`, or non-verbose bare `2`;
 * - `-ERR <text>`, `-CANNOT_DELIVER`, `-GENERAL_FAILURE` (and any other `-WORD`);
 * - `! "publishToken":"<label>" "value":<v>` subscription pushes (the first may carry a trailing `+OK`);
 * - the Welcome banner (`Welcome to the Tesira Text Protocol Server...`): a (re)started session;
 * - anything else (the session's echo of our own commands, prompts): `other`.
 */
export type TtpValue = number | boolean | string | null | TtpValue[] | { [key: string]: TtpValue };

export type TtpLine =
  | { type: "ok"; fields: Record<string, TtpValue>; value: TtpValue | undefined; raw: string }
  | { type: "error"; code: string; text: string; raw: string }
  | { type: "push"; token: string; value: TtpValue | undefined; withOk: boolean; raw: string }
  | { type: "banner"; raw: string }
  | { type: "garbled"; reason: string; raw: string }
  | { type: "other"; raw: string };

export const BANNER_PREFIX = "Welcome to the Tesira Text Protocol Server";

export class TtpCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TtpCodecError";
  }
}

/** One command. `args` follow the attribute: indexes, then a label or value. */
export interface TtpCommand {
  tag: string;
  verb: string;
  attribute?: string;
  args?: readonly (number | boolean | string)[];
}

const WORD = /^[A-Za-z][A-Za-z0-9_]*$/;
const BARE_ARG = /^[A-Za-z0-9_.+-]+$/;

/** Encodes a command line, LF-terminated. Throws TtpCodecError for text that cannot be sent. */
export function encodeCommand(cmd: TtpCommand): string {
  const parts = [quoteTag(cmd.tag), word(cmd.verb, "verb")];
  if (cmd.attribute !== undefined) parts.push(word(cmd.attribute, "attribute"));
  for (const a of cmd.args ?? []) parts.push(formatArg(a));
  return `${parts.join(" ")}\n`;
}

/** Tags with whitespace are quoted; quotes and line breaks cannot be carried at all. */
export function quoteTag(tag: string): string {
  if (tag === "" || /["\r\n]/.test(tag)) throw new TtpCodecError(`instance tag ${JSON.stringify(tag)} cannot be sent (empty, or holds a quote or line break)`);
  return /\s/.test(tag) ? `"${tag}"` : tag;
}

function word(w: string, what: string): string {
  if (!WORD.test(w)) throw new TtpCodecError(`${what} ${JSON.stringify(w)} is not a TTP word`);
  return w;
}

function formatArg(a: number | boolean | string): string {
  if (typeof a === "boolean") return a ? "true" : "false";
  if (typeof a === "number") return formatNumber(a);
  if (!BARE_ARG.test(a)) throw new TtpCodecError(`argument ${JSON.stringify(a)} is not a TTP token`);
  return a;
}

/** Plain decimal, never exponent notation: -12, 3.5, -0.25. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TtpCodecError(`number ${n} cannot be sent`);
  if (Number.isInteger(n)) return String(n);
  const s = n.toFixed(6).replace(/0+$/, "").replace(/\.$/, "");
  return s === "-0" ? "0" : s;
}

/** Classifies one line (terminator already removed). */
export function parseLine(raw: string): TtpLine {
  const line = raw.trim();
  if (line.startsWith("+OK")) {
    const rest = line.slice(3);
    if (rest !== "" && !/^\s/.test(rest)) return { type: "other", raw }; // `+OKAY...` is not a response
    try {
      const { fields, bare } = parseFields(rest);
      return { type: "ok", fields, value: "value" in fields ? fields["value"] : bare, raw };
    } catch (e) {
      return { type: "garbled", reason: (e as Error).message, raw };
    }
  }
  if (line.startsWith("-")) {
    const m = /^-([A-Z][A-Z_]*)(?:\s+(.*))?$/.exec(line);
    if (!m) return { type: "other", raw }; // e.g. an echo of a negative number; never a response
    return { type: "error", code: m[1]!, text: (m[2] ?? "").trim(), raw };
  }
  if (line.startsWith("!")) {
    let body = line.slice(1);
    const withOk = /\s\+OK$/.test(body);
    if (withOk) body = body.slice(0, -3);
    try {
      const { fields } = parseFields(body);
      const token = fields["publishToken"];
      if (typeof token !== "string") return { type: "garbled", reason: "push without publishToken", raw };
      return { type: "push", token, value: fields["value"], withOk, raw };
    } catch (e) {
      return { type: "garbled", reason: (e as Error).message, raw };
    }
  }
  if (line.startsWith(BANNER_PREFIX)) return { type: "banner", raw };
  return { type: "other", raw };
}

/**
 * Parses `"key":value "key2":value2` (verbose) or a bare value (non-verbose `+OK 2`).
 * Values: numbers, true/false, "strings", [lists], {objects} whose members are separated by
 * whitespace or commas, as the device prints them.
 */
export function parseFields(text: string): { fields: Record<string, TtpValue>; bare: TtpValue | undefined } {
  const p = new Parser(text);
  const fields: Record<string, TtpValue> = {};
  let bare: TtpValue | undefined;
  p.skip();
  while (!p.done()) {
    const start = p.pos;
    const v = p.value();
    p.skip();
    if (typeof v === "string" && p.peek() === ":" && text[start] === '"') {
      p.pos++;
      fields[v] = p.value();
    } else if (bare === undefined && Object.keys(fields).length === 0) {
      bare = v;
    } else {
      throw new TtpCodecError(`unexpected value at ${start}`);
    }
    p.skip();
  }
  return { fields, bare };
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}
  done(): boolean {
    return this.pos >= this.s.length;
  }
  peek(): string | undefined {
    return this.s[this.pos];
  }
  skip(): void {
    while (this.pos < this.s.length && /[\s,]/.test(this.s[this.pos]!)) this.pos++;
  }
  value(): TtpValue {
    this.skip();
    const c = this.peek();
    if (c === undefined) throw new TtpCodecError("value expected, line ended");
    if (c === '"') return this.string();
    if (c === "[") return this.list();
    if (c === "{") return this.object();
    const m = /^[^\s,\]}:"]+/.exec(this.s.slice(this.pos));
    if (!m) throw new TtpCodecError(`unexpected ${JSON.stringify(c)} at ${this.pos}`);
    this.pos += m[0].length;
    const t = m[0];
    if (t === "true") return true;
    if (t === "false") return false;
    if (t === "null") return null;
    if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
    throw new TtpCodecError(`not a value: ${JSON.stringify(t)} at ${this.pos - t.length}`);
  }
  private string(): string {
    let out = "";
    this.pos++; // opening quote
    while (this.pos < this.s.length) {
      const c = this.s[this.pos++]!;
      if (c === '"') return out;
      if (c === "\\" && this.pos < this.s.length) out += this.s[this.pos++];
      else out += c;
    }
    throw new TtpCodecError("unterminated string");
  }
  private list(): TtpValue[] {
    const out: TtpValue[] = [];
    this.pos++;
    for (;;) {
      this.skip();
      if (this.peek() === "]") {
        this.pos++;
        return out;
      }
      if (this.done()) throw new TtpCodecError("unterminated list");
      out.push(this.value());
    }
  }
  private object(): Record<string, TtpValue> {
    const out: Record<string, TtpValue> = {};
    this.pos++;
    for (;;) {
      this.skip();
      if (this.peek() === "}") {
        this.pos++;
        return out;
      }
      if (this.peek() !== '"') throw new TtpCodecError(`object key expected at ${this.pos}`);
      const key = this.string();
      this.skip();
      if (this.peek() !== ":") throw new TtpCodecError(`":" expected at ${this.pos}`);
      this.pos++;
      out[key] = this.value();
    }
  }
}

/** What an error line means, as a stable code (details.code of the DeviceError). */
export function errorKind(line: { code: string; text: string }): string {
  if (line.code !== "ERR") return line.code.toLowerCase(); // cannot_deliver, general_failure, ...
  const t = line.text;
  if (/^address not found/i.test(t)) return "address_not_found";
  if (/^parse error/i.test(t)) return "parse_error";
  if (/^[A-Z][A-Z_]+$/.test(t)) return t.toLowerCase(); // INVALID_PARAMETER, WRONG_STATE, ALREADY_SUBSCRIBED
  return "error";
}
