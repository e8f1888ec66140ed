/**
 * What the simulated Poly codec answers to each API command (PROTOCOLS-CONFERENCE-NETWORK.md, part
 * A; replies the sources do not give are marked [A] here and in docs/devices.md). Returns the reply
 * lines; side effects happen here too. A change (mute, volume, content, sleep) is pushed to the
 * registered sessions as it happens, so a session registered for it sees the push just before its
 * own reply ([A]: the sources do not give the order; the driver takes either). A call is placed on
 * the MCU after the reply (`dialing manual` first, then the call's pushes).
 */
import type { ApiSession, PolyCodec } from "./codec.js";

export const NOT_FOUND = "error: command not found";
export const MORE_PARAMS = "error: command needs more parameters to execute successfully";
/** [A] The sources give no text for a bad value; this is the Poly API guide's usual one. */
export const ILLEGAL = "error: command has illegal parameters";

export const NOTIFY_TYPES = ["callstatus", "linestatus", "mutestatus", "screenchanges", "sysstatus", "sysalerts", "vidsourcechanges", "calendarmeetings"];
/** `all register` registers these, in this order (part A). */
export const REGISTER_TOPICS = ["callstate", "camera", "chaircontrol", "linestate", "mute", "pip", "popupinfo", "preset", "screen", "vcbutton", "volume", "sleep"];

type Handler = (codec: PolyCodec, s: ApiSession, args: string[], text: string) => string[];

const HANDLERS: Record<string, Handler> = {
  whoami: (codec) => codec.banner(),
  notify: (_c, s, [type]) => {
    if (type === undefined) return [`registered for ${s.notify.size} notifications${[...s.notify].map((t) => `:${t}`).join("")}`];
    if (!NOTIFY_TYPES.includes(type)) return [ILLEGAL];
    if (s.notify.has(type)) return [`info: event/notification already active:${type}`];
    s.notify.add(type);
    return [`notify ${type} success`];
  },
  nonotify: (_c, s, [type]) => {
    if (type === undefined) return [MORE_PARAMS];
    s.notify.delete(type);
    return [`nonotify ${type} success`]; // [A]
  },
  all: (_c, s, [op]) => {
    if (op !== "register" && op !== "unregister") return [MORE_PARAMS];
    return REGISTER_TOPICS.map((t) => {
      if (op === "register") s.registered.add(t);
      else s.registered.delete(t);
      return `${t} ${op}ed`;
    });
  },
  status: (codec) => {
    const reg = codec.mcu.registration;
    const inCall = codec.mcu.active().some((c) => c.state === "connected");
    const w = (on: boolean) => (on ? "online" : "offline");
    return [
      `inacall ${w(inCall)}`,
      "autoanswerp2p online",
      "remotecontrol online",
      "microphones online",
      "visualboard offline",
      "globaldirectory online",
      "ipnetwork online",
      `gatekeeper ${w(reg.h323)}`,
      `sipserver ${w(reg.sip)}`,
      "logthreshold offline",
      "meetingpassword offline",
      "rpms offline",
      "status end",
    ];
  },
  gatekeeperip: (codec, _s, [op]) => (op === "get" ? [`gatekeeperip ${codec.settings.gatekeeperIp}`] : [MORE_PARAMS]),
  systemsetting: (codec, _s, [op, name]) => {
    if (op !== "get" || name === undefined) return [MORE_PARAMS];
    if (name === "sipregistrarserver") return [`systemsetting sipregistrarserver ${codec.settings.sipRegistrar}`];
    return [ILLEGAL];
  },
  dial: (codec, _s, _args, text) => dial(codec, text),
  hangup: (codec, _s, [what, id]) => {
    if (what === "all" || (what === "video" && id === undefined)) {
      const calls = codec.mcu.active();
      if (calls.length === 0) return ["system is not in a call"];
      queueMicrotask(() => calls.forEach((c) => codec.mcu.hangup(c.id)));
      return [`hanging up ${what}`];
    }
    if (what !== "video") return [MORE_PARAMS];
    const call = codec.mcu.get(Number(id));
    if (!call || call.state === "ended") return [`error: connection ${id} is not active`];
    queueMicrotask(() => codec.mcu.hangup(call.id));
    return ["hanging up video"];
  },
  answer: (codec, _s, [what]) => {
    if (what !== "video") return [MORE_PARAMS];
    const ringing = codec.mcu.active().find((c) => c.direction === "incoming" && c.state === "ringing");
    if (!ringing) return ["answer incoming video call failed"];
    queueMicrotask(() => codec.mcu.answer(ringing.id));
    return ["answer incoming video call passed"];
  },
  callinfo: (codec, _s, [what]) => {
    if (what !== "all") return [MORE_PARAMS];
    const calls = codec.mcu.active();
    if (calls.length === 0) return ["system is not in a call"];
    const muted = codec.mic ? "muted" : "notmuted";
    return ["callinfo begin", ...calls.map((c) => `callinfo:${c.id}:${c.name}:${c.number}:${c.rateKbps}:${c.state}:${muted}:${c.direction}:videocall`), "callinfo end"];
  },
  getcallstate: (codec) => {
    const calls = codec.mcu.active();
    return [0, 1, 2].map((slot) => {
      const c = calls[slot];
      return c ? `cs: call[${c.id}] chan[0] dialstr[${c.number}] state[${c.state === "connected" ? "CONNECTED" : "RINGING"}]` : `cs: call[${slot}] inactive`;
    });
  },
  advnetstats: (codec, _s, [n]) => codec.media.advnetstats(Number(n ?? 0)) ?? [`error: connection ${n ?? 0} is not active`],
  netstats: (codec, _s, [n]) => codec.media.netstats(Number(n ?? 0)) ?? [`error: connection ${n ?? 0} is not active`],
  mute: (codec, _s, [where, op]) => {
    if (where === "register" || where === "unregister") return register(_s, "mute", where);
    if (where !== "near" && where !== "far") return [MORE_PARAMS];
    if (where === "far") return ["mute far off"];
    if (op === "on" || op === "off") codec.setMic(op === "on");
    else if (op === "toggle") codec.setMic(!codec.mic);
    else if (op !== "get") return [ILLEGAL];
    return [`mute near ${codec.mic ? "on" : "off"}`];
  },
  volume: (codec, s, [op, value]) => {
    if (op === "register" || op === "unregister") return register(s, "volume", op);
    if (op === "get") return [`volume ${codec.volume}`];
    if (op === "up" || op === "down") codec.setVolume(Math.min(50, Math.max(0, codec.volume + (op === "up" ? 1 : -1))));
    else if (op === "set") {
      const v = Number(value);
      if (value === undefined) return [MORE_PARAMS];
      if (!Number.isInteger(v) || v < 0 || v > 50) return [ILLEGAL];
      codec.setVolume(v);
    } else return [MORE_PARAMS];
    return [`volume ${codec.volume}`];
  },
  camera: (codec, s, [where, op]) => {
    if (where === "register" || where === "unregister") return register(s, "camera", where);
    if (where !== "near") return [ILLEGAL];
    if (op === "get" || op === "source") return [`camera near ${codec.camera}`]; // [A]
    if (op === "getposition") return ["camera near position 0 0 0"];
    const n = Number(op);
    if (!Number.isInteger(n) || n < 1 || n > 4) return [ILLEGAL];
    codec.camera = n;
    codec.broadcast({ register: "camera" }, [`camera near ${n}`]);
    return [`camera near ${n}`];
  },
  preset: (codec, s, [where, op, n]) => {
    if (where === "register" || where === "unregister") return register(s, "preset", where);
    const v = Number(n);
    if (where !== "near" || (op !== "go" && op !== "set") || !Number.isInteger(v) || v < 0 || v > 99) return [n === undefined ? MORE_PARAMS : ILLEGAL];
    codec.broadcast({ register: "preset" }, [`preset near ${op} ${v}`]);
    return [`preset near ${op} ${v}`]; // [A] the echo
  },
  vcbutton: (codec, s, [op, src]) => {
    if (op === "register" || op === "unregister") return register(s, "vcbutton", op);
    if (op === "get") return [`vcbutton ${codec.content.active ? "play" : "stop"}`]; // [A]
    if (op === "play") {
      if (codec.content.active) return ["already active:vcbutton"];
      const n = src === undefined ? undefined : Number(src);
      if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 8)) return [ILLEGAL];
      codec.content = n === undefined ? { active: true } : { active: true, source: n };
      codec.broadcast({ register: "vcbutton" }, ["Control event: vcbutton play"]);
      return ["vcbutton play"];
    }
    if (op === "stop") {
      codec.content = { active: false };
      codec.broadcast({ register: "vcbutton" }, ["Control event: vcbutton stop"]);
      return ["vcbutton stop"];
    }
    return [MORE_PARAMS];
  },
  sleep: (codec, s, [op]) => {
    if (op === "register" || op === "unregister") return register(s, "sleep", op);
    if (op !== undefined) return [ILLEGAL];
    codec.setAsleep(true);
    return ["sleeping"]; // [A]
  },
  wake: (codec) => {
    codec.setAsleep(false);
    return ["waking up"]; // [A]
  },
  callstate: (_c, s, [op]) => (op === "register" || op === "unregister" ? register(s, "callstate", op) : [MORE_PARAMS]),
};

