/**
 * What one line of a Poly Group Series / HDX API session says (PROTOCOLS-CONFERENCE-NETWORK.md,
 * part A). Pure: a line in (without its `\r\r\n`, without an SSH `-> ` prompt), a typed value out.
 *
 * The API does not tag replies: the same words come back as a command's reply and as a pushed
 * change (`mute near on` answers `mute near get` and is also what `mute register` pushes), so this
 * module only says what a line *is*; codec.ts says which lines answer which command, and the
 * driver applies every line's meaning to its state whoever asked.
 */

/** Connection status words of callinfo and notifications (P3, P5). */
export const CONN_STATUSES = ["opened", "ringing", "connecting", "connected", "inactive", "disconnecting", "disconnected"] as const;
export type ConnStatus = (typeof CONN_STATUSES)[number];

export interface CallLine {
  id: string;
  direction: "incoming" | "outgoing";
  remote: string;
  remoteName?: string;
  conn: ConnStatus;
  rateKbps: number | null;
  /** videocall, voicecall, ... (the device's word). */
  callType: string;
}

export type PolyLine =
  | { kind: "error"; text: string }
  | { kind: "info"; text: string }
  | { kind: "passwordFailed" }
  | { kind: "callstatus"; call: CallLine; cause: string }
  | { kind: "linestatus"; direction: string; id: string; conn: string }
  | { kind: "mutestatus"; side: "near" | "far"; muted: boolean }
  | { kind: "vidsource"; side: "near" | "far"; source: number | null; name: string; role: string }
  | { kind: "notification"; type: string; text: string }
  | { kind: "callinfo"; call: CallLine; muted: boolean }
  | { kind: "callinfoBegin" }
  | { kind: "callinfoEnd" }
  | { kind: "notInCall" }
  | { kind: "cs"; id: string; state: string | null; dialstr?: string; rateKbps?: number }
  | { kind: "callEvent"; event: "active" | "cleared" | "ended" | "incoming"; id: string; rateKbps?: number; name?: string; dialstr?: string }
  | { kind: "dialing"; how: string }
  | { kind: "hangingUp"; what: string }
  | { kind: "answer"; passed: boolean }
  | { kind: "mute"; side: "near" | "far"; on: boolean }
  | { kind: "volume"; level: number }
  | { kind: "camera"; side: "near" | "far"; source: number }
  | { kind: "preset"; side: "near" | "far"; op: "go" | "set"; preset: number }
  | { kind: "vcbutton"; what: "play" | "stop" | "farplay" | "farstop"; source?: number; event: boolean }
  | { kind: "alreadyActive"; what: string }
  | { kind: "sleep"; asleep: boolean; event: boolean }
  | { kind: "registered"; what: string }
  | { kind: "notifySuccess"; type: string }
  | { kind: "notifyList"; types: string[] }
  | { kind: "bannerStart"; name: string }
  | { kind: "field"; key: string; value: string }
  | { kind: "statusEnd" }
  | { kind: "setting"; name: string; value: string }
  | { kind: "stats"; fields: Record<string, string> }
  | { kind: "popup"; text: string }
  | { kind: "word"; name: string; value: string }
  | { kind: "other"; text: string };

const int = (s: string | undefined): number | null => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);
const side = (s: string | undefined): "near" | "far" | undefined => (s === "near" || s === "far" ? s : undefined);

/** Classifies one line. Anything not recognised is `other` (the caller counts it). */
export function parseLine(text: string): PolyLine {
  const t = text.trim();
  const lower = t.toLowerCase();
  if (/^error\s*:/i.test(t)) return { kind: "error", text: t };
  if (/^password failed/i.test(t)) return { kind: "passwordFailed" };
  if (lower.startsWith("info:")) return { kind: "info", text: t };
  if (lower.startsWith("notification:")) return notification(t);
  if (lower.startsWith("callinfo:")) return callinfo(t);
  if (t === "callinfo begin") return { kind: "callinfoBegin" };
  if (t === "callinfo end") return { kind: "callinfoEnd" };
  if (/^system (is|in) not in a call$/.test(t)) return { kind: "notInCall" };
  if (t.startsWith("cs:")) return cs(t);
  const ev = /^(active|cleared|ended|incoming):\s*(.*)$/.exec(t);
  if (ev) return callEvent(ev[1] as "active" | "cleared" | "ended" | "incoming", ev[2]!, t);
  const hi = /^Hi, my name is\s*:\s*(.*)$/i.exec(t);
  if (hi) return { kind: "bannerStart", name: hi[1]!.trim() };
  return simple(t);
}

