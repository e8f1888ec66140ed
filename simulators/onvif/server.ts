/**
 * The simulator's HTTP side: SOAP 1.2 over HTTP POST at /onvif/device_service,
 * /onvif/media_service and /onvif/ptz_service (node:http, no framework).
 *
 * Request pipeline: path and method -> body (<= 1 MiB) -> XML -> SOAP 1.2 envelope ->
 * operation (by the body element's namespace and name, whatever the path, as most cameras do)
 * -> WS-Security check unless the operation is PRE_AUTH -> handler -> reply, through the fault
 * switches (silent, slow, garbage). Nothing a client sends can crash it: every failure becomes a
 * SOAP fault or an HTTP error, and unexpected ones are also recorded in `errors`.
 */
import http from "node:http";
import type { Socket } from "node:net";
import type { Clock, TimerHandle } from "../../drivers/types.js";
import type { ErrorLog } from "../visca/errors.js";
import type { OnvifCamera } from "./camera.js";
import type { OnvifFaultControls } from "./faults.js";
import { deviceOperations } from "./device-service.js";
import { mediaOperations } from "./media-service.js";
import { ptzOperations } from "./ptz-service.js";
import { SERVICE_PATHS, type DeviceIdentity, type Operation, type OpContext } from "./operations.js";
import { envelope, faultEnvelope, faultStatus, Faults, FaultError, NS, type SoapFault } from "./soap.js";
import type { UsernameTokenVerifier } from "./wsse.js";
import { child, parseXml, XmlError, type XmlElement } from "./xml.js";

const MAX_BODY = 1024 * 1024;
const SOAP_TYPE = "application/soap+xml; charset=utf-8";
const PATHS = new Set(Object.values(SERVICE_PATHS));

export interface OnvifStats {
  requests: number;
  authFailures: number;
  replays: number;
}

export interface HttpSideOptions {
  host: string;
  port: number;
  clock: Clock;
  camera: OnvifCamera;
  identity: DeviceIdentity;
  scopes: readonly string[];
  ptz: boolean;
  maxPresets: number;
  authRequired: boolean;
  /** "spec": the ONVIF PRE_AUTH operations answer without credentials; "datetime-only": only GetSystemDateAndTime. */
  preAuth: "spec" | "datetime-only";
  verifier: UsernameTokenVerifier;
  faults: OnvifFaultControls;
  stats: OnvifStats;
  errors: ErrorLog;
}

interface Reply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

const HTML_401 =
  "<!DOCTYPE html><html><head><title>Document Error: Unauthorized</title></head><body>" +
  "<h2>Access Error: 401 -- Unauthorized</h2><p>Authentication Error: Access Denied! Authorization required.</p></body></html>";

export class OnvifHttpSide {
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<TimerHandle>();
  private readonly ops: Record<string, Record<string, Operation>>;
  private boundPort: number;

