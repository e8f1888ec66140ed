/**
 * The common vocabulary of kind `codec` (docs/devices.md, "Codecs"): the actions every conference
 * codec driver offers with the same name and args, and the state it reports in the same shape,
 * whatever it speaks underneath (Poly's API, Cisco's xAPI). An operator's `call.dial` and a monitor's
 * `state.calls[0].quality.video.rx.lossPct` mean the same on every codec. Pure: no I/O.
 *
 * Rules a driver keeps:
 * - A call ends as a coded result, never a hang: `call.dial` settles `ok` once connected, or with
 *   `call_rejected` (refused: busy, declined, not found), `no_answer` (nobody picked up by the
 *   driver's deadline), `call_dropped` (it connected and ended before the answer), `not_registered`,
 *   or `timeout`.
 * - Registration carries the device's own words in `detail` (`Registered`, `gatekeeper online`),
 *   beside the closed `status`.
 * - Media quality is per call and per direction, each figure null when the device does not say.
 * - `call.ended` events say `local: true` only for a hang-up at this endpoint (our `call.hangup`, or
 *   someone at the codec); the agent's codec module raises `{codec}-call-dropped` for the others.
 */
import { z } from "zod";

/** What a dial string may hold: SIP URIs, E.164 and extensions, IP addresses, H.323 aliases. No quotes,
 * spaces or line breaks, so a number can never smuggle a second command into a text protocol. */
export const DIAL_STRING = /^[A-Za-z0-9@._:+#*=;\-/]{1,200}$/;

export const CALL_PROTOCOLS = ["sip", "h323", "auto"] as const;

export const codecActionArgs = {
  "call.dial": z.strictObject({
    number: z.string().regex(DIAL_STRING, "expected a dial string: letters, digits and @ . _ : + # * = ; - / only (no spaces or quotes)").describe("What to dial: a SIP URI, an E.164 number, an IP address or an H.323 alias, e.g. 8001@mcu.province.gov."),
    protocol: z.enum(CALL_PROTOCOLS).default("auto").describe("sip, h323, or auto (the codec's default)."),
    rateKbps: z.number().int().min(64).max(6144).optional().describe("Call rate; absent: the codec's default."),
  }),
  "call.hangup": z.strictObject({
    callId: z.string().regex(/^[A-Za-z0-9-]{1,32}$/).optional().describe("The call to end (state.calls[].id); absent: every call."),
  }),
  "call.answer": z.strictObject({
    callId: z.string().regex(/^[A-Za-z0-9-]{1,32}$/).optional().describe("The incoming call to answer; absent: the ringing one."),
  }),
  "mic.mute": z.strictObject({ on: z.boolean().describe("true: the room's microphones muted (far end hears nothing).") }),
  "volume.set": z.strictObject({ percent: z.number().int().min(0).max(100).describe("Loudspeaker volume, 0..100 %.") }),
  "camera.select": z.strictObject({ source: z.number().int().min(1).max(8).describe("The camera (video input) to send as main video, 1..8.") }),
  "camera.preset": z.strictObject({ preset: z.number().int().min(0).max(99).describe("Recall this camera preset of the codec's main camera.") }),
  "content.start": z.strictObject({ source: z.number().int().min(1).max(8).optional().describe("The content input to share; absent: the codec's default.") }),
  "content.stop": z.strictObject({}),
  "standby.set": z.strictObject({ on: z.boolean().describe("true: standby (sleep); false: wake.") }),
} as const;

export type CodecAction = keyof typeof codecActionArgs;
export const CODEC_ACTIONS = Object.keys(codecActionArgs) as CodecAction[];

export const REGISTRATION_STATUSES = ["registered", "registering", "unregistered", "failed", "disabled", "unknown"] as const;
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number];

export interface Registration {
  status: RegistrationStatus;
  /** The registrar or gatekeeper, when the device says. */
  server?: string;
  /** The device's own words, e.g. `Registered`, `gatekeeper online`, `Failed: 403 Forbidden`. */
  detail: string;
}

