/**
 * ONVIF request bodies and response readers: pure, no I/O (STYLE.md rule 1).
 *
 * Element names and namespaces are those of the ONVIF WSDLs: devicemgmt (tds, ver10/device),
 * media (trt, ver10/media), ptz (tptz, ver20/ptz) and the common schema (tt, ver10/schema).
 * Readers match local names, so any prefix spelling works, and throw a `malformed` DeviceError
 * for an answer that lacks what the operation must return.
 */
import { malformedError } from "./faults.js";
import { child, children, escapeXml, textAt, type XmlNode } from "./xml.js";

export const NS = {
  tds: "http://www.onvif.org/ver10/device/wsdl",
  trt: "http://www.onvif.org/ver10/media/wsdl",
  tptz: "http://www.onvif.org/ver20/ptz/wsdl",
  tt: "http://www.onvif.org/ver10/schema",
} as const;

/** One operation: where it goes and what it says. */
export interface OnvifRequest {
  service: "device" | "media" | "ptz";
  namespace: string;
  operation: string;
  body: string;
}

export interface DeviceInformation {
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
  hardwareId: string;
}

/** Service addresses from GetCapabilities (XAddr), absent when the camera has no such service. */
export interface ServiceAddresses {
  media?: string;
  ptz?: string;
}

export interface Profile {
  token: string;
  name: string;
  /** The profile carries a PTZConfiguration (PTZ works through it). */
  ptz: boolean;
}

/** Normalized ONVIF generic space: pan/tilt -1..1, zoom 0..1. */
export interface PtzVector {
  pan?: number;
  tilt?: number;
  zoom?: number;
}

export interface Preset {
  token: string;
  name: string;
  position: PtzVector | null;
}

export type MoveStatus = "idle" | "moving" | "unknown";

export interface PtzStatus {
  pan: number | null;
  tilt: number | null;
  zoom: number | null;
  /** `moving` when pan/tilt or zoom is moving; `unknown` when the camera does not say. */
  moveStatus: MoveStatus;
  error: string | null;
}

export interface CameraTime {
  /** The camera's clock as ms since the epoch (second resolution). */
  ms: number;
  /** `utc` from UTCDateTime; `local` when only LocalDateTime was given (then taken as UTC). */
  source: "utc" | "local";
}

const op = (service: OnvifRequest["service"], ns: keyof typeof NS, operation: string, inner = ""): OnvifRequest => ({
  service,
  namespace: NS[ns],
  operation,
  body: `<${operation} xmlns="${NS[ns]}" xmlns:tt="${NS.tt}">${inner}</${operation}>`,
});
const el = (name: string, value: string): string => `<${name}>${escapeXml(value)}</${name}>`;
const profile = (token: string): string => el("ProfileToken", token);

/** A number as xs:float text without exponent notation. */
export function num(v: number): string {
  return String(Number(v.toFixed(6)));
}

/** xs:duration for a timeout, e.g. 1500 -> `PT1.5S`. */
export function duration(ms: number): string {
  return `PT${num(ms / 1000)}S`;
}

function vector(tag: "Velocity" | "Position" | "Speed", v: PtzVector): string {
  const pt = v.pan !== undefined || v.tilt !== undefined ? `<tt:PanTilt x="${num(v.pan ?? 0)}" y="${num(v.tilt ?? 0)}"/>` : "";
  const z = v.zoom !== undefined ? `<tt:Zoom x="${num(v.zoom)}"/>` : "";
  return `<${tag}>${pt}${z}</${tag}>`;
}

export const requests = {
  systemDateAndTime: () => op("device", "tds", "GetSystemDateAndTime"),
  deviceInformation: () => op("device", "tds", "GetDeviceInformation"),
  capabilities: () => op("device", "tds", "GetCapabilities", el("Category", "All")),
  profiles: () => op("media", "trt", "GetProfiles"),
  streamUri: (token: string) =>
    op("media", "trt", "GetStreamUri",
      `<StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></StreamSetup>${profile(token)}`),
  snapshotUri: (token: string) => op("media", "trt", "GetSnapshotUri", profile(token)),
  presets: (token: string) => op("ptz", "tptz", "GetPresets", profile(token)),
  gotoPreset: (token: string, preset: string, speed?: PtzVector) =>
    op("ptz", "tptz", "GotoPreset", profile(token) + el("PresetToken", preset) + (speed ? vector("Speed", speed) : "")),
  setPreset: (token: string, name?: string, preset?: string) =>
    op("ptz", "tptz", "SetPreset",
      profile(token) + (name !== undefined ? el("PresetName", name) : "") + (preset !== undefined ? el("PresetToken", preset) : "")),
  removePreset: (token: string, preset: string) => op("ptz", "tptz", "RemovePreset", profile(token) + el("PresetToken", preset)),
  continuousMove: (token: string, velocity: PtzVector, timeoutMs?: number) =>
    op("ptz", "tptz", "ContinuousMove",
      profile(token) + vector("Velocity", velocity) + (timeoutMs !== undefined ? el("Timeout", duration(timeoutMs)) : "")),
  absoluteMove: (token: string, position: PtzVector, speed?: PtzVector) =>
    op("ptz", "tptz", "AbsoluteMove", profile(token) + vector("Position", position) + (speed ? vector("Speed", speed) : "")),
  stop: (token: string, panTilt: boolean, zoom: boolean) =>
    op("ptz", "tptz", "Stop", profile(token) + el("PanTilt", String(panTilt)) + el("Zoom", String(zoom))),
  home: (token: string) => op("ptz", "tptz", "GotoHomePosition", profile(token)),
  status: (token: string) => op("ptz", "tptz", "GetStatus", profile(token)),
};

