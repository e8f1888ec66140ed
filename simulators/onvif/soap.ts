/**
 * SOAP 1.2 envelopes and ONVIF faults as the simulator writes them.
 *
 * Fault codes and reasons follow the ONVIF Core specification (section "SOAP errors", table
 * "Generic faults") and the PTZ / Media service specifications' per-operation fault lists.
 * HTTP status: env:Sender faults go out as 400 and every other fault as 500, per the SOAP 1.2
 * HTTP binding (SOAP 1.2 Part 2, 7.5.2.2); a WS-Security failure on a camera that only supports
 * UsernameToken is "HTTP 400 + env:Sender ter:NotAuthorized" (ONVIF Core, "Authentication over
 * HTTP and HTTPS").
 */
import { esc } from "./xml.js";

export const NS = {
  env: "http://www.w3.org/2003/05/soap-envelope",
  soap11: "http://schemas.xmlsoap.org/soap/envelope/",
  tds: "http://www.onvif.org/ver10/device/wsdl",
  trt: "http://www.onvif.org/ver10/media/wsdl",
  tptz: "http://www.onvif.org/ver20/ptz/wsdl",
  tt: "http://www.onvif.org/ver10/schema",
  ter: "http://www.onvif.org/ver10/error",
  dn: "http://www.onvif.org/ver10/network/wsdl",
  wsse: "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
  wsu: "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
  /** WS-Addressing 2004/08, the version WS-Discovery 2005/04 uses. */
  wsa: "http://schemas.xmlsoap.org/ws/2004/08/addressing",
  wsd: "http://schemas.xmlsoap.org/ws/2005/04/discovery",
} as const;

const DECLS =
  `xmlns:env="${NS.env}" xmlns:ter="${NS.ter}" xmlns:tt="${NS.tt}" ` +
  `xmlns:tds="${NS.tds}" xmlns:trt="${NS.trt}" xmlns:tptz="${NS.tptz}"`;

/** A whole SOAP 1.2 message around `body` (already XML). */
export function envelope(body: string, header = ""): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope ${DECLS}>` +
    (header ? `<env:Header>${header}</env:Header>` : "") +
    `<env:Body>${body}</env:Body></env:Envelope>`;
}

export type FaultCode = "Sender" | "Receiver" | "VersionMismatch" | "MustUnderstand";

export interface SoapFault {
  code: FaultCode;
  /** Subcode chain, outermost first, e.g. `["ter:InvalidArgVal", "ter:NoProfile"]`. */
  subcodes: string[];
  /** The normative reason text (or a specific one). */
  reason: string;
}

/** Thrown by operation handlers; the server turns it into a fault reply. */
export class FaultError extends Error {
  constructor(readonly fault: SoapFault) {
    super(`${fault.code}/${fault.subcodes.join("/")}: ${fault.reason}`);
    this.name = "FaultError";
  }
}

export function fault(code: FaultCode, subcodes: string[], reason: string): FaultError {
  return new FaultError({ code, subcodes, reason });
}

/** HTTP status a fault is sent with (SOAP 1.2 HTTP binding). */
export function faultStatus(f: SoapFault): number {
  return f.code === "Sender" ? 400 : 500;
}

export function faultEnvelope(f: SoapFault): string {
  let sub = "";
  for (const s of [...f.subcodes].reverse()) sub = `<env:Subcode><env:Value>${esc(s)}</env:Value>${sub}</env:Subcode>`;
  return envelope(
    `<env:Fault><env:Code><env:Value>env:${f.code}</env:Value>${sub}</env:Code>` +
      `<env:Reason><env:Text xml:lang="en">${esc(f.reason)}</env:Text></env:Reason></env:Fault>`,
  );
}

/** The faults the simulator sends, named as in the specifications. */
export const Faults = {
  notAuthorized: (detail?: string) =>
    fault("Sender", ["ter:NotAuthorized"], detail ? `Sender not Authorized: ${detail}` : "Sender not Authorized"),
  wellFormed: (detail: string) => fault("Sender", ["ter:WellFormed"], `Well-formed Error: ${detail}`),
  versionMismatch: () => fault("VersionMismatch", [], "SOAP version mismatch"),
  invalidArgs: (detail: string) => fault("Sender", ["ter:InvalidArgs"], `Invalid Args: ${detail}`),
  actionNotSupported: (what: string) => fault("Receiver", ["ter:ActionNotSupported"], `Optional Action Not Implemented: ${what}`),
  ptzNotSupported: () => fault("Receiver", ["ter:ActionNotSupported", "ter:PTZNotSupported"], "PTZ is not supported by this device"),
  noSuchService: () => fault("Receiver", ["ter:ActionNotSupported", "ter:NoSuchService"], "The requested WSDL service category is not supported by the device"),
  noProfile: (token: string) => fault("Sender", ["ter:InvalidArgVal", "ter:NoProfile"], `The requested profile token ${token} does not exist`),
  noToken: (token: string) => fault("Sender", ["ter:InvalidArgVal", "ter:NoToken"], `The requested preset token ${token} does not exist`),
  invalidArgVal: (sub: string, reason: string) => fault("Sender", ["ter:InvalidArgVal", `ter:${sub}`], reason),
  action: (sub: string, reason: string) => fault("Receiver", ["ter:Action", `ter:${sub}`], reason),
  internal: () => fault("Receiver", ["ter:Action"], "Action Failed"),
} as const;

/**
 * PTZ faults the `ptzfault CODE` control can force on motion and preset commands, with the
 * code chain and reason the PTZ specification gives them.
 */
export const PTZ_FAULTS: Readonly<Record<string, SoapFault>> = {
  MovingPTZ: { code: "Receiver", subcodes: ["ter:Action", "ter:MovingPTZ"], reason: "Preset cannot be set while PTZ unit is moving." },
  TooManyPresets: { code: "Receiver", subcodes: ["ter:Action", "ter:TooManyPresets"], reason: "Maximum number of Presets reached." },
  NoStatus: { code: "Receiver", subcodes: ["ter:Action", "ter:NoStatus"], reason: "No PTZ status is available in the requested Media Profile." },
  CannotOverwriteHome: { code: "Receiver", subcodes: ["ter:Action", "ter:CannotOverwriteHome"], reason: "The home position is fixed and cannot be overwritten." },
  NoHomePosition: { code: "Sender", subcodes: ["ter:InvalidArgVal", "ter:NoHomePosition"], reason: "No home position has been defined for this Profile." },
  InvalidPosition: { code: "Sender", subcodes: ["ter:InvalidArgVal", "ter:InvalidPosition"], reason: "The requested position is out of bounds." },
  InvalidSpeed: { code: "Sender", subcodes: ["ter:InvalidArgVal", "ter:InvalidSpeed"], reason: "The requested speed is out of bounds." },
  NoToken: { code: "Sender", subcodes: ["ter:InvalidArgVal", "ter:NoToken"], reason: "The requested preset token does not exist." },
  NoProfile: { code: "Sender", subcodes: ["ter:InvalidArgVal", "ter:NoProfile"], reason: "The requested profile token ProfileToken does not exist." },
  ActionFailed: { code: "Receiver", subcodes: ["ter:Action"], reason: "Action Failed" },
};
