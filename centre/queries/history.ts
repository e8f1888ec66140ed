/**
 * The history questions (`roomgate history audit|alarms|health|quarantine`), as rows. No formatting
 * here: the CLI prints them (cli/history-format.ts) and the console pages will show the same rows.
 */
import type { Sql } from "../db/db.js";
import { whereOf, type HistoryFilter } from "./filters.js";

const DEFAULT_LIMIT = 1000;

export interface AuditEntry {
  site: string;
  seq: number;
  kind: "record" | "anchor";
  ts: number;
  user: string | null;
  device: string | null;
  action: string | null;
  status: string | null;
  durationMs: number | null;
  errorCode: string | null;
  commandId: string | null;
  eventId: string | null;
  historical: boolean | null;
  /** The anchor's data (rows removed, from which hash), for an anchor row. */
  anchor?: Record<string, unknown>;
}

export interface AlarmEntry {
  site: string;
  alarm: string;
  device: string | null;
  severity: string;
  code: string;
  message: string;
  raisedAt: number;
  ackedBy: string | null;
  ackedAt: number | null;
  clearedAt: number | null;
  /** ms from raised to acknowledged / cleared, when it was. */
  ackMs: number | null;
  clearMs: number | null;
}

export interface HealthEntry {
  site: string;
  device: string;
  at: number;
  status: string;
  previous: string | null;
  code: string | null;
  message: string | null;
}

export interface QuarantineEntry {
  id: number;
  receivedAt: number;
  topic: string;
  site: string | null;
  reason: string;
  detail: string | null;
  payload: string;
  encoding: string;
  bytes: number;
}

/** Newest `limit` rows matching, oldest first. */
function newest(sql: string, order: string, limit: number | undefined): string {
  return `select * from (${sql} order by ${order} desc limit ${Math.max(1, Math.min(limit ?? DEFAULT_LIMIT, 1_000_000))}) newest order by ${order} asc`;
}

export async function auditHistory(db: Sql, f: HistoryFilter): Promise<AuditEntry[]> {
  const params: (string | number | null)[] = [];
  const where = whereOf(f, { site: "site", device: "device", at: "ts" }, params);
  const rows = await db.query<Record<string, unknown>>(newest(`select * from audit where ${where}`, "ts, site, seq", f.limit), params);
  return rows.map((r) => ({
    site: r.site as string, seq: r.seq as number, kind: r.kind as "record" | "anchor", ts: r.ts as number, user: r.username as string | null,
    device: r.device as string | null, action: r.action as string | null, status: r.status as string | null, durationMs: r.duration_ms as number | null,
    errorCode: r.error_code as string | null, commandId: r.command_id as string | null, eventId: r.event_id as string | null,
    historical: r.historical as boolean | null, ...(r.kind === "anchor" ? { anchor: r.data as Record<string, unknown> } : {}),
  }));
}

export async function alarmHistory(db: Sql, f: HistoryFilter): Promise<AlarmEntry[]> {
  const params: (string | number | null)[] = [];
  const where = whereOf(f, { site: "site", device: "device", at: "raised_at" }, params);
  const rows = await db.query<Record<string, unknown>>(newest(`select * from alarms where ${where}`, "raised_at, site, alarm", f.limit), params);
  return rows.map((r) => {
    const raisedAt = r.raised_at as number;
    const ackedAt = r.acked_at as number | null;
    const clearedAt = r.cleared_at as number | null;
    return {
      site: r.site as string, alarm: r.alarm as string, device: r.device as string | null, severity: r.severity as string, code: r.code as string,
      message: r.message as string, raisedAt, ackedBy: r.acked_by as string | null, ackedAt, clearedAt,
      ackMs: ackedAt === null ? null : ackedAt - raisedAt, clearMs: clearedAt === null ? null : clearedAt - raisedAt,
    };
  });
}

/**
 * Device health changes. Two sources may see one change (the `health` event and the retained topic's
 * `since`), and a republish repeats a status: a row is a change only when the status differs from the
 * device's previous row.
 */
export async function healthHistory(db: Sql, f: HistoryFilter): Promise<HealthEntry[]> {
  const params: (string | number | null)[] = [];
  const inner = whereOf({ ...f, since: undefined }, { site: "site", device: "device", at: "at" }, params);
  const outer = f.since === undefined ? "true" : `at >= $${params.push(f.since)}`;
  const rows = await db.query<Record<string, unknown>>(
    newest(
      `select site, device, at, status, previous, code, message from (
         select site, device, at, status, code, message, lag(status) over (partition by site, device order by at, source) as previous
         from health where ${inner}
       ) changes where previous is distinct from status and ${outer}`,
      "at, site, device",
      f.limit,
    ),
    params,
  );
  return rows.map((r) => ({ site: r.site as string, device: r.device as string, at: r.at as number, status: r.status as string, previous: r.previous as string | null, code: r.code as string | null, message: r.message as string | null }));
}

export async function quarantineHistory(db: Sql, f: HistoryFilter): Promise<QuarantineEntry[]> {
  const params: (string | number | null)[] = [];
  const where = whereOf({ ...f, device: undefined }, { site: "site", at: "received_at" }, params);
  const rows = await db.query<Record<string, unknown>>(newest(`select * from quarantine where ${where}`, "received_at, id", f.limit), params);
  return rows.map((r) => ({
    id: r.id as number, receivedAt: r.received_at as number, topic: r.topic as string, site: r.site as string | null, reason: r.reason as string,
    detail: r.detail as string | null, payload: r.payload as string, encoding: r.encoding as string, bytes: r.bytes as number,
  }));
}
