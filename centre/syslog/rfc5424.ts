/**
 * RFC 5424 syslog messages and RFC 6587 §3.4.1 / RFC 5425 §4.3 octet-counting frames. Pure: no I/O.
 *
 *   SYSLOG-MSG = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]
 *   frame      = MSG-LEN SP SYSLOG-MSG        (MSG-LEN: the octets of SYSLOG-MSG, in decimal)
 *
 * Rules kept here:
 * - Header fields are PRINTUSASCII (%d33-126) of bounded length, or NILVALUE "-" when absent; a
 *   field outside that is a programming or configuration error and throws (code `invalid_field`).
 * - SD-IDs and PARAM-NAMEs are SD-NAMEs: 1..32 PRINTUSASCII except `=`, SP, `]` and `"`.
 * - In a PARAM-VALUE, `"`, `\` and `]` are escaped with a backslash (§6.3.3); nothing else is.
 * - MSG: text that is all US-ASCII goes as MSG-ANY (no BOM); anything else is UTF-8 and, as §6.4
 *   requires of MSG-UTF8, starts with the BOM. `bom: "always"` forces it (the RFC's example 1).
 * - `maxBytes`: the free text is cut (at a character boundary) so the whole message fits; header
 *   and structured data are never cut (their values are bounded by whoever builds them).
 */

export class Rfc5424Error extends Error {
  readonly code: "invalid_field" | "too_long";
  constructor(code: Rfc5424Error["code"], message: string) {
    super(message);
    this.name = "Rfc5424Error";
    this.code = code;
  }
}

/** Syslog severities, RFC 5424 §6.2.1 table 2. */
export const SEVERITY = { emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7 } as const;
export type SeverityName = keyof typeof SEVERITY;

export interface SdElement {
  /** `name@enterprise` for our own, or an IANA-registered name (`origin`, `meta`). */
  id: string;
  /** In order; a param may repeat (RFC 5424 allows it). */
  params: ReadonlyArray<readonly [name: string, value: string]>;
}

export interface Rfc5424Message {
  facility: number;
  severity: number;
  /** RFC 3339 as the RFC restricts it (see `rfc3339`), or null for NILVALUE. */
  timestamp: string | null;
  hostname: string | null;
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  structuredData: readonly SdElement[];
  msg?: string | undefined;
}

export interface FormatOptions {
  /** "auto" (default): BOM only before text that is not all US-ASCII. */
  bom?: "auto" | "always";
  /** Cut the free text so the message is at most this many octets. */
  maxBytes?: number;
}

const BOM = "\ufeff";
const NIL = "-";
const SD_NAME = /^[\x21-\x7e]{1,32}$/;
const SD_NAME_FORBIDDEN = /[= \]"]/;
/** TIMESTAMP of §6.2.3: full-date "T" full-time, at most 6 fraction digits, Z or an offset. */
const TIMESTAMP = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function header(what: string, value: string | null, max: number): string {
  if (value === null || value === "") return NIL;
  if (value.length > max || !/^[\x21-\x7e]+$/.test(value)) {
    throw new Rfc5424Error("invalid_field", `${what} ${JSON.stringify(value)}: expected 1..${max} printable US-ASCII characters`);
  }
  return value;
}

function sdName(what: string, name: string): string {
  if (!SD_NAME.test(name) || SD_NAME_FORBIDDEN.test(name)) {
    throw new Rfc5424Error("invalid_field", `${what} ${JSON.stringify(name)}: expected 1..32 printable US-ASCII characters without = ] " or space`);
  }
  return name;
}

/** §6.3.3: `"`, `\` and `]` get a backslash; every other character stays as it is. */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, "\\$&");
}

/** STRUCTURED-DATA: the elements, or NILVALUE when there are none. */
export function formatStructuredData(elements: readonly SdElement[]): string {
  if (elements.length === 0) return NIL;
  return elements
    .map((e) => `[${sdName("SD-ID", e.id)}${e.params.map(([n, v]) => ` ${sdName("PARAM-NAME", n)}="${escapeParamValue(v)}"`).join("")}]`)
    .join("");
}

/** A millisecond epoch as the RFC 5424 TIMESTAMP, in UTC with milliseconds: 2003-10-11T22:14:15.003Z. */
export function rfc3339(ms: number): string | null {
  // Four-digit years only (the ABNF's DATE-FULLYEAR); Date gives "+010000-..." beyond.
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return null;
  const iso = new Date(ms).toISOString();
  return /^\d{4}-/.test(iso) ? iso : null;
}

/** The message as a string (UTF-8 when written). Throws Rfc5424Error on a field the RFC does not allow. */
export function formatRfc5424(m: Rfc5424Message, opts: FormatOptions = {}): string {
  if (!Number.isInteger(m.facility) || m.facility < 0 || m.facility > 23) throw new Rfc5424Error("invalid_field", `facility ${m.facility}: expected 0..23`);
  if (!Number.isInteger(m.severity) || m.severity < 0 || m.severity > 7) throw new Rfc5424Error("invalid_field", `severity ${m.severity}: expected 0..7`);
  if (m.timestamp !== null && !TIMESTAMP.test(m.timestamp)) throw new Rfc5424Error("invalid_field", `timestamp ${JSON.stringify(m.timestamp)}: expected RFC 3339 as RFC 5424 §6.2.3 restricts it`);
  const head = [
    `<${m.facility * 8 + m.severity}>1`,
    m.timestamp ?? NIL,
    header("HOSTNAME", m.hostname, 255),
    header("APP-NAME", m.appName, 48),
    header("PROCID", m.procId, 128),
    header("MSGID", m.msgId, 32),
    formatStructuredData(m.structuredData),
  ].join(" ");
  if (m.msg === undefined || m.msg === "") return checkLength(head, opts.maxBytes);
  const utf8 = opts.bom === "always" || /[^\x00-\x7f]/.test(m.msg);
  const prefix = `${head} ${utf8 ? BOM : ""}`;
  if (opts.maxBytes === undefined) return prefix + m.msg;
  const room = opts.maxBytes - Buffer.byteLength(prefix, "utf8");
  if (room < 0) return checkLength(head, opts.maxBytes);
  return prefix + cutUtf8(m.msg, room);
}

function checkLength(msg: string, maxBytes: number | undefined): string {
  const n = Buffer.byteLength(msg, "utf8");
  if (maxBytes !== undefined && n > maxBytes) throw new Rfc5424Error("too_long", `header and structured data take ${n} octets, over the ${maxBytes} allowed`);
  return msg;
}

/** The longest prefix of `text` that fits in `bytes` UTF-8 octets, never splitting a character. */
export function cutUtf8(text: string, bytes: number): string {
  const buf = Buffer.from(text, "utf8");
  if (buf.length <= bytes) return text;
  let end = bytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end -= 1;
  return buf.subarray(0, end).toString("utf8");
}

/** RFC 6587 §3.4.1 / RFC 5425 §4.3: `MSG-LEN SP SYSLOG-MSG`, the length in octets. */
export function octetFrame(message: string): Buffer {
  const body = Buffer.from(message, "utf8");
  return Buffer.concat([Buffer.from(`${body.length} `, "ascii"), body]);
}
