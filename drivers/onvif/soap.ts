/**
 * One SOAP 1.2 request over node:http(s), with a hard deadline and an AbortSignal.
 *
 * Why not the `onvif` package's request: measured against a canned server (see the report), its
 * `timeout` is a socket idle timer, so a camera that trickles bytes holds a request forever; it
 * has no AbortSignal; it flattens faults to `Error("ONVIF SOAP Fault: <reason>")`, losing the
 * subcode that tells a wrong password from a missing preset; and HTML 401 pages become "Wrong
 * ONVIF SOAP response" with the status dropped. Here every outcome is a value: the Body's first
 * element, or a DeviceError with `details.onvif` (see faults.ts).
 */
import http from "node:http";
import https from "node:https";
import type { Clock } from "../types.js";
import { DeviceError } from "../types.js";
import { faultError, httpError, malformedError, readFault } from "./faults.js";
import { parseXml, XmlError, type XmlNode } from "./xml.js";

export const SOAP_ENV_NS = "http://www.w3.org/2003/05/soap-envelope";
/** Answers bigger than this are not a camera's SOAP reply. */
export const MAX_RESPONSE_BYTES = 1 << 20;

export interface SoapRequest {
  url: URL;
  /** Namespace of the operation (goes into the `action` parameter of the Content-Type). */
  namespace: string;
  /** Local name, e.g. `GetSystemDateAndTime` (for the action and for error messages). */
  operation: string;
  /** The operation element, already serialised and escaped. */
  body: string;
  /** A `<wsse:Security>` header element, or nothing for unauthenticated calls. */
  security?: string;
  timeoutMs: number;
  clock: Clock;
  signal?: AbortSignal;
  agent?: http.Agent;
}

export interface SoapResponse {
  status: number;
  /** The first element inside env:Body (the operation's response). */
  body: XmlNode;
}

/** The full envelope text for a request (exported for tests). */
export function envelope(body: string, security?: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<s:Envelope xmlns:s="${SOAP_ENV_NS}">` +
    (security ? `<s:Header>${security}</s:Header>` : "") +
    `<s:Body>${body}</s:Body>` +
    `</s:Envelope>`
  );
}

/** Sends one request; resolves with the response body element or rejects with a DeviceError. */
export function soapCall(req: SoapRequest): Promise<SoapResponse> {
  const op = req.operation;
  return new Promise<SoapResponse>((resolve, reject) => {
    if (req.signal?.aborted) {
      reject(new DeviceError("cancelled", `${op} cancelled before it was sent`, { onvif: "cancelled", operation: op }));
      return;
    }
    const payload = Buffer.from(envelope(req.body, req.security), "utf8");
    let settled = false;
    let timer: unknown;
    const finish = (err: DeviceError | null, res?: SoapResponse): void => {
      if (settled) return;
      settled = true;
      req.clock.clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
      if (err) reject(err);
      else resolve(res!);
    };
    const lib = req.url.protocol === "https:" ? https : http;
    const request = lib.request(req.url, {
      method: "POST",
      agent: req.agent,
      headers: {
        "Content-Type": `application/soap+xml; charset=utf-8; action="${req.namespace}/${op}"`,
        "Content-Length": payload.length,
      },
    });
    const onAbort = (): void => {
      finish(new DeviceError("cancelled", `${op} cancelled`, { onvif: "cancelled", operation: op }));
      request.destroy();
    };
    req.signal?.addEventListener("abort", onAbort, { once: true });
    // The whole exchange, not just socket idleness, must end by the deadline.
    timer = req.clock.setTimeout(() => {
      finish(new DeviceError("timeout", `camera did not answer ${op} within ${req.timeoutMs} ms`, { onvif: "timeout", operation: op }));
      request.destroy();
    }, req.timeoutMs);
    request.on("error", (e: NodeJS.ErrnoException) => {
      const code = e.code ?? "ERROR";
      finish(new DeviceError("not_connected", `cannot reach the camera for ${op}: ${code} ${e.message}`, {
        onvif: "connect_failed", operation: op, errno: code,
      }));
    });
    request.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_RESPONSE_BYTES) {
          finish(malformedError(op, res.statusCode ?? 0, `answer larger than ${MAX_RESPONSE_BYTES} bytes`));
          request.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on("error", (e: Error) => {
        finish(new DeviceError("not_connected", `connection lost during ${op}: ${e.message}`, { onvif: "connect_failed", operation: op }));
      });
      res.on("end", () => {
        if (settled) return;
        try {
          finish(null, interpret(op, res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8")));
        } catch (e) {
          finish(e instanceof DeviceError ? e : malformedError(op, res.statusCode ?? 0, String(e)));
        }
      });
    });
    request.end(payload);
  });
}

/** Turns status + body text into a response, or throws the coded error. Pure (exported for tests). */
export function interpret(op: string, status: number, text: string): SoapResponse {
  let root: XmlNode;
  try {
    root = parseXml(text);
  } catch (e) {
    if (!(e instanceof XmlError)) throw e;
    // Not XML at all: an HTTP error page, or garbage with a 200.
    if (status >= 300) throw httpError(op, status, text);
    throw malformedError(op, status, e.message);
  }
  if (root.name !== "Envelope") {
    if (status >= 300) throw httpError(op, status, text);
    throw malformedError(op, status, `expected a SOAP Envelope, got <${root.name}>`);
  }
  const body = root.children.find((c) => c.name === "Body");
  const first = body?.children[0];
  if (first?.name === "Fault") throw faultError(op, readFault(first), status);
  if (status === 401 || status === 403 || status >= 300) throw httpError(op, status, text);
  if (!first) throw malformedError(op, status, "empty SOAP Body");
  return { status, body: first };
}