function register(s: ApiSession, topic: string, op: "register" | "unregister"): string[] {
  if (op === "register") s.registered.add(topic);
  else s.registered.delete(topic);
  return [`${topic} ${op}ed`];
}

/** `dial manual <speed> "<dialstr>" [h323|ip|sip]` (quotes optional, P1 sends none); `dial addressbook "<name>"`. */
function dial(codec: PolyCodec, text: string): string[] {
  if (/^dial addressbook\b/.test(text)) return ["info: no match(s) found"]; // the simulator has no directory
  const m = /^dial manual (\S+) (?:"([^"]*)"|(\S+))(?: (h323|ip|sip))?$/.exec(text);
  if (!m) return /^dial manual\s*\S*$/.test(text) ? [MORE_PARAMS] : [ILLEGAL];
  const rate = m[1] === "auto" ? codec.settings.defaultRate : Number(m[1]);
  if (!Number.isInteger(rate) || rate < 64 || rate > 6144) return [ILLEGAL];
  const number = m[2] ?? m[3]!;
  const protocol = m[4] === undefined ? codec.settings.defaultProtocol : m[4] === "sip" ? "sip" : "h323";
  queueMicrotask(() => codec.mcu.dial(number, protocol, rate)); // the reply is printed before the call's first push
  return ["dialing manual"];
}

/** One command line of a logged-in session: its reply lines. */
export function runCommand(codec: PolyCodec, s: ApiSession, text: string): string[] {
  const words = text.split(/\s+/);
  const handler = Object.hasOwn(HANDLERS, words[0]!) ? HANDLERS[words[0]!] : undefined;
  if (!handler) return [NOT_FOUND];
  return handler(codec, s, words.slice(1), text);
}
