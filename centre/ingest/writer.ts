/**
 * Writes one batch of decoded messages in the caller's transaction, with a handful of set-based
 * statements (jsonb_to_recordset) rather than one per message: the same SQL on PGlite and PostgreSQL.
 *
 * Every event row is inserted with ON CONFLICT DO NOTHING on (site, event_id); only the events that
 * were new produce derived rows (health, alarms, the audit chain), so redeliveries, outbox replays
 * and retained republishes never write anything twice. An event id already recorded with another
 * ts or type (an agent whose bootSeq went back) is quarantined, not dropped and not merged.
 */
import type { Readiness, SiteEvent } from "../../agent/topics.js";
import { sealRow, type AuditRow } from "../chain/audit.js";
import { GENESIS } from "../chain/canonical.js";
import type { Param, Sql } from "../db/db.js";
import { keptPayload, type Incoming, type Item, type QuarantineReason } from "./decode.js";

export interface Entry {
  item: Item;
  msg: Incoming;
}

export interface BatchCounts {
  /** Messages that changed the record. */
  recorded: number;
  /** Messages already recorded (redelivered events, retained republishes). */
  duplicates: number;
  quarantined: number;
}

const j = (rows: unknown[]): Param => JSON.stringify(rows);
/** A text PostgreSQL can keep: NUL written out visibly (a parser's message may quote the payload). */
const storable = (text: string): string => text.replaceAll("\u0000", "\\u0000");

/** Quarantines the given entries (or writes the batch's own quarantine items). */
export async function writeQuarantine(tx: Sql, rows: { msg: Incoming; site: string | null; reason: QuarantineReason; detail: string }[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `insert into quarantine (received_at, topic, site, reason, detail, payload, encoding, bytes)
     select received_at, topic, site, reason, detail, payload, encoding, bytes
     from jsonb_to_recordset($1::jsonb) as x(received_at bigint, topic text, site text, reason text, detail text, payload text, encoding text, bytes integer)`,
    [j(rows.map((r) => ({ received_at: r.msg.receivedAt, topic: r.msg.topic, site: r.site, reason: r.reason, detail: storable(r.detail.slice(0, 4000)), ...keptPayload(r.msg.payload) })))],
  );
}

