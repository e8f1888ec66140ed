/**
 * The operator console, served by the broker's HTTP listener: three files under /console/ (the
 * page, its stylesheet and its one bundled script, all read once at start from console/ and
 * console/dist/) and /console/whoami. Nothing comes from the Internet, and the page's
 * Content-Security-Policy forbids loading anything from anywhere but the broker itself.
 *
 * The page talks MQTT over the listener's WebSocket path with the user's own credentials, so the
 * broker's ACLs apply to it as to any client. /console/whoami only tells the page what the ACL will
 * let it see and do (role and sites: an operator limited to some sites cannot subscribe to
 * `roomgate/v1/+/...`, so it must name its sites), after the same constant-cost scrypt check as a
 * CONNECT. No session is kept: the browser holds the password in memory and sends it again.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { BrokerUser } from "../config/broker.js";
import type { Logger } from "../drivers/types.js";
import type { BrokerAuth } from "./auth.js";
import { StartError, type HttpListening } from "./listeners.js";

export const CONSOLE_PREFIX = "/console/";

/** Path under console/ -> content type. index.html is served at /console/. */
const FILES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "console.css": "text/css; charset=utf-8",
  "dist/console.js": "text/javascript; charset=utf-8",
};

/** Only the broker's own origin: scripts, styles, the WebSocket (CSP3 'self' covers ws/wss to it). */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export interface ConsoleAsset {
  /** URL path, e.g. /console/console.js. */
  readonly path: string;
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
}

/** The console's files are missing or unreadable: the broker does not start (or use `console: false`). */
export class ConsoleFilesError extends StartError {}

/** console/ of the package, from the sources (broker/) and from the build (dist/broker/). */
export function consoleDir(): string {
  for (const rel of ["../console/", "../../console/"]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}dist/console.js`)) return dir;
  }
  throw new ConsoleFilesError("console/dist/console.js not found next to the roomgate package (run `npm run build:console`)");
}

/** Reads the console's files; the page learns the WebSocket path from a meta tag filled in here. */
export function loadConsoleAssets(websocketPath: string, dir = consoleDir()): ConsoleAsset[] {
  return Object.entries(FILES).map(([file, type]) => {
    let body: Buffer;
    try {
      body = readFileSync(`${dir}${file}`);
    } catch (err) {
      throw new ConsoleFilesError(`cannot read the console's ${dir}${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (file === "index.html") body = Buffer.from(body.toString("utf8").replace("__MQTT_PATH__", websocketPath), "utf8");
    const name = file === "index.html" ? "" : file.slice(file.lastIndexOf("/") + 1);
    return { path: `${CONSOLE_PREFIX}${name}`, type, body, gzip: gzipSync(body), etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
  });
}

export interface ConsoleOptions {
  websocketPath: string;
  /** The broker's auth; absent on an open (anonymous, hook-less) broker. */
  auth: BrokerAuth | undefined;
  users: Record<string, BrokerUser> | undefined;
  logger: Logger;
  assets?: ConsoleAsset[];
}

/** Adds the console's routes to the HTTP listener. */
export function mountConsole(http: HttpListening, opts: ConsoleOptions): void {
  const assets = opts.assets ?? loadConsoleAssets(opts.websocketPath);
  http.route("/console", (_req, res) => void res.writeHead(301, { location: CONSOLE_PREFIX }).end());
  for (const asset of assets) http.route(asset.path, (req, res) => serveAsset(asset, req, res));
  http.route(`${CONSOLE_PREFIX}whoami`, whoamiRoute(opts));
}

function serveAsset(asset: ConsoleAsset, req: IncomingMessage, res: ServerResponse): void {
  const headers: Record<string, string> = {
    "content-type": asset.type,
    "cache-control": "no-cache",
    etag: asset.etag,
    vary: "accept-encoding",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "content-security-policy": CSP,
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
}

/** GET /console/whoami with HTTP basic auth: the verified user's role and sites, or 401. */
function whoamiRoute(opts: ConsoleOptions) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? "");
    const decoded = m ? Buffer.from(m[1]!, "base64").toString("utf8") : "";
    const colon = decoded.indexOf(":");
    const user = colon > 0 ? decoded.slice(0, colon) : "";
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }).end(`${JSON.stringify(body)}\n`);
    if (opts.auth === undefined) {
      // An open broker: everyone may do everything, which is what the page is told.
      reply(200, { user: user || "anonymous", role: "anonymous", sites: "*" } satisfies Whoami);
      return;
    }
    const role = user === "" ? undefined : await opts.auth.verify(user, decoded.slice(colon + 1));
    if (role === undefined) {
      opts.logger.warn({ path: req.url, user: opts.users?.[user] ? user : undefined, remoteAddress: req.socket.remoteAddress }, "console whoami refused");
      reply(401, { error: { code: "bad_credentials", message: "wrong user name or password" } });
      return;
    }
    const entry = opts.users?.[user];
    const sites = entry === undefined || entry.role === "admin" || entry.role === "recorder" ? "*" : entry.role === "agent" ? [entry.site] : entry.sites;
    reply(200, { user, role, sites: sites === "*" ? "*" : [...sites] } satisfies Whoami);
  };
}
