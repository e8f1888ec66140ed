/**
 * ENC/1 codec (PROTOCOLS.md, "Link encryptor status — ENC/1"): pure, no I/O.
 *
 * Decodes every device line (HB, ST, AL, ID, ER) into a value, or into a fault with a reason;
 * it never throws on device input. Device text comes out sanitised (sanitize.ts).
 *
 * Encodes ONLY the three agent -> device lines: `$Q,ST*HH`, `$Q,ID*HH`, `$ACK,<seq>*HH`. There is
 * deliberately no encoder for anything else (zeroize, bypass, keys, configuration, reboot): the
 * driver is read-only by construction, not by configuration.
 */
import { sanitizeCode, sanitizeText } from "./sanitize.js";

/** The device states of PROTOCOLS.md. */
export const ENC_STATES = ["SELFTEST", "SECURE", "TUNNEL_DOWN", "BYPASS", "KEY_EXPIRED", "ALARM", "TAMPER", "ZEROIZED", "MAINT"] as const;
export type Enc1DeviceState = (typeof ENC_STATES)[number];
/** What the driver reports: a device state, or UNKNOWN (an unknown word, no heartbeats, no link). */
export type Enc1State = Enc1DeviceState | "UNKNOWN";

export const TUNNEL_STATES = ["UP", "DOWN"] as const;
export type Enc1Tunnel = (typeof TUNNEL_STATES)[number];
export const KEY_STATES = ["VALID", "EXPIRING", "EXPIRED", "NONE"] as const;
export type Enc1Key = (typeof KEY_STATES)[number];
export const SEVERITIES = ["CRIT", "MAJ", "MIN"] as const;
export type Enc1Severity = (typeof SEVERITIES)[number];
export const ALARM_ACTIONS = ["RAISE", "CLEAR"] as const;
export type Enc1AlarmAction = (typeof ALARM_ACTIONS)[number];

/** The protocol's line limit (bytes before the LF). */
export const MAX_LINE_BYTES = 120;
/** Sequence numbers and uptimes: decimal, at most 32 bits. */
const MAX_U32 = 0xffff_ffff;

export type Enc1Line =
  | { type: "HB"; seq: number; uptimeS: number }
  | {
      type: "ST";
      seq: number;
      /** UNKNOWN when the device sent a word outside ENC_STATES (then `word` holds it, sanitised). */
      state: Enc1State;
      word: string;
      tunnel: Enc1Tunnel | null;
      key: Enc1Key | null;
      /** The alarm code, or null for `alarm=NONE` or a missing field. */
      alarm: string | null;
    }
  | { type: "AL"; seq: number; code: string; severity: Enc1Severity; action: Enc1AlarmAction }
  | { type: "ID"; model: string; firmware: string }
  | { type: "ER"; seq: number; reason: "CHECKSUM" | "UNSUPPORTED" | "OTHER"; word: string };

/** Why a line was refused. `bad_checksum` is counted apart from the others. */
export type Enc1LineFault = "too_long" | "not_ascii" | "no_start" | "no_checksum" | "bad_checksum" | "malformed" | "unknown_type";

export type Enc1ParseResult = { ok: true; line: Enc1Line } | { ok: false; fault: Enc1LineFault; detail: string };

/** The only lines the driver can send. A closed union: there is no other shape to encode. */
export type Enc1Query = { query: "ST" } | { query: "ID" } | { ack: number };

export class Enc1CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Enc1CodecError";
  }
}

/** NMEA-style checksum: XOR of the bytes between `$` and `*`, two uppercase hex digits. */
export function checksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i) & 0xff;
  return x.toString(16).toUpperCase().padStart(2, "0");
}

/**
 * The bytes of one agent -> device line, e.g. `{query:"ST"}` -> `$Q,ST*2D\n`.
 * Throws Enc1CodecError for anything outside the union (a caller that cast its way past the type).
 */
export function encodeQuery(q: Enc1Query): Buffer {
  let body: string;
  if ("ack" in q) {
    if (!Number.isSafeInteger(q.ack) || q.ack < 0 || q.ack > MAX_U32) throw new Enc1CodecError(`ack seq must be 0..${MAX_U32}, got ${String(q.ack)}`);
    body = `ACK,${q.ack}`;
  } else if (q.query === "ST" || q.query === "ID") {
    body = `Q,${q.query}`;
  } else {
    throw new Enc1CodecError(`not an ENC/1 query: ${JSON.stringify(q)}`);
  }
  return Buffer.from(`$${body}*${checksum(body)}\n`, "latin1");
}

const fault = (f: Enc1LineFault, detail: string): Enc1ParseResult => ({ ok: false, fault: f, detail });