export async function writeBatch(tx: Sql, entries: readonly Entry[]): Promise<BatchCounts> {
  const counts: BatchCounts = { recorded: 0, duplicates: 0, quarantined: 0 };
  const quarantine: { msg: Incoming; site: string | null; reason: QuarantineReason; detail: string }[] = [];
  const events: { e: SiteEvent; site: string; msg: Incoming }[] = [];
  const seenInBatch = new Set<string>();
  for (const { item, msg } of entries) {
    if (item.kind === "quarantine") quarantine.push({ msg, site: item.site, reason: item.reason, detail: item.detail });
    else if (item.kind === "event") {
      const key = `${item.site}\u0000${item.event.id}`;
      // The same event twice in one batch (a redelivery close behind the original): one row.
      if (seenInBatch.has(key)) counts.duplicates++;
      else {
        seenInBatch.add(key);
        events.push({ e: item.event, site: item.site, msg });
      }
    }
  }

  // -------------------------------------------------------------- events (the dedupe record)
  const fresh = new Set<string>();
  if (events.length > 0) {
    const inserted = await tx.query<{ site: string; event_id: string }>(
      `insert into events (site, event_id, ts, type, device, historical, data, received_at)
       select site, event_id, ts, type, device, historical, data, received_at
       from jsonb_to_recordset($1::jsonb) as x(site text, event_id text, ts bigint, type text, device text, historical boolean, data jsonb, received_at bigint)
       on conflict (site, event_id) do nothing
       returning site, event_id`,
      [j(events.map(({ e, site, msg }) => ({ site, event_id: e.id, ts: e.ts, type: e.type, device: e.device ?? null, historical: e.historical === true, data: e.data ?? null, received_at: msg.receivedAt })))],
    );
    for (const r of inserted) fresh.add(`${r.site}\u0000${r.event_id}`);
    const again = events.filter(({ e, site }) => !fresh.has(`${site}\u0000${e.id}`));
    if (again.length > 0) {
      const existing = await tx.query<{ site: string; event_id: string; ts: number; type: string }>(
        `select e.site, e.event_id, e.ts, e.type from events e
         join jsonb_to_recordset($1::jsonb) as x(site text, event_id text) on e.site = x.site and e.event_id = x.event_id`,
        [j(again.map(({ e, site }) => ({ site, event_id: e.id })))],
      );
      const byKey = new Map(existing.map((r) => [`${r.site}\u0000${r.event_id}`, r]));
      for (const { e, site, msg } of again) {
        const old = byKey.get(`${site}\u0000${e.id}`);
        if (old !== undefined && (old.ts !== e.ts || old.type !== e.type)) {
          quarantine.push({ msg, site, reason: "id_conflict", detail: `event ${e.id} is already recorded as a ${old.type} event at ${old.ts}; this one is a ${e.type} at ${e.ts} (did the agent's bootSeq go back?)` });
        } else counts.duplicates++;
      }
    }
  }
  const isNew = (site: string, e: SiteEvent) => fresh.has(`${site}\u0000${e.id}`);
  const newEvents = events.filter(({ e, site }) => isNew(site, e));
  counts.recorded += newEvents.length;

  // -------------------------------------------------------------- health
  const health: unknown[] = [];
  for (const { e, site, msg } of newEvents) {
    if (e.type !== "health" || e.device === undefined) continue;
    const d = e.data as { status: string; code?: string; message?: string };
    health.push({ site, device: e.device, at: e.ts, status: d.status, code: d.code ?? null, message: d.message ?? null, source: "event", event_id: e.id, received_at: msg.receivedAt });
  }
  const retainedHealth = entries.filter((x) => x.item.kind === "health");
  for (const { item, msg } of retainedHealth) {
    if (item.kind !== "health") continue;
    const h = item.health;
    health.push({ site: item.site, device: item.device, at: h.since, status: h.status, code: h.code ?? null, message: h.message ?? null, source: "retained", event_id: null, received_at: msg.receivedAt });
  }
  if (health.length > 0) {
    const rows = await tx.query(
      `insert into health (site, device, at, status, code, message, source, event_id, received_at)
       select site, device, at, status, code, message, source, event_id, received_at
       from jsonb_to_recordset($1::jsonb) as x(site text, device text, at bigint, status text, code text, message text, source text, event_id text, received_at bigint)
       on conflict do nothing returning 1 as n`,
      [j(health)],
    );
    tallyRetained(counts, retainedHealth.length, rows.length - (health.length - retainedHealth.length));
  }

  // -------------------------------------------------------------- agent births, stops and losses
  for (const { item, msg } of entries) {
    if (item.kind !== "agentState") continue;
    const s = item.state;
    let rows: unknown[];
    if (s.state === "lost") {
      // The will has no ts (written at connect time, published later): the time it reached us. It is
      // retained, so it comes again at every subscription: one loss per birth of that bootSeq.
      rows = await tx.query(
        `insert into agent_states (site, boot_seq, state, at, at_known, version, received_at)
         select $1, $2, 'lost', $3, false, null, $3
         where not exists (
           select 1 from agent_states l where l.site = $1 and l.boot_seq = $2 and l.state = 'lost'
             and l.at >= coalesce((select max(at) from agent_states o where o.site = $1 and o.boot_seq = $2 and o.state = 'online'), 0))
         on conflict do nothing returning 1 as n`,
        [item.site, s.bootSeq, msg.receivedAt],
      );
    } else {
      rows = await tx.query(
        `insert into agent_states (site, boot_seq, state, at, at_known, version, received_at) values ($1, $2, $3, $4, true, $5, $6)
         on conflict do nothing returning 1 as n`,
        [item.site, s.bootSeq, s.state, s.ts, s.state === "online" ? s.version : null, msg.receivedAt],
      );
    }
    tallyRetained(counts, 1, rows.length);
  }

  // -------------------------------------------------------------- inventories
  for (const { item, msg } of entries) {
    if (item.kind !== "meta") continue;
    const m = item.meta;
    const rows = await tx.query(
      `insert into sites (site, name, region, boot_seq, meta, meta_ts, received_at) values ($1, $2, $3::jsonb, $4, $5::jsonb, $6, $7)
       on conflict (site) do update set name = excluded.name, region = excluded.region, boot_seq = excluded.boot_seq, meta = excluded.meta,
         meta_ts = excluded.meta_ts, received_at = excluded.received_at
       where sites.meta_ts < excluded.meta_ts returning 1 as n`,
      [item.site, m.name ?? null, JSON.stringify(m.region), m.bootSeq, JSON.stringify(m), m.ts, msg.receivedAt],
    );
    tallyRetained(counts, 1, rows.length);
  }

  // -------------------------------------------------------------- readiness reports
  const reports = entries.filter((x) => x.item.kind === "readiness");
  if (reports.length > 0) {
    const rows = await tx.query(
      `insert into readiness (site, check_id, ts, started_at, result, trigger, requested_by, duration_ms, pass, warn, fail, skip, report, received_at)
       select site, check_id, ts, started_at, result, trigger, requested_by, duration_ms, pass, warn, fail, skip, report, received_at
       from jsonb_to_recordset($1::jsonb) as x(site text, check_id text, ts bigint, started_at bigint, result text, trigger text, requested_by text,
         duration_ms double precision, pass integer, warn integer, fail integer, skip integer, report jsonb, received_at bigint)
       on conflict do nothing returning 1 as n`,
      [j(reports.map(({ item, msg }) => {
        const r = (item as { report: Readiness }).report;
        return {
          site: item.site, check_id: r.id, ts: r.ts, started_at: r.startedAt, result: r.result, trigger: r.trigger, requested_by: r.requestedBy ?? null,
          duration_ms: r.durationMs, pass: r.counts.pass, warn: r.counts.warn, fail: r.counts.fail, skip: r.counts.skip, report: r, received_at: msg.receivedAt,
        };
      }))],
    );
    tallyRetained(counts, reports.length, rows.length);
  }

  // -------------------------------------------------------------- alarms: raises first, then acks and clears
  const raises: unknown[] = [];
  for (const { e, site, msg } of newEvents) {
    if (e.type !== "alarm.raised") continue;
    const d = e.data as { alarm: string; severity: string; code: string; device?: string; raisedAt: number; message: string; ack?: { user: string; at: number } };
    raises.push({ site, alarm: d.alarm, raised_at: d.raisedAt, severity: d.severity, code: d.code, device: d.device ?? e.device ?? null, message: d.message, acked_by: d.ack?.user ?? null, acked_at: d.ack?.at ?? null, raised_event: e.id, received_at: msg.receivedAt });
  }
  const retainedAlarms = entries.filter((x) => x.item.kind === "alarm" && x.item.value !== null);
  for (const { item, msg } of retainedAlarms) {
    if (item.kind !== "alarm" || item.value === null) continue;
    const a = item.value;
    raises.push({ site: item.site, alarm: item.alarm, raised_at: a.raisedAt, severity: a.severity, code: a.code, device: a.device ?? null, message: a.message, acked_by: a.ack?.user ?? null, acked_at: a.ack?.at ?? null, raised_event: null, received_at: msg.receivedAt });
  }
  if (raises.length > 0) {
    // One statement may not touch a row twice: the event and the retained copy of one raise in the same batch.
    const byKey = new Map<string, Record<string, unknown>>();
    for (const r of raises as Record<string, unknown>[]) {
      const key = `${String(r.site)}\u0000${String(r.alarm)}\u0000${String(r.raised_at)}`;
      const prev = byKey.get(key);
      byKey.set(key, prev === undefined ? r : { ...prev, raised_event: prev.raised_event ?? r.raised_event, acked_by: prev.acked_by ?? r.acked_by, acked_at: prev.acked_at ?? r.acked_at });
    }
    const rows = await tx.query(
      `insert into alarms (site, alarm, raised_at, severity, code, device, message, acked_by, acked_at, raised_event, received_at)
       select site, alarm, raised_at, severity, code, device, message, acked_by, acked_at, raised_event, received_at
       from jsonb_to_recordset($1::jsonb) as x(site text, alarm text, raised_at bigint, severity text, code text, device text, message text,
         acked_by text, acked_at bigint, raised_event text, received_at bigint)
       on conflict (site, alarm, raised_at) do update set
         raised_event = coalesce(alarms.raised_event, excluded.raised_event),
         acked_by = coalesce(alarms.acked_by, excluded.acked_by),
         acked_at = coalesce(alarms.acked_at, excluded.acked_at)
       where alarms.raised_event is distinct from coalesce(alarms.raised_event, excluded.raised_event)
          or alarms.acked_by is distinct from coalesce(alarms.acked_by, excluded.acked_by)
       returning 1 as n`,
      [j([...byKey.values()])],
    );
    tallyRetained(counts, retainedAlarms.length, rows.length - (raises.length - retainedAlarms.length));
  }
  for (const { e, site } of newEvents) {
    if (e.type === "alarm.acked") {
      const d = e.data as { alarm?: unknown; user?: unknown; at?: unknown };
      if (typeof d.alarm !== "string" || typeof d.user !== "string") continue;
      const at = typeof d.at === "number" ? d.at : e.ts;
      await tx.query(
        `update alarms set acked_by = $3, acked_at = $4
         where site = $1 and alarm = $2 and acked_by is null and raised_at = (select max(raised_at) from alarms where site = $1 and alarm = $2 and raised_at <= $4)`,
        [site, d.alarm, d.user, at],
      );
    } else if (e.type === "alarm.cleared") {
      const d = e.data as { alarm: string; clearedAt: number };
      // The event's clearedAt is exact; a clear seen only as an empty retained payload (time of arrival) gives way to it.
      await tx.query(
        `update alarms set cleared_at = $3, cleared_source = 'event'
         where site = $1 and alarm = $2 and (cleared_at is null or cleared_source = 'retained')
           and raised_at = (select max(raised_at) from alarms where site = $1 and alarm = $2 and raised_at <= $3)`,
        [site, d.alarm, d.clearedAt],
      );
    }
  }
  for (const { item, msg } of entries) {
    if (item.kind !== "alarm" || item.value !== null) continue;
    const rows = await tx.query(
      `update alarms set cleared_at = $3, cleared_source = 'retained'
       where site = $1 and alarm = $2 and cleared_at is null and raised_at <= $3 returning 1 as n`,
      [item.site, item.alarm, msg.receivedAt],
    );
    tallyRetained(counts, 1, rows.length);
  }

  // -------------------------------------------------------------- the audit chain
  const commands = newEvents.filter(({ e }) => e.type === "command");
  if (commands.length > 0) await appendAudit(tx, commands);

  await writeQuarantine(tx, quarantine);
  counts.quarantined += quarantine.length;
  return counts;
}

