/**
 * How `roomgate history` prints rows: an aligned table for a person (times in UTC), CSV (RFC 4180)
 * or JSON for a program. The rows come from centre/queries (through a reader); nothing is computed here.
 */
import type { AlarmEntry, AuditEntry, HealthEntry, QuarantineEntry } from "../centre/queries/history.js";

export type Format = "table" | "csv" | "json";

export interface Table {
  header: string[];
  rows: (string | number | null)[][];
}

const iso = (t: number | null) => (t === null ? "" : new Date(t).toISOString().replace(/\.000Z$/, "Z"));
export const duration = (ms: number | null): string => {
  if (ms === null) return "";
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.round(ms / 360_000) / 10} h`;
  return `${Math.round(ms / 8_640_000) / 10} d`;
};

export function auditTable(rows: AuditEntry[]): Table {
  return {
    header: ["time", "site", "seq", "user", "device", "action", "status", "ms", "error", "command", "event", "historical"],
    rows: rows.map((r) =>
      r.kind === "anchor"
        ? [iso(r.ts), r.site, r.seq, "", "", `(retention: rows ${String(r.anchor?.firstRemovedSeq)}..${String(r.anchor?.cutSeq)} removed, ${String(r.anchor?.removed)} rows older than ${iso(Number(r.anchor?.removedBefore))})`, "anchor", "", "", "", "", ""]
        : [iso(r.ts), r.site, r.seq, r.user, r.device ?? "-", r.action, r.status, r.durationMs === null ? "" : Math.round(r.durationMs), r.errorCode, r.commandId, r.eventId, r.historical ? "yes" : ""],
    ),
  };
}

export function alarmTable(rows: AlarmEntry[]): Table {
  return {
    header: ["raised", "site", "alarm", "device", "severity", "code", "acked by", "acked", "to ack", "cleared", "to clear", "message"],
    rows: rows.map((r) => [iso(r.raisedAt), r.site, r.alarm, r.device ?? "", r.severity, r.code, r.ackedBy ?? "", iso(r.ackedAt), duration(r.ackMs), r.clearedAt === null ? "active" : iso(r.clearedAt), duration(r.clearMs), r.message]),
  };
}

export function healthTable(rows: HealthEntry[]): Table {
  return {
    header: ["time", "site", "device", "status", "was", "code", "message"],
    rows: rows.map((r) => [iso(r.at), r.site, r.device, r.status, r.previous ?? "", r.code ?? "", r.message ?? ""]),
  };
}

export function quarantineTable(rows: QuarantineEntry[]): Table {
  return {
    header: ["received", "site", "topic", "reason", "detail", "bytes", "payload"],
    rows: rows.map((r) => [iso(r.receivedAt), r.site ?? "", r.topic, r.reason, (r.detail ?? "").split("\n")[0] ?? "", r.bytes, r.encoding === "utf8" ? r.payload.slice(0, 120) : `base64:${r.payload.slice(0, 100)}`]),
  };
}

const csvCell = (v: string | number | null): string => {
  const s = v === null ? "" : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export function toCsv(t: Table): string {
  return [t.header, ...t.rows].map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

export function toText(t: Table): string {
  const cells = [t.header, ...t.rows.map((r) => r.map((v) => (v === null ? "" : String(v).replace(/\s+/g, " "))))];
  const widths = t.header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  // The last column (a message) is not padded.
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}

export function render(t: Table, rows: unknown[], format: Format): string {
  if (format === "json") return `${JSON.stringify(rows, null, 2)}\n`;
  if (format === "csv") return toCsv(t);
  return rows.length === 0 ? "(nothing recorded matches)\n" : toText(t);
}
