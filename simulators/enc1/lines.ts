/**
 * The device side of ENC/1 (PROTOCOLS.md), written here and not imported from the driver's codec,
 * so that a codec bug cannot hide behind a simulator that shares it. The driver's codec has no
 * encoder for device lines at all (it only encodes queries); this is the only one.
 */

/** Device states of PROTOCOLS.md. */
export const SIM_STATES = ["SELFTEST", "SECURE", "TUNNEL_DOWN", "BYPASS", "KEY_EXPIRED", "ALARM", "TAMPER", "ZEROIZED", "MAINT"] as const;
export type SimState = (typeof SIM_STATES)[number];
export type SimTunnel = "UP" | "DOWN";
export const SIM_KEYS = ["VALID", "EXPIRING", "EXPIRED", "NONE"] as const;
export type SimKey = (typeof SIM_KEYS)[number];
export const SIM_SEVERITIES = ["CRIT", "MAJ", "MIN"] as const;
export type SimSeverity = (typeof SIM_SEVERITIES)[number];

/** XOR of the characters between `$` and `*`, as two uppercase hex digits. */
export function nmeaChecksum(body: string): string {
  let x = 0;
  for (const ch of Buffer.from(body, "latin1")) x ^= ch;
  return (x < 16 ? "0" : "") + x.toString(16).toUpperCase();
}

/** `$<body>*HH\n`; with `corrupt`, the checksum is deliberately wrong (every bit flipped). */
export function sentence(body: string, corrupt = false): Buffer {
  const good = parseInt(nmeaChecksum(body), 16);
  const cs = corrupt ? good ^ 0xff : good;
  return Buffer.from(`$${body}*${cs.toString(16).toUpperCase().padStart(2, "0")}\n`, "latin1");
}

export const statusBody = (seq: number, state: string, tunnel: SimTunnel, key: SimKey, alarm: string | null): string =>
  `ENC,ST,${seq},${state},tun=${tunnel},key=${key},alarm=${alarm ?? "NONE"}`;
export const heartbeatBody = (seq: number, uptimeS: number): string => `ENC,HB,${seq},${uptimeS}`;
export const alarmBody = (seq: number, code: string, severity: SimSeverity, action: "RAISE" | "CLEAR"): string =>
  `ENC,AL,${seq},${code},${severity},${action}`;
export const identityBody = (model: string, firmware: string): string => `ENC,ID,${model},${firmware}`;
export const errorBody = (seq: number, reason: "CHECKSUM" | "UNSUPPORTED"): string => `ENC,ER,${seq},${reason}`;

/** What the device makes of one line from the agent. */
export type SimRequest =
  | { kind: "query"; what: "ST" | "ID" }
  | { kind: "ack"; seq: number }
  | { kind: "bad_checksum" }
  | { kind: "unsupported" }
  /** Not a sentence at all (no `$`, no `*HH`): a real console ignores line noise. */
  | { kind: "noise" };

export function parseRequest(line: string): SimRequest {
  const text = line.endsWith("\r") ? line.slice(0, -1) : line;
  const m = /^\$([^*$]*)\*([0-9A-Fa-f]{2})$/.exec(text);
  if (!m) return { kind: "noise" };
  const body = m[1]!;
  if (nmeaChecksum(body) !== m[2]!.toUpperCase()) return { kind: "bad_checksum" };
  if (body === "Q,ST" || body === "Q,ID") return { kind: "query", what: body === "Q,ST" ? "ST" : "ID" };
  const ack = /^ACK,(\d{1,10})$/.exec(body);
  if (ack) return { kind: "ack", seq: Number(ack[1]) };
  return { kind: "unsupported" };
}