export const CALL_STATES = ["dialling", "ringing", "connecting", "connected", "disconnecting", "held"] as const;
export type CallState = (typeof CALL_STATES)[number];

export interface MediaStats {
  /** Packets lost in the last interval, %. */
  lossPct: number | null;
  jitterMs: number | null;
  rateKbps: number | null;
}

export interface MediaPair {
  rx: MediaStats;
  tx: MediaStats;
}

export interface CallQuality {
  audio: MediaPair;
  video: MediaPair;
  /** Absent when no content channel is open. */
  content?: MediaPair;
  /** When the figures were read (ms epoch). */
  at: number;
}

export interface CodecCall {
  /** The codec's own call id, as text. */
  id: string;
  direction: "incoming" | "outgoing";
  /** The far end's number or URI. */
  remote: string;
  remoteName?: string;
  state: CallState;
  protocol: "sip" | "h323" | "unknown";
  rateKbps: number | null;
  /** When the call entered its current state (ms epoch). */
  since: number;
  quality?: CallQuality;
}

export interface CodecState {
  model: string;
  software: string;
  registration: { sip: Registration; h323: Registration };
  /** True when every enabled registration (not `disabled`) is `registered`, and at least one is. */
  registered: boolean;
  calls: CodecCall[];
  mic: { muted: boolean };
  /** Loudspeaker volume, %. */
  volume: number;
  standby: boolean;
  content: { active: boolean; direction?: "sending" | "receiving"; source?: number };
  camera: { source?: number };
}

export const CODEC_STATE_FIELDS = ["model", "software", "registration", "registered", "calls", "mic", "volume", "standby", "content", "camera"] as const;

/** `registered` as defined above. */
/** The state before anything was read: registrations `unknown` with `detail` as the reason. */
export function initialCodecState(detail: string): CodecState {
  return {
    model: "",
    software: "",
    registration: { sip: { status: "unknown", detail }, h323: { status: "unknown", detail } },
    registered: false,
    calls: [],
    mic: { muted: false },
    volume: 0,
    standby: false,
    content: { active: false },
    camera: {},
  };
}

export function isRegistered(r: CodecState["registration"]): boolean {
  const enabled = [r.sip, r.h323].filter((x) => x.status !== "disabled");
  return enabled.length > 0 && enabled.every((x) => x.status === "registered");
}

/** The `call.ended` event a codec driver emits (DriverEvent type `call.ended`, this as its data). */
export interface CallEnded {
  callId: string;
  remote: string;
  direction: "incoming" | "outgoing";
  /** True only for a hang-up at this endpoint. */
  local: boolean;
  /** The device's cause, in its words (`RemoteDisconnect`, `busy`, `16`), and a closed summary. */
  cause: string;
  reason: "local" | "remote" | "network" | "rejected" | "no_answer" | "unknown";
  /** How long it was connected (0: never). */
  connectedMs: number;
}

/** Loss and jitter thresholds of call quality (docs/devices.md cites the sources). */
export interface QualityThresholds {
  lossPct: number;
  jitterMs: number;
}

/** Defaults: 1 % loss and 30 ms jitter, the interactive-video limits of Cisco's QoS baseline. */
export const DEFAULT_QUALITY: QualityThresholds = { lossPct: 1, jitterMs: 30 };

/** The worst figure of a call's quality against thresholds: undefined when within them (or unknown). */
export function qualityBreach(q: CallQuality | undefined, t: QualityThresholds): { media: string; lossPct: number | null; jitterMs: number | null } | undefined {
  if (!q) return undefined;
  for (const [media, pair] of Object.entries({ audio: q.audio, video: q.video, ...(q.content ? { content: q.content } : {}) })) {
    for (const dir of ["rx", "tx"] as const) {
      const s = pair[dir];
      if ((s.lossPct !== null && s.lossPct > t.lossPct) || (s.jitterMs !== null && s.jitterMs > t.jitterMs)) {
        return { media: `${media}.${dir}`, lossPct: s.lossPct, jitterMs: s.jitterMs };
      }
    }
  }
  return undefined;
}
