/**
 * What a history question can narrow by, and how a user writes it: `--since 7d` (or 12h, 30m, or an
 * ISO date), `--until`, `--month 2026-11`. Months are calendar months in UTC.
 */
export interface HistoryFilter {
  site?: string;
  device?: string;
  /** ms since the epoch, inclusive. */
  since?: number;
  /** ms since the epoch, exclusive. */
  until?: number;
  /** At most this many rows, the newest ones (shown oldest first). Default 1000. */
  limit?: number;
}

export class FilterError extends Error {
  readonly code = "bad_filter";
}

/** `7d`, `12h`, `30m`, `90s` before `now`, or an ISO date/time. */
export function parseSince(text: string, now: number): number {
  const rel = /^(\d+)(d|h|m|s)$/.exec(text.trim());
  if (rel) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[rel[2] as "d" | "h" | "m" | "s"];
    return now - Number(rel[1]) * unit;
  }
  const t = Date.parse(text);
  if (!Number.isFinite(t)) throw new FilterError(`expected a duration (7d, 12h, 30m) or an ISO date (2026-11-03, 2026-11-03T10:00:00Z), got "${text}"`);
  return t;
}

/** `2026-11` -> [start, end) in ms, UTC. */
export function monthRange(text: string): { start: number; end: number; month: string } {
  const m = /^(\d{4})-(\d{2})$/.exec(text.trim());
  const month = m === null ? NaN : Number(m[2]);
  if (m === null || month < 1 || month > 12) throw new FilterError(`expected a month as YYYY-MM (2026-11), got "${text}"`);
  const year = Number(m[1]);
  return { start: Date.UTC(year, month - 1, 1), end: Date.UTC(year, month, 1), month: `${m[1]}-${m[2]}` };
}

/** The SQL `where` of a filter on a table's site/device/time columns, parameters appended to `params`. */
export function whereOf(f: HistoryFilter, cols: { site?: string; device?: string; at: string }, params: (string | number | null)[]): string {
  const parts: string[] = [];
  const p = (v: string | number) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (f.site !== undefined && cols.site) parts.push(`${cols.site} = ${p(f.site)}`);
  if (f.device !== undefined && cols.device) parts.push(`${cols.device} = ${p(f.device)}`);
  if (f.since !== undefined) parts.push(`${cols.at} >= ${p(f.since)}`);
  if (f.until !== undefined) parts.push(`${cols.at} < ${p(f.until)}`);
  return parts.length === 0 ? "true" : parts.join(" and ");
}
