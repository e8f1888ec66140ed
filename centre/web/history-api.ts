/**
 * The history pages' questions over HTTP, for the console served by the centre: GET
 * /console/api/history/{audit|alarms|health}?site=&device=&since=&until=&limit= and GET
 * /console/api/report/availability?month=&site=, answered as JSON from the same readers as
 * `roomgate history` and `roomgate report` (centre/reader.ts).
 *
 * Each request carries the user's basic auth, checked like /console/whoami. A user sees the sites
 * the broker lets them read and no other: a site-limited operator or monitor asking for everything
 * gets their own sites only, and asking for another site is refused (403). Agents and the recorder
 * are machines, not readers of history: refused.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../drivers/types.js";
import type { AvailabilityReport } from "../queries/availability.js";
import { FilterError, monthRange, parseSince, type HistoryFilter } from "../queries/filters.js";
import type { HistoryReader } from "../reader.js";
import { checkLogin, CONSOLE_PREFIX } from "./console.js";
import { replyJson, type Logins, type Router } from "./http.js";
import { LoginCheckError } from "./logins.js";

export const API_PREFIX = `${CONSOLE_PREFIX}api/`;
const MAX_LIMIT = 5000;
const HISTORY = ["audit", "alarms", "health"] as const;

export interface HistoryApiOptions {
  reader: HistoryReader;
  logins: Logins | undefined;
  now: () => number;
  logger: Logger;
}

type Sites = string[] | "*";

class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function mountHistoryApi(http: Router, opts: HistoryApiOptions): void {
  for (const kind of HISTORY) {
    http.route(`${API_PREFIX}history/${kind}`, guarded(opts, async (q, sites) => {
      const f = filterOf(q, opts.now());
      const ask = (site: string | undefined) => opts.reader[kind]({ ...f, ...(site === undefined ? {} : { site }) }) as Promise<Array<{ site: string | null }>>;
      if (sites === "*" || f.site !== undefined) return ask(f.site);
      // Each of the user's sites, merged oldest first, the newest `limit` kept (as one question would).
      const rows = (await Promise.all(sites.map((s) => ask(s)))).flat();
      rows.sort((a, b) => timeOf(a) - timeOf(b));
      return rows.slice(Math.max(0, rows.length - (f.limit ?? 1000)));
    }));
  }
  http.route(`${API_PREFIX}report/availability`, guarded(opts, async (q, sites) => {
    const month = q.get("month") ?? monthOf(opts.now());
    monthRange(month); // a bad month is the user's mistake (400), said before asking the database
    const site = q.get("site") || undefined;
    const report = await opts.reader.availability({ month, ...(site === undefined ? {} : { site }) });
    return sites === "*" ? report : onlySites(report, new Set(sites));
  }));
}

function timeOf(row: object): number {
  const r = row as { ts?: number; raisedAt?: number; at?: number };
  return r.ts ?? r.raisedAt ?? r.at ?? 0;
}

const monthOf = (now: number) => new Date(now).toISOString().slice(0, 7);

function filterOf(q: URLSearchParams, now: number): HistoryFilter {
  const f: HistoryFilter = {};
  const site = q.get("site");
  const device = q.get("device");
  const since = q.get("since");
  const until = q.get("until");
  const limit = q.get("limit");
  if (site) f.site = site;
  if (device) f.device = device;
  if (since) f.since = parseSince(since, now);
  if (until) f.until = parseSince(until, now);
  if (limit) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new FilterError(`limit: expected a whole number from 1 to ${MAX_LIMIT}, got "${limit}"`);
    f.limit = n;
  }
  return f;
}

/** A report cut down to some sites, its total again over their devices. */
function onlySites(report: AvailabilityReport, allowed: Set<string>): AvailabilityReport {
  const devices = report.devices.filter((d) => allowed.has(d.site));
  const mean = (xs: number[]) => (xs.length === 0 ? 0 : Math.round((100 * xs.reduce((a, b) => a + b, 0)) / xs.length) / 100);
  return {
    ...report,
    devices,
    sites: report.sites.filter((s) => allowed.has(s.site)),
    total: { devices: devices.length, up: mean(devices.map((d) => d.up)), down: mean(devices.map((d) => d.down)), unknown: mean(devices.map((d) => d.unknown)) },
  };
}

function guarded(opts: HistoryApiOptions, answer: (q: URLSearchParams, sites: Sites) => Promise<unknown>) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    try {
      let who;
      try {
        who = await checkLogin(opts.logins, req, opts.logger);
      } catch (err) {
        if (err instanceof LoginCheckError) throw new Refused(503, err.code, err.message);
        throw err;
      }
      if (who === undefined) throw new Refused(401, "bad_credentials", "wrong user name or password");
      if (who.role === "agent" || who.role === "recorder") throw new Refused(403, "not_authorized", `a user of role ${who.role} does not read history`);
      const q = new URL(req.url ?? "/", "http://x").searchParams;
      const site = q.get("site");
      if (site && who.sites !== "*" && !who.sites.includes(site)) throw new Refused(403, "not_authorized", `${who.user} may not see site ${site}`);
      replyJson(res, 200, await answer(q, who.sites));
    } catch (err) {
      if (err instanceof Refused) return replyJson(res, err.status, { error: { code: err.code, message: err.message } });
      if (err instanceof FilterError) return replyJson(res, 400, { error: { code: err.code, message: err.message } });
      const code = typeof (err as { code?: unknown }).code === "string" ? (err as { code: string }).code : "failed";
      if (code === "bad_filter") return replyJson(res, 400, { error: { code, message: (err as Error).message } });
      opts.logger.warn({ path: req.url?.split("?")[0], err: (err as Error).message }, "history question failed");
      replyJson(res, 500, { error: { code, message: "the centre could not answer: see its log" } });
    }
  };
}
