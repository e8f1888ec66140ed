/**
 * What every ONVIF operation handler gets, and the table that maps a request's body element
 * (namespace + local name) to its handler. A handler returns the response element as XML, or
 * throws a FaultError.
 */
import type { OnvifCamera } from "./camera.js";
import { Faults } from "./soap.js";
import { child, type XmlElement } from "./xml.js";

export interface DeviceIdentity {
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
  hardwareId: string;
  /** Scope `name` and hostname. */
  name: string;
  /** Scope `location`. */
  location: string;
}

export interface OpContext {
  readonly camera: OnvifCamera;
  readonly ptz: boolean;
  readonly identity: DeviceIdentity;
  /** ONVIF scope URIs of this device. */
  readonly scopes: readonly string[];
  /** The camera's clock (skew included). */
  cameraNow(): number;
  /** `http://host:port` as the client addressed us (Core: XAddrs match the request's IP). */
  readonly baseUrl: string;
}

export type ServiceName = "device" | "media" | "ptz";

export interface Operation {
  service: ServiceName;
  /** Answers without authentication (ONVIF access class PRE_AUTH). */
  preAuth: boolean;
  run(req: XmlElement, ctx: OpContext): string;
}

export const SERVICE_PATHS: Readonly<Record<ServiceName, string>> = {
  device: "/onvif/device_service",
  media: "/onvif/media_service",
  ptz: "/onvif/ptz_service",
};

/** Text of a required child element; missing is ter:InvalidArgs. */
export function required(req: XmlElement, local: string): string {
  const c = child(req, local);
  if (c === undefined) throw Faults.invalidArgs(`${req.local} needs ${local}`);
  return c.text.trim();
}

const FLOAT = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** A float attribute; present but not a number is ter:InvalidArgs. */
export function floatAttr(el: XmlElement | undefined, name: string): number | undefined {
  const v = el?.attrs.get(name);
  if (v === undefined) return undefined;
  if (!FLOAT.test(v.trim())) throw Faults.invalidArgs(`${el!.local}@${name} "${v}" is not a number`);
  return Number(v);
}

export function bool(text: string | undefined, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  const t = text.trim();
  if (t === "true" || t === "1") return true;
  if (t === "false" || t === "0") return false;
  throw Faults.invalidArgs(`"${text}" is not a boolean`);
}

/** `<tt:UTCDateTime>`-style date and time parts of a UTC instant. */
export function dateTimeXml(tag: string, ms: number): string {
  const d = new Date(ms);
  return `<tt:${tag}><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute>` +
    `<tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year>` +
    `<tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:${tag}>`;
}

/** xs:dateTime in UTC without milliseconds, as cameras print it. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * xs:duration (`PT5S`, `PT0.5S`, `PT1M30S`, `P0DT0H0M2S`) in ms; undefined when it is not one.
 * Years and months are refused: a PTZ timeout never needs them and their length is ambiguous.
 */
export function parseDuration(text: string): number | undefined {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim());
  if (!m || text.trim() === "P" || text.trim().endsWith("T")) return undefined;
  const [, d, h, min, s] = m;
  return (((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60 + Number(s ?? 0)) * 1000;
}
