/**
 * The operator console's files and routes: the one copy, served by `roomgate centre` (centre/web/
 * server.ts, with the history pages) and by `roomgate broker`'s HTTP listener (the live pages only,
 * for a lab or the demo without a centre). Three files under /console/ (the page, its stylesheet
 * and its one bundled script, all read once at start from console/ and console/dist/) and
 * /console/whoami. Nothing comes from the Internet, and the page's Content-Security-Policy forbids
 * loading anything from anywhere but the server itself and the broker's WebSocket.
 *
 * The page talks MQTT over the broker's WebSocket listener (the roomgate broker's HTTP listener, or
 * Mosquitto's `listener ... protocol websockets`) with the user's own credentials, so the broker's
 * ACLs apply to it as to any client. /console/whoami only tells the page what the ACL will let it
 * see and do (role and sites: an operator limited to some sites cannot subscribe to
 * `roomgate/v1/+/...`, so it must name its sites) and whether history pages are served, after a
 * login check (the broker's own scrypt check, or a CONNECT to the broker: centre/web/logins.ts). No
 * session is kept: the browser holds the password in memory and sends it again.
 *
 * This module imports nothing of broker/ (the broker imports it): the roles come from config/.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { BrokerUser } from "../../config/broker.js";
import type { Logger } from "../../drivers/types.js";
import type { Logins, Router } from "./http.js";

export const CONSOLE_PREFIX = "/console/";

/** Path under console/ -> content type. index.html is served at /console/. */
const FILES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "console.css": "text/css; charset=utf-8",
  "dist/console.js": "text/javascript; charset=utf-8",
};

/**
 * Only the server's own origin for scripts and styles; connections to it (CSP3 'self' covers ws/wss
 * to it) and to the broker's WebSocket when that is another origin (Mosquitto beside the centre).
 */
export function contentSecurityPolicy(mqttUrl: string): string {
  const other = /^wss?:\/\//.test(mqttUrl) ? ` ${new URL(mqttUrl).origin}` : "";
  return `default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'${other}; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

export interface ConsoleAsset {
  /** URL path, e.g. /console/console.js. */
  readonly path: string;
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
}

/** The console's files are missing or unreadable: the server does not start (or use `console: false`). */
export class ConsoleFilesError extends Error {
  readonly code = "bad_config" as const;
}

/** console/ of the package, from the sources (centre/web/) and from the build (dist/centre/web/). */
export function consoleDir(): string {
  for (const rel of ["../../console/", "../../../console/"]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}dist/console.js`)) return dir;
  }
  throw new ConsoleFilesError("console/dist/console.js not found next to the roomgate package (run `npm run build:console`)");
}

/**
 * Reads the console's files; the page learns where the broker's WebSocket is from a meta tag filled
 * in here: a path on the same origin (`/mqtt`, the roomgate broker serving the page) or a
 * ws(s):// URL (the centre serving the page beside Mosquitto's or the broker's WebSocket listener).
 */
export function loadConsoleAssets(mqttUrl: string, dir = consoleDir()): ConsoleAsset[] {
  if (!/^(\/|wss?:\/\/)\S*$/.test(mqttUrl)) throw new ConsoleFilesError(`the console's MQTT address must be a path (/mqtt) or a ws:// or wss:// URL, got "${mqttUrl}"`);
  return Object.entries(FILES).map(([file, type]) => {
    let body: Buffer;
    try {
      body = readFileSync(`${dir}${file}`);
    } catch (err) {
      throw new ConsoleFilesError(`cannot read the console's ${dir}${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (file === "index.html") body = Buffer.from(body.toString("utf8").replace("__MQTT_URL__", escapeAttr(mqttUrl)), "utf8");
    const name = file === "index.html" ? "" : file.slice(file.lastIndexOf("/") + 1);
    return { path: `${CONSOLE_PREFIX}${name}`, type, body, gzip: gzipSync(body), etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
  });
}

const escapeAttr = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

export interface ConsoleOptions {
  /** Where the page's MQTT goes: a path on this origin or a ws(s):// URL (loadConsoleAssets). */
  mqttUrl: string;
  /** Who may log in; undefined: an open (anonymous) broker, where everyone may do everything. */
  logins: Logins | undefined;
  /** The history and report pages are served here (the centre); the broker's console has none. */
  history: boolean;
  logger: Logger;
  assets?: ConsoleAsset[];
}

/** Adds the console's routes to an HTTP listener. */
export function mountConsole(http: Router, opts: ConsoleOptions): void {
  const assets = opts.assets ?? loadConsoleAssets(opts.mqttUrl);
  const csp = contentSecurityPolicy(opts.mqttUrl);
  http.route("/console", (_req, res) => void res.writeHead(301, { location: CONSOLE_PREFIX }).end());
  for (const asset of assets) http.route(asset.path, (req, res) => serveAsset(asset, csp, req, res));
  http.route(`${CONSOLE_PREFIX}whoami`, whoamiRoute(opts));
}

function serveAsset(asset: ConsoleAsset, csp: string, req: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string> = {
    "content-type": asset.type,
    "cache-control": "no-cache",
    etag: asset.etag,
    vary: "accept-encoding",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": csp,
  };
  if (req.headers["if-none-match"] === asset.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
  const body = gzip ? asset.gzip : asset.body;
  if (gzip) headers["content-encoding"] = "gzip";
  headers["content-length"] = String(body.length);
  res.writeHead(200, headers).end(req.method === "HEAD" ? undefined : body);
}

export interface Whoami {
  user: string;
  role: BrokerUser["role"] | "anonymous";
  sites: string[] | "*";
  /** Whether this server answers the history and report pages. */
  history: boolean;
}

/** GET /console/whoami with HTTP basic auth: the verified user's role and sites, or 401. */
function whoamiRoute(opts: ConsoleOptions) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }).end(`${JSON.stringify(body)}\n`);
    let who;
    try {
      who = await checkLogin(opts.logins, req, opts.logger);
    } catch (err) {
      // The broker did not answer the login check (centre/web/logins.ts): not a wrong password.
      if ((err as { code?: unknown }).code !== "broker_unreachable") throw err;
      reply(503, { error: { code: "broker_unreachable", message: (err as Error).message } });
      return;
    }
    if (who === undefined) {
      reply(401, { error: { code: "bad_credentials", message: "wrong user name or password" } });
      return;
    }
    reply(200, { ...who, history: opts.history } satisfies Whoami);
  };
}

/** The user's basic-auth credentials checked: who they are, or undefined (logged without the password). */
export async function checkLogin(logins: Logins | undefined, req: IncomingMessage, logger: Logger): Promise<Omit<Whoami, "history"> | undefined> {
  const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? "");
  const decoded = m ? Buffer.from(m[1]!, "base64").toString("utf8") : "";
  const colon = decoded.indexOf(":");
  const user = colon > 0 ? decoded.slice(0, colon) : "";
  // An open broker: everyone may do everything, which is what the page is told.
  if (logins === undefined) return { user: user || "anonymous", role: "anonymous", sites: "*" };
  const role = user === "" ? undefined : await logins.verify(user, decoded.slice(colon + 1));
  const entry = logins.users[user];
  if (role === undefined || entry === undefined) {
    logger.warn({ path: req.url?.split("?")[0], user: entry ? user : undefined, remoteAddress: req.socket.remoteAddress }, "console login refused");
    return undefined;
  }
  const sites = entry.role === "admin" || entry.role === "recorder" ? "*" : entry.role === "agent" ? [entry.site] : entry.sites;
  return { user, role, sites: sites === "*" ? "*" : [...sites] };
}