// ---- readers ----

function need(node: XmlNode | undefined, operation: string, what: string): XmlNode {
  if (!node) throw malformedError(operation, 200, `no ${what} in the answer`);
  return node;
}

function int(node: XmlNode | undefined, operation: string, what: string): number {
  const v = Number(need(node, operation, what).text);
  if (!Number.isInteger(v)) throw malformedError(operation, 200, `${what} is not an integer`);
  return v;
}

function float(s: string | undefined): number | null {
  if (s === undefined || s.trim() === "") return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

export function readSystemDateAndTime(body: XmlNode): CameraTime {
  const o = "GetSystemDateAndTime";
  const sdt = need(child(body, "SystemDateAndTime"), o, "SystemDateAndTime");
  const utc = child(sdt, "UTCDateTime");
  const dt = need(utc ?? child(sdt, "LocalDateTime"), o, "UTCDateTime");
  const d = need(child(dt, "Date"), o, "Date");
  const t = need(child(dt, "Time"), o, "Time");
  const ms = Date.UTC(
    int(child(d, "Year"), o, "Year"), int(child(d, "Month"), o, "Month") - 1, int(child(d, "Day"), o, "Day"),
    int(child(t, "Hour"), o, "Hour"), int(child(t, "Minute"), o, "Minute"), int(child(t, "Second"), o, "Second"),
  );
  if (!Number.isFinite(ms)) throw malformedError(o, 200, "date out of range");
  return { ms, source: utc ? "utc" : "local" };
}

export function readDeviceInformation(body: XmlNode): DeviceInformation {
  const t = (n: string) => textAt(body, n) ?? "";
  return {
    manufacturer: t("Manufacturer"), model: t("Model"), firmware: t("FirmwareVersion"),
    serial: t("SerialNumber"), hardwareId: t("HardwareId"),
  };
}

export function readCapabilities(body: XmlNode): ServiceAddresses {
  const caps = need(child(body, "Capabilities"), "GetCapabilities", "Capabilities");
  const out: ServiceAddresses = {};
  const media = textAt(caps, "Media", "XAddr");
  const ptz = textAt(caps, "PTZ", "XAddr");
  if (media) out.media = media;
  if (ptz) out.ptz = ptz;
  return out;
}

export function readProfiles(body: XmlNode): Profile[] {
  return children(body, "Profiles")
    .filter((p) => p.attrs["token"])
    .map((p) => ({ token: p.attrs["token"]!, name: textAt(p, "Name") ?? "", ptz: child(p, "PTZConfiguration") !== undefined }));
}

export function readMediaUri(body: XmlNode, operation: string): string {
  const uri = textAt(body, "MediaUri", "Uri");
  if (!uri) throw malformedError(operation, 200, "no MediaUri/Uri in the answer");
  return uri;
}

function readVector(node: XmlNode | undefined): PtzVector | null {
  if (!node) return null;
  const pt = child(node, "PanTilt");
  const z = child(node, "Zoom");
  const v: PtzVector = {};
  const pan = float(pt?.attrs["x"]);
  const tilt = float(pt?.attrs["y"]);
  const zoom = float(z?.attrs["x"]);
  if (pan !== null) v.pan = pan;
  if (tilt !== null) v.tilt = tilt;
  if (zoom !== null) v.zoom = zoom;
  return Object.keys(v).length > 0 ? v : null;
}

export function readPresets(body: XmlNode): Preset[] {
  return children(body, "Preset")
    .filter((p) => p.attrs["token"])
    .map((p) => ({ token: p.attrs["token"]!, name: textAt(p, "Name") ?? "", position: readVector(child(p, "PTZPosition")) }));
}

export function readSetPreset(body: XmlNode): string {
  const token = textAt(body, "PresetToken");
  if (!token) throw malformedError("SetPreset", 200, "no PresetToken in the answer");
  return token;
}

export function readStatus(body: XmlNode): PtzStatus {
  const st = need(child(body, "PTZStatus"), "GetStatus", "PTZStatus");
  const pos = readVector(child(st, "Position"));
  const ms = child(st, "MoveStatus");
  const parts = [textAt(ms, "PanTilt"), textAt(ms, "Zoom")].filter((s): s is string => !!s).map((s) => s.toUpperCase());
  const moveStatus: MoveStatus = parts.includes("MOVING") ? "moving" : parts.includes("IDLE") ? "idle" : "unknown";
  const error = textAt(st, "Error");
  return {
    pan: pos?.pan ?? null, tilt: pos?.tilt ?? null, zoom: pos?.zoom ?? null, moveStatus,
    error: error ? error : null,
  };
}

const SECRET_PARAM = /^(pass(word)?|pwd|passwd|user(name)?|usr|login|auth|token|key|sig(nature)?)$/i;

/**
 * A media URI without credentials: userinfo removed and query parameters that carry user names,
 * passwords or tokens dropped (some cameras embed them). Anything unparseable becomes null.
 */
export function sanitizeUri(uri: string): string | null {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return null; // not a URI we could publish safely; the caller reports it as absent
  }
  u.username = "";
  u.password = "";
  for (const k of [...u.searchParams.keys()]) if (SECRET_PARAM.test(k)) u.searchParams.delete(k);
  return u.toString();
}