  constructor(private readonly o: HttpSideOptions) {
    this.boundPort = o.port;
    this.ops = { [NS.tds]: deviceOperations, [NS.trt]: mediaOperations, [NS.tptz]: ptzOperations(o.maxPresets) };
  }

  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  async listen(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => this.onRequest(req, res));
    server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    server.on("clientError", (err, socket) => {
      this.o.errors.add(err, "bad HTTP from client");
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.boundPort, this.o.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (err) => this.o.errors.add(err, "HTTP server error"));
    this.boundPort = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Stops listening and drops every connection (held and delayed requests included). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const t of this.timers) this.o.clock.clearTimeout(t);
    this.timers.clear();
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    res.on("error", (err) => this.o.errors.add(err, "response failed"));
    req.on("error", (err) => this.o.errors.add(err, "request failed"));
    const path = (req.url ?? "/").split("?")[0]!;
    if (!PATHS.has(path)) return void this.send(res, { status: 404, type: "text/plain", body: "Not Found" });
    if (req.method === "GET") return void this.send(res, { status: 400, type: "text/plain", body: "Bad Request: POST a SOAP message" });
    if (req.method !== "POST") return void this.send(res, { status: 405, type: "text/plain", body: "Method Not Allowed", headers: { Allow: "POST" } });
    const type = req.headers["content-type"] ?? "";
    if (type !== "" && !/^(application\/soap\+xml|text\/xml|application\/xml)\b/i.test(type)) {
      return void this.send(res, { status: 415, type: "text/plain", body: "Unsupported Media Type" });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => {
      if (size > MAX_BODY) return this.send(res, { status: 413, type: "text/plain", body: "Payload Too Large" });
      this.o.stats.requests++;
      // Silent: the request was accepted and is never answered (the client must time out).
      if (this.o.faults.silent) return;
      let reply: Reply;
      try {
        reply = this.handle(Buffer.concat(chunks).toString("utf8"), this.baseUrl(req));
      } catch (err) {
        this.o.errors.add(err, "handler failed");
        reply = soapFault(Faults.internal().fault);
      }
      this.reply(res, reply);
    });
  }

  /** Applies the slow and garbage switches, then sends. */
  private reply(res: http.ServerResponse, r: Reply): void {
    const out = this.o.faults.garbage ? garble(r) : r;
    const delay = this.o.faults.slowMs;
    if (delay <= 0) return this.send(res, out);
    const t = this.o.clock.setTimeout(() => {
      this.timers.delete(t);
      this.send(res, out);
    }, delay);
    this.timers.add(t);
  }

  private send(res: http.ServerResponse, r: Reply): void {
    if (res.destroyed || res.headersSent) return;
    res.writeHead(r.status, { "Content-Type": r.type, "Content-Length": Buffer.byteLength(r.body), ...r.headers });
    res.end(r.body);
  }

  /**
   * `http://host:port` with the host the client addressed (Host header, else the local address)
   * and the port it actually reached, so XAddrs match the request (ONVIF Core, GetServices).
   * The port comes from the socket: some clients (libonvif's onvif-util) send Host without it.
   */
  private baseUrl(req: http.IncomingMessage): string {
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d+)?$/.exec(req.headers.host ?? "");
    const local = req.socket.localAddress ?? this.o.host;
    const host = m ? m[1]! : local.includes(":") ? `[${local}]` : local;
    return `http://${host}:${req.socket.localPort ?? this.boundPort}`;
  }

  /** One SOAP request to one reply. Throws only for bugs (the caller turns those into a fault). */
  handle(xml: string, baseUrl: string): Reply {
    let root: XmlElement;
    try {
      root = parseXml(xml);
    } catch (err) {
      if (err instanceof XmlError) return soapFault(Faults.wellFormed(err.message).fault);
      throw err;
    }
    if (root.local !== "Envelope" || root.ns !== NS.env) return soapFault(Faults.versionMismatch().fault);
    const body = child(root, "Body", NS.env);
    const request = body?.children[0];
    if (!request) return soapFault(Faults.wellFormed("the envelope has no Body or the Body is empty").fault);

    let op: Operation | undefined;
    if (request.ns === NS.tptz && !this.o.ptz) return soapFault(Faults.ptzNotSupported().fault);
    op = this.ops[request.ns]?.[request.local];
    if (!op) return soapFault(Faults.actionNotSupported(`${request.local} (${request.ns || "no namespace"})`).fault);

    const open = this.o.preAuth === "spec" ? op.preAuth : request.local === "GetSystemDateAndTime";
    if (this.o.authRequired && !open) {
      const denied = this.authenticate(child(root, "Header", NS.env));
      if (denied) return denied;
    }

    const ctx: OpContext = {
      camera: this.o.camera,
      ptz: this.o.ptz,
      identity: this.o.identity,
      scopes: this.o.scopes,
      baseUrl,
      cameraNow: () => this.o.clock.now() + this.o.faults.clockSkewMs,
    };
    try {
      return { status: 200, type: SOAP_TYPE, body: envelope(op.run(request, ctx)) };
    } catch (err) {
      if (err instanceof FaultError) return soapFault(err.fault);
      throw err;
    }
  }

  /** Undefined when the request may proceed; otherwise the refusal to send. */
  private authenticate(header: XmlElement | undefined): Reply | undefined {
    const result = this.o.verifier.verify(header);
    let detail: string | undefined;
    if (!result.ok) {
      if (result.failure === "replay") this.o.stats.replays++;
      detail = result.detail;
    } else if (this.o.faults.authFail) {
      detail = "credentials refused";
    }
    if (detail === undefined) return undefined;
    this.o.stats.authFailures++;
    if (this.o.faults.html401) {
      return { status: 401, type: "text/html; charset=utf-8", body: HTML_401, headers: { "WWW-Authenticate": 'Basic realm="onvif-sim"' } };
    }
    return soapFault(Faults.notAuthorized(detail).fault);
  }
}

function soapFault(f: SoapFault): Reply {
  return { status: faultStatus(f), type: SOAP_TYPE, body: faultEnvelope(f) };
}

/** The garbage switch: a 200 whose body is cut XML with junk, as a crashing camera web server sends. */
function garble(r: Reply): Reply {
  return { ...r, status: 200, type: SOAP_TYPE, body: `${r.body.slice(0, Math.floor(r.body.length / 2))}\u0000<<garbage&` };
}
