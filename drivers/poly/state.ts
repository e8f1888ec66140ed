/**
 * The Poly driver's state in the vocabulary's shape (CodecState), and what each kind of line does
 * to it, whoever asked: a reply to our command and the same words pushed by a registration mean
 * the same. Pure.
 */
import { initialCodecState, isRegistered, type CodecState, type Registration } from "../codec/vocabulary.js";
import { apiToPercent } from "./codec.js";
import type { PolyLine } from "./lines.js";

export function initialState(): CodecState {
  return initialCodecState("");
}

/**
 * Registration from `status` lines (`sipserver online|offline`, `gatekeeper online|offline`, P1):
 * the device's words in `detail`. A protocol the site does not use is `disabled`; one `status`
 * does not mention is `unknown` (software before 6 has no `status`, P1).
 */
export function registrationFrom(
  lines: Record<string, string>,
  uses: readonly ("sip" | "h323")[],
  servers: { sip?: string | undefined; h323?: string | undefined },
): CodecState["registration"] {
  const one = (protocol: "sip" | "h323", word: string): Registration => {
    const server = servers[protocol];
    const at = server !== undefined && server !== "" ? { server } : {};
    if (!uses.includes(protocol)) return { status: "disabled", detail: `not used by this site (options.registrations)`, ...at };
    const v = lines[word];
    if (v === undefined) return { status: "unknown", detail: `no ${word} line in status`, ...at };
    const status = v === "online" ? "registered" : v === "offline" ? "unregistered" : "unknown";
    return { status, detail: `${word} ${v}`, ...at };
  };
  return { sip: one("sip", "sipserver"), h323: one("h323", "gatekeeper") };
}

/** Sets the registration and the derived `registered`; true when anything changed. */
export function setRegistration(s: CodecState, r: CodecState["registration"]): boolean {
  const before = JSON.stringify(s.registration);
  s.registration = r;
  s.registered = isRegistered(r);
  return JSON.stringify(r) !== before;
}

/** What a line says about the room's codec (mic, volume, camera, content, standby); true when it changed something. */
export function applyLine(s: CodecState, l: PolyLine): boolean {
  const before = JSON.stringify([s.mic, s.volume, s.camera, s.content, s.standby]);
  switch (l.kind) {
    case "mute":
      if (l.side === "near") s.mic = { muted: l.on };
      break;
    case "mutestatus":
      if (l.side === "near") s.mic = { muted: l.muted };
      break;
    case "volume":
      s.volume = apiToPercent(l.level);
      break;
    case "camera":
      if (l.side === "near") s.camera = { source: l.source };
      break;
    case "vcbutton":
      s.content = contentFrom(s.content, l.what, l.source);
      break;
    case "sleep":
      s.standby = l.asleep;
      break;
    default:
      return false;
  }
  return JSON.stringify([s.mic, s.volume, s.camera, s.content, s.standby]) !== before;
}

/** play/stop: our content; farplay/farstop: the far end's (P5). */
function contentFrom(c: CodecState["content"], what: "play" | "stop" | "farplay" | "farstop", source: number | undefined): CodecState["content"] {
  switch (what) {
    case "play": {
      const src = source ?? (c.direction === "sending" ? c.source : undefined);
      return src === undefined ? { active: true, direction: "sending" } : { active: true, direction: "sending", source: src };
    }
    case "farplay":
      return c.active && c.direction === "sending" ? c : { active: true, direction: "receiving" };
    case "stop":
      return c.direction === "receiving" ? c : { active: false };
    case "farstop":
      return c.direction === "sending" ? c : { active: false };
  }
}

export function cloneState(s: CodecState): CodecState {
  return structuredClone(s);
}
