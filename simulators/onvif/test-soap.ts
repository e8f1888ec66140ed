/**
 * Test helpers: build SOAP requests the way ONVIF clients do, with an optional WS-Security
 * UsernameToken digest, and POST them with node:http (no keep-alive, so unplug tests see the
 * connection state they expect). Used by this folder's tests; not part of the simulator.
 */
import http from "node:http";
import { randomBytes } from "node:crypto";
import { passwordDigest } from "./wsse.js";
import { NS } from "./soap.js";

export interface Credentials {
  username: string;
  password: string;
  /** Created (ISO, Z); default: now by the real clock. */
  created?: string;
  nonce?: Buffer;
}

export function securityHeader(c: Credentials): string {
  const nonce = c.nonce ?? randomBytes(16);
  const created = c.created ?? new Date().toISOString();
  return `<wsse:Security xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}" s:mustUnderstand="1"><wsse:UsernameToken>` +
    `<wsse:Username>${c.username}</wsse:Username>` +
    `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">` +
    `${passwordDigest(nonce, created, c.password)}</wsse:Password>` +
    `<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">` +
    `${nonce.toString("base64")}</wsse:Nonce><wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`;
}

/** `<Op xmlns=service>inner</Op>` in a SOAP 1.2 envelope. */
export function soapRequest(service: "tds" | "trt" | "tptz", op: string, inner = "", creds?: Credentials): string {
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${NS.env}" xmlns:tt="${NS.tt}">` +
    `<s:Header>${creds ? securityHeader(creds) : ""}</s:Header>` +
    `<s:Body><${op} xmlns="${NS[service]}">${inner}</${op}></s:Body></s:Envelope>`;
}

export interface HttpReply {
  status: number;
  type: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** POSTs `body` and resolves with the reply; rejects on a socket error. */
export function post(
  url: string,
  body: string,
  opts: { method?: string; contentType?: string; signal?: AbortSignal; host?: string } = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: opts.method ?? "POST",
      agent: false,
      headers: {
        "Content-Type": opts.contentType ?? "application/soap+xml; charset=utf-8",
        "Content-Length": Buffer.byteLength(body),
        ...(opts.host !== undefined ? { Host: opts.host } : {}),
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => resolve({
        status: res.statusCode ?? 0,
        type: String(res.headers["content-type"] ?? ""),
        headers: res.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The Code/Subcode chain of a SOAP fault reply, e.g. `env:Sender ter:InvalidArgVal ter:NoProfile`. */
export function faultCodes(xml: string): string {
  return [...xml.matchAll(/<env:Value>([^<]*)<\/env:Value>/g)].map((m) => m[1]).join(" ");
}