/** One-line replies and pushes: mute, volume, camera, content, sleep, registrations, settings. */
function simple(t: string): PolyLine {
  const w = t.split(/\s+/);
  const [a, b, c, d] = w;
  if (a === "mute" && side(b) && (c === "on" || c === "off") && w.length === 3) return { kind: "mute", side: side(b)!, on: c === "on" };
  if (a === "volume" && w.length === 2 && int(b) !== null) return { kind: "volume", level: int(b)! };
  if (a === "camera" && side(b) && w.length === 3 && int(c) !== null) return { kind: "camera", side: side(b)!, source: int(c)! };
  if (a === "preset" && side(b) && (c === "go" || c === "set") && w.length === 4 && int(d) !== null) {
    return { kind: "preset", side: side(b)!, op: c, preset: int(d)! };
  }
  const vc = /^(Control event:\s*)?vcbutton (play|stop|farplay|farstop)(?: (\d+))?$/.exec(t);
  if (vc) {
    const out: PolyLine = { kind: "vcbutton", what: vc[2] as "play" | "stop" | "farplay" | "farstop", event: vc[1] !== undefined };
    if (vc[3] !== undefined) out.source = Number(vc[3]);
    return out;
  }
  const already = /^already active:\s*(\S+)$/.exec(t);
  if (already) return { kind: "alreadyActive", what: already[1]! };
  if (/^listen going to sleep$/.test(t)) return { kind: "sleep", asleep: true, event: true };
  if (/^listen wak(ing|e) up$/.test(t)) return { kind: "sleep", asleep: false, event: true };
  if (t === "sleeping") return { kind: "sleep", asleep: true, event: false };
  if (t === "waking up") return { kind: "sleep", asleep: false, event: false };
  const reg = /^(\S+) registered$/.exec(t);
  if (reg) return { kind: "registered", what: reg[1]! };
  const ns = /^notify (\S+) success$/.exec(t);
  if (ns) return { kind: "notifySuccess", type: ns[1]! };
  const nl = /^registered for \d+ notifications?(?::(.*))?$/.exec(t);
  if (nl) return { kind: "notifyList", types: nl[1] ? nl[1].split(":").filter((x) => x !== "") : [] };
  if (t === "status end") return { kind: "statusEnd" };
  const dialing = /^dialing (.+)$/.exec(t);
  if (dialing) return { kind: "dialing", how: dialing[1]! };
  const hanging = /^hanging up (\S+)$/.exec(t);
  if (hanging) return { kind: "hangingUp", what: hanging[1]! };
  const ans = /^answer incoming video call (passed|failed)$/.exec(t);
  if (ans) return { kind: "answer", passed: ans[1] === "passed" };
  const sys = /^systemsetting (\S+)(?: (.*))?$/.exec(t);
  if (sys) return { kind: "setting", name: sys[1]!, value: (sys[2] ?? "").trim() };
  if (a === "gatekeeperip" && w.length <= 2 && b !== "get" && b !== "set") return { kind: "setting", name: "gatekeeperip", value: b ?? "" };
  if (/^popupinfo:/i.test(t)) return { kind: "popup", text: t };
  if (isStats(w)) return { kind: "stats", fields: statsFields(w) };
  const field = /^([A-Z][A-Za-z0-9 .()/_-]*?)\s*:\s(.*)$/.exec(t);
  if (field) return { kind: "field", key: field[1]!, value: field[2]!.trim() };
  if (w.length === 2 && /^[a-z0-9_]+$/i.test(a!) && /^[A-Za-z0-9_.\-/]+$/.test(b!)) return { kind: "word", name: a!, value: b! };
  return { kind: "other", text: t };
}

/** `call:0 tar:16 K ...`, `tvru:42 K ...`: whitespace-separated `key:value` tokens, units apart. */
function isStats(words: string[]): boolean {
  const first = words[0] ?? "";
  return /^[a-z%][a-z%]*:[^\s:]+$/i.test(first) && words.filter((w) => /^[a-z%]+:/i.test(w)).length >= 2;
}

/** Tokens `key:value` (split at the first colon); unit tokens (`K`, `ms`, `%`) are dropped. */
export function statsFields(words: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const w of words) {
    const i = w.indexOf(":");
    if (i <= 0) continue;
    out[w.slice(0, i)] = w.slice(i + 1);
  }
  return out;
}

