/**
 * Retention, per kind (the centre file's `retention`, in days), applied daily. Oldest rows go first,
 * in bounded deletes, so a run cut short leaves the oldest gone and nothing else; the newest row of a
 * series is never removed: a device's last health row before the cut (its status at the cut), a
 * site's last agent state and last readiness report, any alarm still active, and the head of each
 * audit chain.
 *
 * The audit chain is cut, per site and in one transaction, at the longest prefix of rows all older
 * than the cut (a row replayed late with an old time waits for the rows before it), and an anchor is
 * appended at the head, signed with the centre's key (centre/chain/audit.ts): no silent gap.
 */
import { createHash } from "node:crypto";
import type { CentreRetention } from "../config/centre.js";
import type { Clock, Logger } from "../drivers/types.js";
import { makeAnchor, type AuditRow } from "./chain/audit.js";
import type { ChainKey } from "./chain/keys.js";
import type { Db, Sql } from "./db/db.js";
import { insertAuditRows } from "./ingest/writer.js";

const DAY = 86_400_000;
const CHUNK = 10_000;

export interface RetentionResult {
  at: number;
  removed: Record<keyof CentreRetention, number>;
  /** Audit anchors appended, by site. */
  anchors: Record<string, { cutSeq: number; removed: number }>;
  /** A digest of every chain head (site, seq, hash), logged so that it can be kept outside the database. */
  headsDigest: string;
}

/** Deletes, oldest first and CHUNK rows at a time, the rows `pick` selects (a query returning ctid-free keys). */
async function chunked(db: Db, deleteSql: string, params: (string | number)[]): Promise<number> {
  let total = 0;
  for (;;) {
    const rows = await db.query<{ n: number }>(`with gone as (${deleteSql} returning 1) select count(*)::int as n from gone`, [...params, CHUNK]);
    const n = rows[0]?.n ?? 0;
    total += n;
    if (n < CHUNK) return total;
  }
}

export async function applyRetention(db: Db, retention: CentreRetention, now: number, key: ChainKey, logger?: Logger): Promise<RetentionResult> {
  const cut = (days: number) => now - days * DAY;
  const removed = { audit: 0, alarms: 0, health: 0, agents: 0, readiness: 0, events: 0, quarantine: 0 } as RetentionResult["removed"];

  // A device's newest row before the cut stays: it says the device's status at the cut.
  removed.health = await chunked(
    db,
    `delete from health where (site, device, at, status, source) in (
       select site, device, at, status, source from health h where at < $1
         and exists (select 1 from health n where n.site = h.site and n.device = h.device and n.at > h.at and n.at < $1)
       order by at limit $2)`,
    [cut(retention.health)],
  );
  removed.agents = await chunked(
    db,
    `delete from agent_states where (site, boot_seq, state, at) in (
       select site, boot_seq, state, at from agent_states a where at < $1
         and exists (select 1 from agent_states n where n.site = a.site and n.at > a.at and n.at < $1)
       order by at limit $2)`,
    [cut(retention.agents)],
  );
  removed.readiness = await chunked(
    db,
    `delete from readiness where (site, check_id) in (
       select site, check_id from readiness r where ts < $1 and exists (select 1 from readiness n where n.site = r.site and n.ts > r.ts)
       order by ts limit $2)`,
    [cut(retention.readiness)],
  );
  // An active alarm is never removed, however old.
  removed.alarms = await chunked(
    db,
    `delete from alarms where (site, alarm, raised_at) in (
       select site, alarm, raised_at from alarms where cleared_at is not null and cleared_at < $1 order by cleared_at limit $2)`,
    [cut(retention.alarms)],
  );
  removed.events = await chunked(db, `delete from events where (site, event_id) in (select site, event_id from events where ts < $1 order by ts limit $2)`, [cut(retention.events)]);
  removed.quarantine = await chunked(db, `delete from quarantine where id in (select id from quarantine where received_at < $1 order by received_at limit $2)`, [cut(retention.quarantine)]);

  const anchors: RetentionResult["anchors"] = {};
  const auditCut = cut(retention.audit);
  const sites = await db.query<{ site: string }>(`select distinct site from audit where ts < $1 order by site`, [auditCut]);
  for (const { site } of sites) {
    const a = await db.transaction((tx) => cutChain(tx, site, auditCut, retention.audit, now, key));
    if (a !== undefined) {
      anchors[site] = a;
      removed.audit += a.removed;
    }
  }

  for (const [kind, n] of Object.entries(removed)) {
    const days = retention[kind as keyof CentreRetention];
    if (n > 0) await db.query("insert into retention_runs (at, kind, cutoff, removed) values ($1, $2, $3, $4)", [now, kind, cut(days), n]);
  }
  const heads = await db.query<{ site: string; seq: number; hash: string }>("select site, seq, hash from chain_heads order by site");
  const headsDigest = createHash("sha256").update(heads.map((h) => `${h.site} ${h.seq} ${h.hash}`).join("\n")).digest("hex");
  logger?.info({ removed, anchors: Object.keys(anchors).length, chainHeads: heads.length, headsDigest }, "retention applied; keep this chain-heads digest outside the database");
  return { at: now, removed, anchors, headsDigest };
}

