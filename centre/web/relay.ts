/**
 * The console's MQTT through the centre's own origin: a WebSocket at `path` on the centre's web
 * listener whose bytes are relayed, unread, to the broker's MQTT listener (mqtt:// over TCP or
 * mqtts:// over TLS). For a broker without a WebSocket listener of its own: Debian 12's Mosquitto
 * package is built without WebSocket support (a `protocol websockets` listener refuses to start).
 *
 * The relay adds no authority: the page's CONNECT carries the user's own name and password to the
 * broker, which checks them and applies its ACLs exactly as for any client (the broker sees the
 * centre's address as the client's). A page from another origin is refused at the upgrade (the
 * Origin header must name this server), and each relayed connection ends when either side does.
 */
import type { IncomingMessage } from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { WebSocketServer, createWebSocketStream } from "ws";
import type { Logger } from "../../drivers/types.js";

export interface RelayOptions {
  /** The broker's MQTT listener: mqtt://HOST:PORT or mqtts://HOST:PORT. */
  broker: string;
  /** CA certificates for an mqtts:// broker. */
  ca?: Buffer;
  /** Largest WebSocket message accepted from a page. Default 1 MiB (the broker has its own limit). */
  maxPayload?: number;
  logger: Logger;
}

export interface Relay {
  /** Takes over an HTTP upgrade request; answers 403 to a page from another origin. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  readonly open: number;
  close(): void;
}

/** The host:port of an Origin header; undefined for `null` (a sandboxed or file: page) or garbage. */
function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host || undefined;
  } catch {
    return undefined; // not a URL: refused like another origin
  }
}

export function createRelay(opts: RelayOptions): Relay {
  const target = new URL(opts.broker);
  if (target.protocol !== "mqtt:" && target.protocol !== "mqtts:") throw Object.assign(new Error(`the console relay needs the broker's mqtt:// or mqtts:// address, got ${opts.broker}`), { code: "bad_config" });
  const port = Number(target.port || (target.protocol === "mqtts:" ? 8883 : 1883));
  const host = target.hostname.replace(/^\[|\]$/g, "");
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? 1024 * 1024, handleProtocols: (offered) => ["mqtt", "mqttv3.1"].find((p) => offered.has(p)) ?? false });
  const live = new Set<{ end(): void }>();
  return {
    get open() {
      return live.size;
    },
    upgrade(req, socket, head) {
      socket.on("error", (err) => opts.logger.debug({ err: err.message }, "relay socket error"));
      const origin = req.headers.origin;
      if (origin !== undefined && hostOf(origin) !== req.headers.host) {
        opts.logger.warn({ origin, remoteAddress: req.socket.remoteAddress }, "console relay: a page from another origin refused");
        socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n");
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        const page = createWebSocketStream(ws);
        const upstream = target.protocol === "mqtts:" ? tls.connect({ host, port, servername: host, ...(opts.ca ? { ca: opts.ca } : {}) }) : net.connect({ host, port });
        upstream.setNoDelay(true);
        const pair = {
          end: () => {
            page.destroy();
            upstream.destroy();
          },
        };
        live.add(pair);
        const done = (side: string) => (err?: Error) => {
          if (err) opts.logger.debug({ side, err: err.message }, "console relay closed");
          live.delete(pair);
          pair.end();
        };
        page.on("error", done("page"));
        upstream.on("error", done("broker"));
        page.on("close", done("page"));
        upstream.on("close", done("broker"));
        page.pipe(upstream);
        upstream.pipe(page);
      });
    },
    close() {
      for (const p of live) p.end();
      live.clear();
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}