/**
 * `<middle>` of callinfo / callstatus: `<farname>:<farnum>`, where the name may be missing and the
 * number may hold colons itself (`sip:8001@mcu`). One part: the number; more: the first is the name.
 */
function remoteParts(middle: string[]): { remote: string; remoteName?: string } {
  if (middle.length === 0) return { remote: "" };
  if (middle.length === 1) return { remote: middle[0]! };
  const name = middle[0]!;
  const remote = middle.slice(1).join(":");
  return name === "" ? { remote } : { remote, remoteName: name };
}

const isConn = (s: string | undefined): s is ConnStatus => (CONN_STATUSES as readonly string[]).includes(s ?? "");
const isDirection = (s: string | undefined): s is "incoming" | "outgoing" => s === "incoming" || s === "outgoing";

/** `callinfo:<id>:<farname>:<farnum>:<speed>:<connstatus>:<muted|notmuted>:<incoming|outgoing>:<calltype>` */
function callinfo(t: string): PolyLine {
  const parts = t.split(":").slice(1);
  const id = parts[0];
  const tail = parts.slice(-5);
  const [speed, conn, muted, dir, type] = tail;
  if (parts.length < 6 || !id || !isConn(conn) || !isDirection(dir)) return { kind: "other", text: t };
  const call: CallLine = { id, direction: dir, conn, rateKbps: int(speed), callType: type ?? "", ...remoteParts(parts.slice(1, -5)) };
  return { kind: "callinfo", call, muted: muted === "muted" };
}

/** `notification:<type>:...` */
function notification(t: string): PolyLine {
  const parts = t.split(":");
  const type = parts[1] ?? "";
  if (type === "callstatus") {
    // <dir>:<callid>:<farname>:<farnum>:<connstatus>:<speed>:<causecode>:<calltype>
    const rest = parts.slice(2);
    const [dir, id] = rest;
    const [conn, speed, cause, callType] = rest.slice(-4);
    if (rest.length >= 6 && id && isDirection(dir) && isConn(conn)) {
      const call: CallLine = { id, direction: dir, conn, rateKbps: int(speed), callType: callType ?? "", ...remoteParts(rest.slice(2, -4)) };
      return { kind: "callstatus", call, cause: cause ?? "" };
    }
  } else if (type === "linestatus" && parts.length >= 7) {
    return { kind: "linestatus", direction: parts[2]!, id: parts[3]!, conn: parts[parts.length - 1]! };
  } else if (type === "mutestatus" && side(parts[2]) && parts.length >= 4) {
    return { kind: "mutestatus", side: side(parts[2])!, muted: parts[parts.length - 1] === "muted" };
  } else if (type === "vidsourcechange" && side(parts[2]) && parts.length >= 6) {
    return { kind: "vidsource", side: side(parts[2])!, source: int(parts[3]), name: parts[4]!, role: parts[5]! };
  }
  return { kind: "notification", type, text: t };
}

/** `cs: call[34] chan[0] dialstr[192.168.1.103] state[RINGING]`, `cs: call[1] inactive`. */
function cs(t: string): PolyLine {
  const fields = brackets(t);
  const id = fields["call"];
  if (id === undefined) return { kind: "other", text: t };
  const out: PolyLine = { kind: "cs", id, state: /\binactive\s*$/.test(t) ? null : (fields["state"] ?? null) };
  if (fields["dialstr"] !== undefined) out.dialstr = fields["dialstr"];
  const speed = int(fields["speed"]);
  if (speed !== null) out.rateKbps = speed;
  return out;
}

/** `active: call[34] speed[384]`, `cleared: call[34] dialstr[...]`, `ended: call[34]`, `incoming: call[n] name[..]`. */
function callEvent(event: "active" | "cleared" | "ended" | "incoming", rest: string, t: string): PolyLine {
  const fields = brackets(rest);
  const id = fields["call"];
  if (id === undefined) return { kind: "other", text: t };
  const out: PolyLine = { kind: "callEvent", event, id };
  const speed = int(fields["speed"]);
  if (speed !== null) out.rateKbps = speed;
  if (fields["name"] !== undefined) out.name = fields["name"];
  if (fields["dialstr"] !== undefined) out.dialstr = fields["dialstr"];
  return out;
}

function brackets(t: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of t.matchAll(/(\w+)\[([^\]]*)\]/g)) out[m[1]!] = m[2]!;
  return out;
}
