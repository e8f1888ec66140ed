/**
 * What a camera's refusal means, as a coded DeviceError.
 *
 * SOAP 1.2 faults carry Code/Value (env:Sender|env:Receiver), nested Subcode/Value QNames
 * (`ter:InvalidArgVal` then `ter:NoToken`, ...) and a Reason/Text; ONVIF Core lists the ter:
 * subcodes. Some cameras answer SOAP 1.1 style (faultcode/faultstring), and some answer auth
 * failures with an HTML 401 page instead of a fault: all end up here.
 *
 * `details.onvif` says which kind it was, so the driver can map it to health without parsing
 * messages: `auth_failed`, `invalid`, `busy`, `not_supported`, `fault`, `http_error`, `malformed`.
 */
import { DeviceError, type ErrorCode } from "../types.js";
import { child, children, localName, type XmlNode } from "./xml.js";

export type OnvifErrorKind =
  | "auth_failed" | "invalid" | "busy" | "not_supported" | "fault" | "http_error" | "malformed"
  | "timeout" | "connect_failed" | "cancelled";

export interface SoapFault {
  /** `env:Sender`, `env:Receiver`, or a SOAP 1.1 faultcode. */
  code: string;
  /** Subcode QNames, outermost first, as the camera wrote them. */
  subcodes: string[];
  reason: string;
}

const AUTH = new Set(["NotAuthorized", "FailedAuthentication", "InvalidSecurity", "InvalidSecurityToken", "FailedCheck"]);
const INVALID = new Set([
  "InvalidArgVal", "InvalidArgs", "InvalidArgValue", "NoToken", "NoProfile", "NoEntity", "NoSource", "NoConfig",
  "InvalidPosition", "InvalidSpeed", "InvalidTranslation", "InvalidVelocity", "InvalidPresetName", "PresetExist",
  "TimeoutNotSupported", "SpaceNotSupported", "InvalidStreamSetup", "ConfigModify",
]);
const BUSY = new Set(["MovingPTZ"]);
const UNSUPPORTED = new Set(["ActionNotSupported", "PTZNotSupported", "NoPTZProfile", "NotSupported", "HomeNotSupported"]);

/** Reads an env:Fault element (SOAP 1.2 or 1.1). */
export function readFault(fault: XmlNode): SoapFault {
  const code = child(fault, "Code", "Value")?.text ?? child(fault, "faultcode")?.text ?? "";
  const subcodes: string[] = [];
  let sub = child(fault, "Code", "Subcode");
  while (sub) {
    const v = child(sub, "Value")?.text;
    if (v) subcodes.push(v);
    sub = child(sub, "Subcode");
  }
  const texts = children(child(fault, "Reason"), "Text").map((t) => t.text).filter((t) => t !== "");
  const reason = texts[0] ?? child(fault, "faultstring")?.text ?? "";
  return { code, subcodes, reason: clean(reason) };
}

/** The coded error for a SOAP fault of `operation`. */
export function faultError(operation: string, fault: SoapFault, status: number): DeviceError {
  const locals = [localName(fault.code), ...fault.subcodes.map(localName)];
  const [kind, code] = classify(locals, fault.reason);
  const qnames = fault.subcodes.length > 0 ? fault.subcodes.join("/") : fault.code;
  const reason = fault.reason || "no reason given";
  const message =
    kind === "auth_failed"
      ? `camera refused the credentials for ${operation}: ${reason} (${qnames})`
      : `camera refused ${operation}: ${reason} (${qnames})`;
  return new DeviceError(code, message, { onvif: kind, operation, status, fault: { ...fault } });
}

function classify(locals: string[], reason: string): [OnvifErrorKind, ErrorCode] {
  if (locals.some((l) => AUTH.has(l)) || /not\s*authori[sz]ed|unauthori[sz]ed/i.test(reason)) return ["auth_failed", "device_error"];
  if (locals.some((l) => BUSY.has(l))) return ["busy", "busy"];
  if (locals.some((l) => UNSUPPORTED.has(l))) return ["not_supported", "device_error"];
  if (locals.some((l) => INVALID.has(l))) return ["invalid", "invalid_args"];
  return ["fault", "device_error"];
}

/** An HTTP error that carried no SOAP fault (401 HTML pages, 404, 500 pages). */
export function httpError(operation: string, status: number, body: string): DeviceError {
  const page = pageText(body);
  const said = page ? `: ${page}` : "";
  if (status === 401 || status === 403) {
    return new DeviceError("device_error", `camera refused the credentials for ${operation} (HTTP ${status}${said})`, {
      onvif: "auth_failed", operation, status,
    });
  }
  return new DeviceError("device_error", `camera answered ${operation} with HTTP ${status}${said}`, {
    onvif: "http_error", operation, status,
  });
}

export function malformedError(operation: string, status: number, why: string): DeviceError {
  return new DeviceError("device_error", `camera sent an unreadable answer to ${operation}: ${why}`, {
    onvif: "malformed", operation, status,
  });
}

/** A short, single-line, tag-free excerpt of an HTML or text body (the camera's own words). */
export function pageText(body: string): string {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(body)?.[1];
  const h = /<h[1-3][^>]*>([\s\S]*?)<\/h[1-3]>/i.exec(body)?.[1];
  const raw = title ?? h ?? body.replace(/<[^>]*>/g, " ");
  return clean(raw).slice(0, 120);
}

/** Collapses whitespace and drops control characters, so device text is safe to publish and log. */
function clean(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]+/g, " ").replace(/\s+/g, " ").trim();
}

/** The error's ONVIF kind, when it is one of ours. */
export function onvifKind(e: unknown): OnvifErrorKind | undefined {
  if (!(e instanceof DeviceError)) return undefined;
  const k = e.details?.["onvif"];
  return typeof k === "string" ? (k as OnvifErrorKind) : undefined;
}
