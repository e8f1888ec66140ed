/**
 * The broker's listeners: MQTT over TCP, MQTT over TLS, and an HTTP(S) server carrying MQTT over
 * WebSocket plus plain HTTP routes (/metrics; the console later). Each accepted connection is handed
 * to `accept` with what the listener knows about it; everything else (limits, aedes) is the
 * caller's. Certificate and key files are read once at start; a file that cannot be read or parsed
 * is a StartError naming it.
 */
import { readFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { X509Certificate } from "node:crypto";
import { WebSocketServer, createWebSocketStream } from "ws";
import type { BrokerHttpListener, BrokerTlsListener } from "../config/broker.js";
import type { Logger } from "../drivers/types.js";
import type { ConnectionInfo } from "./guard.js";

export type Accept = (stream: Duplex, info: ConnectionInfo, req?: http.IncomingMessage) => void;
export type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

export class StartError extends Error {
  readonly code = "bad_config" as const;
}

export interface Listening {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

export interface HttpListening extends Listening {
  readonly secure: boolean;
  /** Adds a GET route (exact path). */
  route(path: string, handler: Route): void;
}

const CERT_WARN_DAYS = 30;

async function readPem(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new StartError(`cannot read ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Warns when the broker's certificate is expired or expires soon (clients would refuse it). */
function checkExpiry(cert: Buffer, file: string, log: Logger, now: number): void {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new StartError(`${file} is not a PEM certificate (${(err as Error).message})`);
  }
  const days = Math.floor((Date.parse(x509.validTo) - now) / 86_400_000);
  if (days < 0) log.error({ certFile: file, validTo: x509.validTo }, "the broker's TLS certificate has EXPIRED: clients will refuse it");
  else if (days < CERT_WARN_DAYS) log.warn({ certFile: file, validTo: x509.validTo, days }, "the broker's TLS certificate expires soon");
}

function listen(server: net.Server, port: number, host: string, log: Logger, what: string, sockets: Set<Duplex>): Promise<Listening> {
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once("error", (err) => reject(new StartError(`${what}: cannot listen on ${host}:${port} (${(err as NodeJS.ErrnoException).code ?? err.message})`)));
    server.listen(port, host, () => {
      server.removeAllListeners("error");
      server.on("error", (err) => log.error({ listener: what, err: err.message }, "listener error"));
      const bound = (server.address() as AddressInfo).port;
      log.info({ listener: what, host, port: bound }, "broker listening");
      let closing: Promise<void> | undefined;
      resolve({
        port: bound,
        host,
        close: () =>
          (closing ??= new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
          })),
      });
    });
  });
}

export function listenTcp(opts: { host: string; port: number }, accept: Accept, log: Logger): Promise<Listening> {
  // noDelay: small MQTT packets must not wait for Nagle's algorithm (tens of ms per command).
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on("error", (err) => log.debug({ err: err.message }, "tcp socket error"));
    accept(socket, { listener: "tcp", remoteAddress: socket.remoteAddress });
  });
  return listen(server, opts.port, opts.host, log, "tcp", new Set());
}

export async function listenTls(opts: BrokerTlsListener, accept: Accept, log: Logger, now = Date.now()): Promise<Listening> {
  const cert = await readPem(opts.certFile, "the TLS certificate");
  const key = await readPem(opts.keyFile, "the TLS key");
  checkExpiry(cert, opts.certFile, log, now);
  if (opts.clientCerts !== "none" && opts.caFile === undefined) {
    throw new StartError(`listeners.tls.clientCerts is ${opts.clientCerts}: set listeners.tls.caFile to the CA that signs client certificates`);
  }
  const ca = opts.caFile === undefined ? undefined : await readPem(opts.caFile, "the client CA");
  let server: tls.Server;
  try {
    server = tls.createServer({
      cert,
      key,
      ...(ca ? { ca } : {}),
      requestCert: opts.clientCerts !== "none",
      rejectUnauthorized: opts.clientCerts === "required",
      minVersion: "TLSv1.2",
    });
  } catch (err) {
    throw new StartError(`TLS listener: ${(err as Error).message} (certFile ${opts.certFile}, keyFile ${opts.keyFile})`);
  }
  server.on("secureConnection", (socket: tls.TLSSocket) => {
    socket.setNoDelay(true);
    socket.on("error", (err) => log.debug({ err: err.message }, "tls socket error"));
    const peer = socket.getPeerCertificate();
    const presented = peer !== null && typeof peer === "object" && Object.keys(peer).length > 0;
    if (presented && !socket.authorized) {
      // clientCerts optional: no certificate is fine, a certificate that does not verify is not.
      log.warn({ remoteAddress: socket.remoteAddress, why: String(socket.authorizationError) }, "TLS client certificate refused");
      socket.destroy();
      return;
    }
    const cn = presented ? peer.subject?.CN : undefined;
    accept(socket, { listener: "tls", remoteAddress: socket.remoteAddress, certCN: Array.isArray(cn) ? cn[0] : cn });
  });
  server.on("tlsClientError", (err, socket) => log.warn({ remoteAddress: socket.remoteAddress, err: err.message }, "TLS handshake failed"));
  return listen(server, opts.port, opts.host, log, "tls", new Set());
}

export async function listenHttp(opts: BrokerHttpListener, maxPayload: number, accept: Accept, log: Logger, now = Date.now()): Promise<HttpListening> {
  const routes = new Map<string, Route>();
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const handler = req.method === "GET" || req.method === "HEAD" ? routes.get(path) : undefined;
    if (handler === undefined) {
      res.writeHead(routes.has(path) ? 405 : 404, { "content-type": "text/plain; charset=utf-8" }).end(routes.has(path) ? "method not allowed\n" : "not found\n");
      return;
    }
    Promise.resolve(handler(req, res)).catch((err: unknown) => {
      log.error({ path, err: err instanceof Error ? err.message : String(err) }, "http handler failed");
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end("internal error\n");
    });
  };
  let server: http.Server;
  if (opts.tls) {
    const cert = await readPem(opts.tls.certFile, "the https certificate");
    const key = await readPem(opts.tls.keyFile, "the https key");
    checkExpiry(cert, opts.tls.certFile, log, now);
    server = https.createServer({ cert, key, minVersion: "TLSv1.2" }, onRequest);
  } else {
    server = http.createServer(onRequest);
  }
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload,
    handleProtocols: (offered) => ["mqtt", "mqttv3.1"].find((p) => offered.has(p)) ?? false,
  });
  const sockets = new Set<Duplex>();
  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", (err) => log.debug({ err: err.message }, "websocket socket error"));
    if ((req.url ?? "").split("?")[0] !== opts.websocketPath) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = createWebSocketStream(ws);
      stream.on("error", (err) => log.debug({ err: err.message }, "websocket stream error"));
      const remoteAddress = (req.socket as net.Socket).remoteAddress;
      accept(stream, { listener: "ws", remoteAddress }, req);
    });
  });
  const base = await listen(server, opts.port, opts.host, log, opts.tls ? "https" : "http", sockets);
  return {
    ...base,
    secure: opts.tls !== undefined,
    route: (path, handler) => void routes.set(path, handler),
    close: async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await base.close();
    },
  };
}
