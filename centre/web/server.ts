/**
 * The centre's web pages, the one place they are served from beside any broker: the operator
 * console (live pages over the broker's WebSocket, plus history and report pages from the record),
 * its history API, and /metrics of the record and of the fleet.
 *
 * Started by `roomgate centre` after startCentre (centre/centre.ts), with the broker's WebSocket
 * address for the page (the roomgate broker's HTTP listener, or Mosquitto's websockets listener)
 * and the logins (mqttLogins: the broker checks every password). Nothing here knows which broker it
 * is: the page speaks MQTT to it, the centre reads the record.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock, Logger } from "../../drivers/types.js";
import type { RunningCentre } from "../centre.js";
import { checkLogin, CONSOLE_PREFIX, mountConsole, type ConsoleAsset } from "./console.js";
import { mountHistoryApi } from "./history-api.js";
import { listenWeb, type Logins, type WebListening, type WebListenOptions } from "./http.js";
import { createCentreMetrics, type CentreMetrics } from "./metrics.js";
import { createRelay, type Relay } from "./relay.js";

/** Where the relay listens on the centre's origin. */
export const RELAY_PATH = "/mqtt";

export interface CentreWebOptions {
  /** Listen address. Default 127.0.0.1 (a province's centre says 0.0.0.0 or its address). */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Serve HTTPS with this certificate and key (PEM files). */
  tls?: WebListenOptions["tls"];
  /**
   * Where the page's MQTT goes: the broker's WebSocket listener as a ws:// or wss:// URL
   * (ws://broker.centre.local:9001/mqtt for Mosquitto, ws://HOST:PORT/mqtt for roomgate broker's
   * HTTP listener), or a path when a reverse proxy serves both on this origin. Omit it with
   * `relay` (the page's MQTT then goes to this server's /mqtt).
   */
  mqttUrl?: string;
  /**
   * Relay the page's MQTT from this server's /mqtt to the broker's MQTT listener (mqtt:// or
   * mqtts://): for a broker without a WebSocket listener, such as Debian 12's Mosquitto (built
   * without WebSocket support). The broker still checks every login and ACL (centre/web/relay.ts).
   */
  relay?: { broker: string; ca?: Buffer };
  /** Who may log in (mqttLogins); undefined: an open lab broker, everyone may do everything. */
  logins: Logins | undefined;
  /** The running centre: its record (history, reports, the fleet) and its recorder (intake metrics). */
  centre: Pick<RunningCentre, "db" | "recorder" | "reader">;
  /** Serve /metrics (a monitor or admin login). Default true. */
  metrics?: boolean;
  logger: Logger;
  clock: Clock;
  /** Tests: the console's files as read once. */
  assets?: ConsoleAsset[];
}

export interface RunningCentreWeb {
  readonly port: number;
  readonly host: string;
  /** http(s)://host:port */
  readonly url: string;
  /** {url}/console/ */
  readonly consoleUrl: string;
  close(): Promise<void>;
}

export async function startCentreWeb(opts: CentreWebOptions): Promise<RunningCentreWeb> {
  const log = opts.logger.child({ part: "web" });
  const mqttUrl = opts.mqttUrl ?? (opts.relay ? RELAY_PATH : undefined);
  if (mqttUrl === undefined) throw Object.assign(new Error("the console needs the broker's WebSocket address (mqttUrl) or the relay to its MQTT listener (relay)"), { code: "bad_config" });
  const relay: Relay | undefined = opts.relay ? createRelay({ ...opts.relay, logger: log.child({ part: "relay" }) }) : undefined;
  const web: WebListening = await listenWeb({ host: opts.host ?? "127.0.0.1", port: opts.port, ...(opts.tls ? { tls: opts.tls } : {}) }, log);
  try {
    if (relay) web.upgrade(RELAY_PATH, (req, socket, head) => relay.upgrade(req, socket, head));
    mountConsole(web, { mqttUrl, logins: opts.logins, history: true, logger: log, ...(opts.assets ? { assets: opts.assets } : {}) });
    mountHistoryApi(web, { reader: opts.centre.reader(), logins: opts.logins, now: opts.clock.now, logger: log });
    if (opts.metrics !== false) web.route("/metrics", metricsRoute(createCentreMetrics({ db: opts.centre.db, recorder: opts.centre.recorder }), opts.logins, log));
    web.route("/", (_req, res) => void res.writeHead(302, { location: CONSOLE_PREFIX }).end());
  } catch (err) {
    relay?.close();
    await web.close();
    throw err;
  }
  const shown = web.host === "0.0.0.0" || web.host === "::" ? "127.0.0.1" : web.host;
  const url = `${web.secure ? "https" : "http"}://${shown.includes(":") ? `[${shown}]` : shown}:${web.port}`;
  log.info({ url, mqttUrl, relay: opts.relay?.broker }, "centre console and metrics served");
  return {
    port: web.port, host: web.host, url, consoleUrl: `${url}${CONSOLE_PREFIX}`,
    close: async () => {
      relay?.close();
      await web.close();
    },
  };
}

/** GET /metrics: a monitor's or admin's basic auth (open only without logins, a lab). */
function metricsRoute(metrics: CentreMetrics, logins: Logins | undefined, log: Logger) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (logins !== undefined) {
      const who = await checkLogin(logins, req, log).catch(() => undefined);
      if (who?.role !== "monitor" && who?.role !== "admin") {
        res.writeHead(401, { "www-authenticate": 'Basic realm="roomgate centre metrics"', "content-type": "text/plain; charset=utf-8" }).end("a monitor or admin user is required\n");
        return;
      }
    }
    const { body, contentType } = await metrics.render();
    res.writeHead(200, { "content-type": contentType }).end(req.method === "HEAD" ? undefined : body);
  };
}