async function cutChain(tx: Sql, site: string, cutoff: number, days: number, now: number, key: ChainKey): Promise<{ cutSeq: number; removed: number } | undefined> {
  const head = (await tx.query<{ seq: number; hash: string }>("select seq, hash from chain_heads where site = $1 for update", [site]))[0];
  if (head === undefined) return undefined;
  const first = (await tx.query<{ seq: number }>("select min(seq) as seq from audit where site = $1", [site]))[0]?.seq;
  if (first === undefined || first === null) return undefined;
  // The longest prefix all older than the cut; never the head itself.
  const young = (await tx.query<{ seq: number | null }>("select min(seq) as seq from audit where site = $1 and ts >= $2", [site, cutoff]))[0]?.seq ?? null;
  const cutSeq = Math.min(young === null ? head.seq : young - 1, head.seq - 1);
  if (cutSeq < first) return undefined;
  const span = (await tx.query<{ n: number; oldest: number; newest: number }>(
    "select count(*)::int as n, min(ts) as oldest, max(ts) as newest from audit where site = $1 and seq <= $2",
    [site, cutSeq],
  ))[0]!;
  const last = (await tx.query<{ hash: string }>("select hash from audit where site = $1 and seq = $2", [site, cutSeq]))[0];
  if (last === undefined) throw new Error(`audit chain of ${site}: row ${cutSeq} is missing; run roomgate history verify before retention can cut it`);
  const anchor: AuditRow = makeAnchor(key, { site, seq: head.seq + 1, ts: now, prevHash: head.hash }, {
    cutSeq, continuesFrom: last.hash, removed: span.n, firstRemovedSeq: first, oldestRemovedTs: span.oldest, newestRemovedTs: span.newest, removedBefore: cutoff, retentionDays: days,
  });
  await tx.query("delete from audit where site = $1 and seq <= $2", [site, cutSeq]);
  await insertAuditRows(tx, [anchor]);
  await tx.query("update chain_heads set seq = $2, hash = $3 where site = $1", [site, anchor.seq, anchor.hash]);
  return { cutSeq, removed: span.n };
}

/** Runs retention now and then every 24 hours on the given clock. Errors are logged, and the next day tries again. */
export class RetentionSchedule {
  private timer: unknown;
  private running: Promise<unknown> | undefined;
  constructor(
    private readonly run: () => Promise<RetentionResult>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  start(firstInMs = 60_000): void {
    this.timer = this.clock.setTimeout(() => {
      this.tick();
      this.timer = this.clock.setInterval(() => this.tick(), DAY);
    }, firstInMs);
  }

  /** The run in progress, if any (tests await it). */
  get current(): Promise<unknown> | undefined {
    return this.running;
  }

  private tick(): void {
    if (this.running !== undefined) return;
    this.running = this.run()
      .catch((err: unknown) => this.logger.error({ err: (err as Error).message }, "retention failed; it runs again tomorrow"))
      .finally(() => (this.running = undefined));
  }

  stop(): Promise<unknown> {
    this.clock.clearTimeout(this.timer as never);
    this.clock.clearInterval(this.timer as never);
    return this.running ?? Promise.resolve();
  }
}
