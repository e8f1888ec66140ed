/**
 * The questions a user asks the record, whoever answers them: the database directly (PostgreSQL, or
 * PGlite while no centre runs) or the running centre over its local API (PGlite while it runs: one
 * process only). `roomgate history` and `roomgate report` print what a reader returns; the console
 * pages will use the same readers.
 */
import { request } from "node:http";
import { keyIdOf } from "./chain/keys.js";
import type { ChainVerdict, KeyRing } from "./chain/audit.js";
import type { Db } from "./db/db.js";
import { availabilityReport, type AvailabilityReport } from "./queries/availability.js";
import { monthRange, type HistoryFilter } from "./queries/filters.js";
import { alarmHistory, auditHistory, healthHistory, quarantineHistory, type AlarmEntry, type AuditEntry, type HealthEntry, type QuarantineEntry } from "./queries/history.js";
import { verifyAudit } from "./queries/verify.js";

/** A public key to check anchors with, and where it came from. */
export interface GivenKey {
  pem: string;
  source: string;
}

export interface HistoryReader {
  /** Who answers: `the running centre (socket ...)`, `pglite DIR`, `postgres user@host/db`. */
  readonly via: string;
  audit(f: HistoryFilter): Promise<AuditEntry[]>;
  alarms(f: HistoryFilter): Promise<AlarmEntry[]>;
  health(f: HistoryFilter): Promise<HealthEntry[]>;
  quarantine(f: HistoryFilter): Promise<QuarantineEntry[]>;
  verify(q: { site?: string; keys?: GivenKey[] }): Promise<ChainVerdict[]>;
  availability(q: { month: string; site?: string }): Promise<AvailabilityReport>;
  close(): Promise<void>;
}

export const READER_METHODS = ["audit", "alarms", "health", "quarantine", "verify", "availability"] as const;

export function keyRing(keys: readonly GivenKey[]): KeyRing {
  const ring: KeyRing = new Map();
  for (const k of keys) ring.set(keyIdOf(k.pem), k);
  return ring;
}

export function dbReader(db: Db, opts: { now: () => number; keys?: GivenKey[]; onClose?: () => Promise<void> }): HistoryReader {
  return {
    via: db.where,
    audit: (f) => auditHistory(db, f),
    alarms: (f) => alarmHistory(db, f),
    health: (f) => healthHistory(db, f),
    quarantine: (f) => quarantineHistory(db, f),
    // Keys given with the question come first: they were brought from outside the database.
    verify: (q) => verifyAudit(db, q, keyRing([...(opts.keys ?? []), ...(q.keys ?? [])].reverse())),
    availability: (q) => availabilityReport(db, { ...monthRange(q.month), now: opts.now(), ...(q.site === undefined ? {} : { site: q.site }) }),
    close: async () => {
      await opts.onClose?.();
    },
  };
}

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The running centre's local API on its unix socket (centre/api.ts). */
export function apiReader(socketPath: string): HistoryReader {
  const call = <T>(method: string, args: unknown): Promise<T> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify(args ?? {});
      const req = request({ socketPath, path: `/v1/${method}`, method: "POST", headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          let json: unknown;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch (err) {
            reject(new ApiError("bad_answer", `the centre answered ${res.statusCode} with no JSON: ${(err as Error).message}`));
            return;
          }
          if (res.statusCode === 200) resolve(json as T);
          else {
            const e = (json as { error?: { code?: string; message?: string } }).error;
            reject(new ApiError(e?.code ?? "api_error", e?.message ?? `the centre answered ${res.statusCode}`));
          }
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
  return {
    via: `the running centre (${socketPath})`,
    audit: (f) => call("audit", f),
    alarms: (f) => call("alarms", f),
    health: (f) => call("health", f),
    quarantine: (f) => call("quarantine", f),
    verify: (q) => call("verify", q),
    availability: (q) => call("availability", q),
    close: async () => undefined,
  };
}

/** Answers when a centre listens on `socketPath`; false when nothing does. */
export function apiAnswers(socketPath: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: "/v1/status", method: "GET", timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}