function u32(field: string | undefined): number | null {
  if (field === undefined || !/^\d{1,10}$/.test(field)) return null;
  const n = Number(field);
  return n <= MAX_U32 ? n : null;
}

function oneOf<T extends string>(list: readonly T[], v: string | undefined): T | null {
  return v !== undefined && (list as readonly string[]).includes(v) ? (v as T) : null;
}

/**
 * Parses one line (without its LF; a trailing CR is tolerated). Never throws.
 * Detail strings name the rule, never echo the line's content.
 */
export function parseLine(text: string, maxBytes = MAX_LINE_BYTES): Enc1ParseResult {
  const line = text.endsWith("\r") ? text.slice(0, -1) : text;
  if (line.length > maxBytes) return fault("too_long", `${line.length} bytes > ${maxBytes}`);
  if (!/^[\x20-\x7e]*$/.test(line)) return fault("not_ascii", "bytes outside printable ASCII");
  if (!line.startsWith("$")) return fault("no_start", "line does not start with $");
  const star = line.lastIndexOf("*");
  if (star < 0 || line.length - star !== 3 || !/^[0-9A-Fa-f]{2}$/.test(line.slice(star + 1))) {
    return fault("no_checksum", "no *HH checksum at the end");
  }
  const body = line.slice(1, star);
  const want = checksum(body);
  const got = line.slice(star + 1).toUpperCase();
  if (want !== got) return fault("bad_checksum", `checksum ${got}, computed ${want}`);
  const f = body.split(",");
  if (f[0] !== "ENC") return fault("unknown_type", "talker is not ENC");
  switch (f[1]) {
    case "HB":
      return parseHeartbeat(f);
    case "ST":
      return parseStatus(f);
    case "AL":
      return parseAlarm(f);
    case "ID":
      if (f.length !== 4) return fault("malformed", `ID has ${f.length - 2} fields, expected 2`);
      return { ok: true, line: { type: "ID", model: sanitizeText(f[2]!), firmware: sanitizeText(f[3]!) } };
    case "ER":
      return parseError(f);
    default:
      return fault("unknown_type", "unknown line type");
  }
}

function parseHeartbeat(f: string[]): Enc1ParseResult {
  const seq = u32(f[2]);
  const uptimeS = u32(f[3]);
  if (f.length !== 4 || seq === null || uptimeS === null) return fault("malformed", "HB needs <seq>,<uptime_s>");
  return { ok: true, line: { type: "HB", seq, uptimeS } };
}

/** `ST,<seq>,<state>,tun=..,key=..,alarm=..`: the key=value fields may come in any order; unknown keys are ignored. */
function parseStatus(f: string[]): Enc1ParseResult {
  const seq = u32(f[2]);
  const word = f[3];
  if (seq === null || word === undefined || word === "") return fault("malformed", "ST needs <seq>,<state>");
  const kv = new Map<string, string>();
  for (const part of f.slice(4)) {
    const eq = part.indexOf("=");
    if (eq <= 0) return fault("malformed", "ST field is not key=value");
    kv.set(part.slice(0, eq).toLowerCase(), part.slice(eq + 1));
  }
  const known = oneOf(ENC_STATES, word);
  const alarmRaw = kv.get("alarm");
  return {
    ok: true,
    line: {
      type: "ST",
      seq,
      state: known ?? "UNKNOWN",
      word: known ?? sanitizeCode(word),
      tunnel: oneOf(TUNNEL_STATES, kv.get("tun")),
      key: oneOf(KEY_STATES, kv.get("key")),
      alarm: alarmRaw === undefined || alarmRaw === "NONE" || alarmRaw === "" ? null : sanitizeCode(alarmRaw),
    },
  };
}

function parseAlarm(f: string[]): Enc1ParseResult {
  const seq = u32(f[2]);
  const severity = oneOf(SEVERITIES, f[4]);
  const action = oneOf(ALARM_ACTIONS, f[5]);
  if (f.length !== 6 || seq === null || !f[3] || severity === null || action === null) {
    return fault("malformed", "AL needs <seq>,<code>,CRIT|MAJ|MIN,RAISE|CLEAR");
  }
  return { ok: true, line: { type: "AL", seq, code: sanitizeCode(f[3]), severity, action } };
}

function parseError(f: string[]): Enc1ParseResult {
  const seq = u32(f[2]);
  if (f.length !== 4 || seq === null || !f[3]) return fault("malformed", "ER needs <seq>,<reason>");
  const reason = f[3] === "CHECKSUM" || f[3] === "UNSUPPORTED" ? f[3] : "OTHER";
  return { ok: true, line: { type: "ER", seq, reason, word: sanitizeCode(f[3]) } };
}
