/**
 * The centre's web listener: HTTP or HTTPS with GET/HEAD routes by exact path, the shape the
 * broker's HTTP listener also has (broker/listeners.ts), so the console mounts on either. A handler
 * that throws answers 500 and is logged; it never takes the process down.
 */
import { readFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { BrokerRole, BrokerUser } from "../../config/broker.js";
import type { Logger } from "../../drivers/types.js";

export type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

/** Where routes are added: the centre's listener or the broker's. */
export interface Router {
  /** Adds a GET (and HEAD) route for this exact path. */
  route(path: string, handler: Route): void;
}

/**
 * Who may use the web pages: the broker file's users (their roles and sites) and a check of a
 * password that answers the user's role, or undefined when refused. The roomgate broker's own
 * BrokerAuth fits as is; beside Mosquitto, mqttLogins (centre/web/logins.ts) asks the broker.
 */
export interface Logins {
  readonly users: Readonly<Record<string, BrokerUser>>;
  verify(user: string, password: string): Promise<BrokerRole | undefined>;
}

export interface WebListening extends Router {
  /** Hands WebSocket upgrades of this exact path to `onUpgrade` (others are refused with 404). */
  upgrade(path: string, onUpgrade: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void): void;
  readonly port: number;
  readonly host: string;
  readonly secure: boolean;
  close(): Promise<void>;
}

export class WebStartError extends Error {
  readonly code = "bad_config" as const;
}

export interface WebListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  tls?: { certFile: string; keyFile: string };
}

async function readPem(file: string, what: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new WebStartError(`cannot read ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export async function listenWeb(opts: WebListenOptions, log: Logger): Promise<WebListening> {
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
  const server = opts.tls
    ? https.createServer({ cert: await readPem(opts.tls.certFile, "the https certificate"), key: await readPem(opts.tls.keyFile, "the https key"), minVersion: "TLSv1.2" }, onRequest)
    : http.createServer(onRequest);
  const upgrades = new Map<string, (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void>();
  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const handler = upgrades.get((req.url ?? "").split("?")[0]!);
    if (handler === undefined) socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
    else handler(req, socket, head);
  });
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(new WebStartError(`web: cannot listen on ${opts.host}:${opts.port} (${(err as NodeJS.ErrnoException).code ?? err.message})`)));
    server.listen(opts.port, opts.host, () => {
      server.removeAllListeners("error");
      server.on("error", (err) => log.error({ err: err.message }, "web listener error"));
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: opts.host, port, secure: opts.tls !== undefined }, "centre web listening");
  let closing: Promise<void> | undefined;
  return {
    port,
    host: opts.host,
    secure: opts.tls !== undefined,
    route: (path, handler) => void routes.set(path, handler),
    upgrade: (path, handler) => void upgrades.set(path, handler),
    close: () =>
      (closing ??= new Promise<void>((done) => {
        server.close(() => done());
        for (const s of sockets) s.destroy();
      })),
  };
}

/** A JSON answer that no cache keeps. */
export function replyJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": String(Buffer.byteLength(text)) }).end(text);
}