/** A retained message changed the record if its statement touched a row; else it was a republish. */
function tallyRetained(counts: BatchCounts, messages: number, changed: number): void {
  const c = Math.max(0, Math.min(messages, changed));
  counts.recorded += c;
  counts.duplicates += messages - c;
}

async function appendAudit(tx: Sql, commands: { e: SiteEvent; site: string; msg: Incoming }[]): Promise<void> {
  const sites = [...new Set(commands.map((c) => c.site))].sort();
  await tx.query(
    `insert into chain_heads (site, seq, hash) select value, 0, $2 from jsonb_array_elements_text($1::jsonb) on conflict do nothing`,
    [JSON.stringify(sites), GENESIS],
  );
  // Row locks: the retention cut and a second centre append to a chain one at a time.
  const heads = await tx.query<{ site: string; seq: number; hash: string }>(
    `select site, seq, hash from chain_heads where site in (select value from jsonb_array_elements_text($1::jsonb)) order by site for update`,
    [JSON.stringify(sites)],
  );
  const head = new Map(heads.map((h) => [h.site, { seq: h.seq, hash: h.hash }]));
  const rows: AuditRow[] = [];
  for (const { e, site, msg } of commands) {
    const h = head.get(site)!;
    const d = e.data as { id: string; user: string; device?: string | null; action: string | null; status: string; durationMs: number; errorCode?: string };
    const row = sealRow({
      site, seq: h.seq + 1, kind: "record", event_id: e.id, ts: e.ts, username: d.user, device: d.device ?? e.device ?? null, action: d.action,
      status: d.status, duration_ms: d.durationMs, error_code: d.errorCode ?? null, command_id: d.id, historical: e.historical === true,
      data: e.data ?? {}, received_at: msg.receivedAt, prev_hash: h.hash,
    });
    rows.push(row);
    head.set(site, { seq: row.seq, hash: row.hash });
  }
  await insertAuditRows(tx, rows);
  await tx.query(
    `update chain_heads c set seq = x.seq, hash = x.hash from jsonb_to_recordset($1::jsonb) as x(site text, seq bigint, hash text) where c.site = x.site`,
    [j([...head].map(([site, h]) => ({ site, seq: h.seq, hash: h.hash })))],
  );
}

export async function insertAuditRows(tx: Sql, rows: AuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `insert into audit (site, seq, kind, event_id, ts, username, device, action, status, duration_ms, error_code, command_id, historical, data, received_at, prev_hash, hash)
     select site, seq, kind, event_id, ts, username, device, action, status, duration_ms, error_code, command_id, historical, data, received_at, prev_hash, hash
     from jsonb_to_recordset($1::jsonb) as x(site text, seq bigint, kind text, event_id text, ts bigint, username text, device text, action text, status text,
       duration_ms double precision, error_code text, command_id text, historical boolean, data jsonb, received_at bigint, prev_hash text, hash text)`,
    [j(rows)],
  );
}
