/**
 * xStatus values in the codec vocabulary's words (drivers/codec/vocabulary.ts). Pure. Each function
 * takes a status tree as `interpret` collapses it (a full read or one feedback document, which
 * carries only what changed) and says what it learned, leaving out what the tree does not say.
 *
 * Sources (part B): SIP Registration 1 Status (C9) Deregister|Failed|Inactive|Registered|Registering;
 * H323 Gatekeeper Status (C6) Required|Discovering|Discovered|Authenticating|Authenticated|
 * Registering|Registered|Inactive|Rejected; Standby State Standby|Off (Halfwake, EnteringStandby on
 * newer software [A]); Conference Presentation Mode Sending|Receiving|Off; Call N Status Idle|
 * Dialling|Ringing|Connecting|Connected|Disconnecting|OnHold|EarlyMedia|Preserved|RemotePreserved;
 * MediaChannels Call N Channel M: Direction Incoming|Outgoing, Type Audio|Video|Data,
 * Video ChannelRole Main|Presentation, Netstat Jitter, LastIntervalLost, LastIntervalReceived,
 * ChannelRate, Loss (C6).
 */
import type { CallQuality, CallState, MediaStats, Registration } from "../codec/vocabulary.js";
import { dig, list, text, type Tree } from "./replies.js";

export interface StatusOptions {
  /** What `Inactive` means: the protocol is not in use (disabled), or it should be and is not. */
  inactiveIs: "disabled" | "unregistered";
  /** How loss % of an interval is made from LastIntervalLost (L) and LastIntervalReceived (R) [A]. */
  lossFormula: "lost-of-total" | "lost-of-received";
  /** The unit of Netstat ChannelRate [A]. */
  channelRateUnit: "bps" | "kbps";
}

const SIP_STATUS: Record<string, Registration["status"]> = {
  registered: "registered",
  registering: "registering",
  failed: "failed",
  deregister: "unregistered",
};

const H323_STATUS: Record<string, Registration["status"]> = {
  registered: "registered",
  registering: "registering",
  required: "registering",
  discovering: "registering",
  discovered: "registering",
  authenticating: "registering",
  authenticated: "registering",
  rejected: "failed",
};

function registration(table: Record<string, Registration["status"]>, status: string, server: string | undefined, reason: string | undefined, o: StatusOptions): Registration {
  const s = status.toLowerCase();
  const mapped = s === "inactive" ? o.inactiveIs : (table[s] ?? "unknown");
  const out: Registration = { status: mapped, detail: reason ? `${status}: ${reason}` : status };
  if (server) out.server = server;
  return out;
}

/** SIP registration from `Status.SIP`, when the tree says its status. */
export function sipRegistration(status: Tree, o: StatusOptions): Registration | undefined {
  const reg = list(status, "SIP", "Registration").find((r) => r["id"] === undefined || r["id"] === "1") ?? undefined;
  const s = text(reg, "Status");
  if (s === undefined) return undefined;
  return registration(SIP_STATUS, s, text(reg, "URI") ?? text(status, "SIP", "Proxy", 1, "Address"), text(reg, "Reason"), o);
}

/** H.323 registration from `Status.H323.Gatekeeper`, when the tree says its status. */
export function h323Registration(status: Tree, o: StatusOptions): Registration | undefined {
  const gk = dig(status, "H323", "Gatekeeper");
  const s = text(gk, "Status");
  if (s === undefined) return undefined;
  return registration(H323_STATUS, s, text(gk, "Address"), text(gk, "Reason"), o);
}

/** true while asleep: Standby and EnteringStandby; Off and Halfwake count as awake [A]. */
export function standbyFrom(state: string): boolean {
  return /^(standby|enteringstandby)$/i.test(state);
}

export function presentationFrom(status: Tree): { active: boolean; direction?: "sending" | "receiving"; source?: number } | undefined {
  const mode = text(status, "Conference", "Presentation", "Mode");
  if (mode === undefined) return undefined;
  const m = mode.toLowerCase();
  if (m === "off") return { active: false };
  const direction = m.includes("receiv") ? "receiving" : "sending";
  const out: { active: boolean; direction?: "sending" | "receiving"; source?: number } = { active: true, direction };
  const src = Number(text(list(status, "Conference", "Presentation", "LocalInstance")[0], "Source"));
  if (direction === "sending" && Number.isInteger(src) && src > 0) out.source = src;
  return out;
}

/** The vocabulary's call state, `idle` for an entry that is no call, undefined when unknown. */
export function callStateFrom(status: string): CallState | "idle" | undefined {
  switch (status.toLowerCase()) {
    case "idle":
      return "idle";
    case "dialling":
    case "dialing":
      return "dialling";
    case "ringing":
      return "ringing";
    case "connecting":
    case "earlymedia":
      return "connecting";
    case "connected":
    case "preserved": // media kept through a fail-over: still a call [A]
    case "remotepreserved":
      return "connected";
    case "disconnecting":
      return "disconnecting";
    case "onhold":
      return "held";
    default:
      return undefined;
  }
}

export function protocolFrom(p: string | undefined): "sip" | "h323" | "unknown" {
  const s = (p ?? "").toLowerCase();
  return s === "sip" || s === "spark" || s === "webex" ? "sip" : s === "h323" ? "h323" : "unknown";
}

const num = (v: string | undefined): number | null => {
  if (v === undefined || v.trim() === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

/** Loss % of the last interval, 2 decimals; null when the codec says nothing or nothing was expected. */
export function lossPct(lost: number | null, received: number | null, formula: StatusOptions["lossFormula"]): number | null {
  if (lost === null || received === null || lost < 0 || received < 0) return null;
  const base = formula === "lost-of-total" ? lost + received : received;
  if (base === 0) return lost === 0 ? 0 : null;
  return Math.round((lost / base) * 10_000) / 100;
}

const NO_STATS: MediaStats = { lossPct: null, jitterMs: null, rateKbps: null };

/** A call's quality from `Status.MediaChannels.Call[id].Channel[]`; undefined when there are no channels. */
export function qualityFrom(status: Tree, callId: string, at: number, o: StatusOptions): CallQuality | undefined {
  const call = list(status, "MediaChannels", "Call").find((c) => c["id"] === callId);
  const channels = list(call, "Channel");
  if (channels.length === 0) return undefined;
  const q: CallQuality = { audio: { rx: { ...NO_STATS }, tx: { ...NO_STATS } }, video: { rx: { ...NO_STATS }, tx: { ...NO_STATS } }, at };
  for (const ch of channels) {
    const type = (text(ch, "Type") ?? "").toLowerCase();
    const dir = (text(ch, "Direction") ?? "").toLowerCase() === "outgoing" ? "tx" : "rx";
    const role = (text(ch, "Video", "ChannelRole") ?? "main").toLowerCase();
    const media = type === "audio" ? "audio" : type === "video" ? (role === "presentation" ? "content" : "video") : undefined;
    if (!media) continue; // Data channels (FECC, BFCP) carry no media figures of interest
    const ns = dig(ch, "Netstat");
    const rate = num(text(ns, "ChannelRate"));
    const stats: MediaStats = {
      lossPct: lossPct(num(text(ns, "LastIntervalLost")), num(text(ns, "LastIntervalReceived")), o.lossFormula),
      jitterMs: num(text(ns, "Jitter")),
      rateKbps: rate === null ? null : o.channelRateUnit === "bps" ? Math.round(rate / 1000) : rate,
    };
    if (media === "content") q.content ??= { rx: { ...NO_STATS }, tx: { ...NO_STATS } };
    q[media]![dir] = stats;
  }
  return q;
}
