/**
 * WS-Discovery messages (pure): our Probe, and reading ProbeMatches.
 *
 * WS-Discovery 2005/04 over SOAP 1.2 with WS-Addressing 2004/08, as ONVIF Core requires: a Probe
 * for `dn:NetworkVideoTransmitter` (dn = http://www.onvif.org/ver10/network/wsdl) goes to
 * 239.255.255.250:3702; each device answers unicast with ProbeMatches whose RelatesTo is our
 * MessageID, carrying EndpointReference/Address, Types, Scopes, XAddrs and MetadataVersion.
 */
import { randomUUID } from "node:crypto";
import { child, children, parseXml, textAt, XmlError } from "./xml.js";

export const WSD_MULTICAST_ADDRESS = "239.255.255.250";
export const WSD_PORT = 3702;
const NS_SOAP = "http://www.w3.org/2003/05/soap-envelope";
const NS_WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
const NS_WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
const NS_DN = "http://www.onvif.org/ver10/network/wsdl";
const TO_DISCOVERY = "urn:schemas-xmlsoap-org:ws:2005:04:discovery";
const ACTION_PROBE = `${NS_WSD}/Probe`;

/** A fresh `urn:uuid:` message id. */
export function newMessageId(): string {
  return `urn:uuid:${randomUUID()}`;
}

/** The Probe datagram. */
export function buildProbe(messageId: string): Buffer {
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>` +
      `<s:Envelope xmlns:s="${NS_SOAP}" xmlns:a="${NS_WSA}" xmlns:d="${NS_WSD}" xmlns:dn="${NS_DN}">` +
      `<s:Header>` +
      `<a:Action s:mustUnderstand="1">${ACTION_PROBE}</a:Action>` +
      `<a:MessageID>${messageId}</a:MessageID>` +
      `<a:ReplyTo><a:Address>${NS_WSA}/role/anonymous</a:Address></a:ReplyTo>` +
      `<a:To s:mustUnderstand="1">${TO_DISCOVERY}</a:To>` +
      `</s:Header>` +
      `<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body>` +
      `</s:Envelope>`,
    "utf8",
  );
}

export interface ProbeMatch {
  /** EndpointReference/Address: the device's stable id (usually `urn:uuid:...`). */
  endpoint: string;
  types: string[];
  scopes: string[];
  xaddrs: string[];
  metadataVersion: number | null;
}

export type ProbeReply =
  | { kind: "matches"; relatesTo: string | null; matches: ProbeMatch[] }
  /** Well-formed SOAP that is not a ProbeMatches (a Probe or Hello from someone else). */
  | { kind: "other"; action: string | null }
  | { kind: "malformed"; reason: string };

const words = (s: string | undefined): string[] => (s ?? "").split(/\s+/).filter((w) => w !== "");

/** Reads one datagram. Never throws. */
export function parseProbeReply(data: Buffer): ProbeReply {
  let root;
  try {
    root = parseXml(data.toString("utf8"));
  } catch (e) {
    if (e instanceof XmlError) return { kind: "malformed", reason: e.message };
    return { kind: "malformed", reason: String(e) };
  }
  if (root.name !== "Envelope") return { kind: "malformed", reason: `root is <${root.name}>, not a SOAP Envelope` };
  const body = child(root, "Body");
  if (!body) return { kind: "malformed", reason: "no SOAP Body" };
  const pm = child(body, "ProbeMatches");
  if (!pm) return { kind: "other", action: textAt(root, "Header", "Action") ?? null };
  const matches: ProbeMatch[] = [];
  for (const m of children(pm, "ProbeMatch")) {
    const endpoint = textAt(m, "EndpointReference", "Address");
    const xaddrs = words(textAt(m, "XAddrs"));
    if (!endpoint || xaddrs.length === 0) {
      return { kind: "malformed", reason: "a ProbeMatch without EndpointReference/Address or XAddrs" };
    }
    const mv = Number(textAt(m, "MetadataVersion"));
    matches.push({
      endpoint, xaddrs, types: words(textAt(m, "Types")), scopes: words(textAt(m, "Scopes")),
      metadataVersion: Number.isFinite(mv) && textAt(m, "MetadataVersion") !== undefined ? mv : null,
    });
  }
  if (matches.length === 0) return { kind: "malformed", reason: "ProbeMatches with no ProbeMatch" };
  return { kind: "matches", relatesTo: textAt(root, "Header", "RelatesTo") ?? null, matches };
}

/** What the ONVIF scopes say: `onvif://www.onvif.org/<key>/<value>`. Values are URL-decoded. */
export function readScopes(scopes: readonly string[]): { name?: string; hardware?: string; location?: string; ptz: boolean } {
  const out: { name?: string; hardware?: string; location?: string; ptz: boolean } = { ptz: false };
  for (const s of scopes) {
    const m = /^onvif:\/\/www\.onvif\.org\/([^/]+)\/(.*)$/i.exec(s);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = decodeScope(m[2]!);
    if (key === "type" && value.toLowerCase() === "ptz") out.ptz = true;
    if (key === "name" && out.name === undefined) out.name = value;
    if (key === "hardware" && out.hardware === undefined) out.hardware = value;
    if (key === "location" && out.location === undefined) out.location = value;
  }
  return out;
}

/** A stray `%` is not worth losing the scope over: keep the raw text then. */
function decodeScope(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
