/**
 * What the centre's record must do, whichever database keeps it: one suite, run against PGlite
 * (test/centre-store-pglite.test.ts) and against a PostgreSQL server (test/centre-store-postgres.test.ts),
 * the way aedes-persistence's abstract suite runs against every persistence. Messages go through the
 * recorder's own path (decode, then one transaction of writeBatch per delivery batch); MQTT is
 * test/centre.e2e.test.ts's business.
 */
import { generateKeyPairSync } from "node:crypto";
import { afterEach, beforeEach, expect, it } from "vitest";
import { GENESIS } from "../centre/chain/canonical.js";
import type { ChainKey } from "../centre/chain/keys.js";
import { keyIdOf } from "../centre/chain/keys.js";
import type { Db } from "../centre/db/db.js";
import { migrate, schemaVersion, SchemaError } from "../centre/db/migrate.js";
import { MIGRATIONS } from "../centre/db/schema.js";
import { decode } from "../centre/ingest/decode.js";
import { writeBatch, type BatchCounts } from "../centre/ingest/writer.js";
import { availabilityReport } from "../centre/queries/availability.js";
import { monthRange } from "../centre/queries/filters.js";
import { alarmHistory, auditHistory, healthHistory, quarantineHistory } from "../centre/queries/history.js";
import { verifyAudit } from "../centre/queries/verify.js";
import { applyRetention } from "../centre/retention.js";
import { centreRetentionSchema } from "../config/centre.js";
import { incoming, Site, type Msg } from "./helpers/centre.js";

export interface StoreFactory {
  /** A fresh, empty database (no schema yet). */
  open(): Promise<Db>;
}

const T0 = Date.UTC(2026, 10, 3, 10, 0, 0); // 2026-11-03 10:00 UTC
const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function testKey(): ChainKey {
  const pair = generateKeyPairSync("ed25519");
  const publicPem = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
  return { keyId: keyIdOf(publicPem), publicPem, privateKey: pair.privateKey };
}

/** Registers the suite's tests (call inside a describe). */
export function storeConformance(factory: StoreFactory): void {
  let db: Db;
  let received = T0;
  const ingest = (msgs: Msg[]): Promise<BatchCounts> => {
    received += 1000;
    const entries = msgs.map((m) => {
      const msg = incoming(m, received);
      return { msg, item: decode(msg) };
    });
    return db.transaction((tx) => writeBatch(tx, entries));
  };
  const count = async (table: string, where = "true") => (await db.query<{ n: number }>(`select count(*)::int as n from ${table} where ${where}`))[0]!.n;

  beforeEach(async () => {
    db = await factory.open();
    await migrate(db, () => T0);
  });
  afterEach(async () => {
    await db?.close();
  });

  it("migrates a fresh database to the newest schema once, and refuses a schema newer than it knows", async () => {
    expect(await schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    expect(await migrate(db, () => T0)).toEqual({ from: 1, to: 1, applied: [] });
    await db.query("insert into schema_migrations (version, name, applied_at) values (99, 'from a newer roomgate', 0)");
    const err = await migrate(db, () => T0).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaError);
    expect(err).toMatchObject({ code: "schema_too_new" });
    expect((err as Error).message).toContain("version 99, newer than this centre knows (1)");
  });

  it("applies a migration whole or not at all", async () => {
    const broken = [...MIGRATIONS, { version: 2, name: "half", sql: "create table half_done (x integer); select 1 / 0;" }];
    await expect(migrate(db, () => T0, broken)).rejects.toMatchObject({ code: "22012" });
    expect(await schemaVersion(db)).toBe(1);
    expect((await db.query<{ t: string | null }>("select to_regclass('half_done')::text as t"))[0]!.t).toBeNull();
    const fixed = [...MIGRATIONS, { version: 2, name: "whole", sql: "create table whole_done (x integer);" }];
    expect(await migrate(db, () => T0, fixed)).toEqual({ from: 1, to: 2, applied: [2] });
  });

  it("stores every event once: redelivered, replayed as history, or twice in one batch", async () => {
    const s = new Site("district-07", 12);
    const cmd = s.command(T0, "op-anna", "cam-main", "preset.recall");
    const health = s.healthEvent(T0 + 1000, "cam-main", "unreachable", { code: "timeout" });
    expect(await ingest([cmd, health, cmd])).toEqual({ recorded: 2, duplicates: 1, quarantined: 0 });
    // The outbox replays the same ids after an outage, now marked historical.
    const replay = (m: Msg) => ({ ...m, payload: JSON.stringify({ ...JSON.parse(m.payload), historical: true }) });
    expect(await ingest([replay(cmd), replay(health), cmd])).toEqual({ recorded: 0, duplicates: 3, quarantined: 0 });
    expect(await count("events")).toBe(2);
    expect(await count("audit")).toBe(1);
    expect(await count("health")).toBe(1);
  });

  it("stores retained republishes once: births, health, alarms, readiness and inventories after every reconnect", async () => {
    const s = new Site("district-07", 12);
    const retained = [s.birth(T0), s.healthRetained("cam-main", "ok", T0), s.alarmRetained("enc-1-not-secure", { severity: "critical", code: "not_secure", device: "enc-1", raisedAt: T0, message: "TUNNEL_DOWN" }), s.readiness(T0, "chk-12-1", "pass"), s.meta(T0, ["cam-main", "enc-1"])];
    expect(await ingest(retained)).toEqual({ recorded: 5, duplicates: 0, quarantined: 0 });
    expect(await ingest(retained)).toEqual({ recorded: 0, duplicates: 5, quarantined: 0 });
    for (const t of ["agent_states", "health", "alarms", "readiness", "sites"]) expect([t, await count(t)]).toEqual([t, 1]);
    // The will comes back retained at every subscription: one loss per birth. A reconnect (same
    // bootSeq, new birth) then a second loss is a second loss.
    await ingest([s.lost()]);
    await ingest([s.lost()]);
    await ingest([s.birth(T0 + HOUR)]);
    received = T0 + 2 * HOUR;
    await ingest([s.lost()]);
    expect((await db.query<{ state: string }>("select state from agent_states order by at, state")).map((r) => r.state)).toEqual(["online", "lost", "online", "lost"]);
  });

  it("quarantines what is not JSON, fails its schema or claims another site, with the reason, and records none of it", async () => {
    const s = new Site("district-07");
    const bad: Msg[] = [
      { topic: "roomgate/v1/district-07/event", payload: "{not json", retain: false },
      { topic: "roomgate/v1/district-07/event", payload: JSON.stringify({ id: "x", ts: T0, type: "command" }), retain: false },
      s.meta(T0, ["cam-main"], "district-09"),
      s.readiness(T0, "chk-1-1", "pass", "district-09"),
      { topic: "roomgate/v1/district-07/dev/cam-main/health", payload: Buffer.from([0xff, 0x00, 0x41]).toString("latin1"), retain: true },
      // Valid JSON and schema, but PostgreSQL cannot keep a NUL in text or jsonb.
      s.event("driver", T0, { type: "garbled_frame", message: "a\u0000b" }, { device: "cam-main", id: "9-9" }),
    ];
    expect(await ingest(bad)).toEqual({ recorded: 0, duplicates: 0, quarantined: 6 });
    const q = await quarantineHistory(db, {});
    expect(q.map((r) => r.reason)).toEqual(["not_json", "schema", "site_mismatch", "site_mismatch", "not_json", "unstorable"]);
    expect(q[4]).toMatchObject({ encoding: "base64" });
    expect(q[0]).toMatchObject({ topic: "roomgate/v1/district-07/event", site: "district-07", payload: "{not json", encoding: "utf8" });
    expect(q[1]!.detail).toContain("id");
    expect(q[2]!.detail).toContain('claims site "district-09"');
    for (const t of ["events", "sites", "readiness", "health"]) expect([t, await count(t)]).toEqual([t, 0]);
    // An id already recorded with other content (an agent whose bootSeq went back) is neither merged nor dropped.
    await ingest([s.command(T0, "op-anna", "cam-main", "power")]);
    expect(await ingest([s.healthEvent(T0 + DAY, "cam-main", "ok", {}), s.command(T0 + DAY, "op-bao", "cam-main", "home", "ok", { id: "1-1" })])).toMatchObject({ quarantined: 1 });
    expect((await quarantineHistory(db, {})).at(-1)).toMatchObject({ reason: "id_conflict" });
    expect((await auditHistory(db, {})).map((a) => a.user)).toEqual(["op-anna"]);
  });

  it("keeps an alarm's life in one row: raised, acknowledged by whom, cleared, whichever way each was seen", async () => {
    const s = new Site("district-07", 3);
    await ingest([s.alarmRaised(T0, "cam-main-health", "cam-main")]);
    await ingest([s.alarmRetained("cam-main-health", { severity: "major", code: "timeout", device: "cam-main", raisedAt: T0, message: "cam-main unreachable", ack: { user: "op-anna", at: T0 + 5 * MIN } })]);
    await ingest([s.alarmAcked(T0 + 5 * MIN, "cam-main-health", "op-anna"), s.alarmCleared(T0 + 20 * MIN, "cam-main-health")]);
    // Raised again later, cleared only by the empty retained payload (arrival time).
    await ingest([s.alarmRaised(T0 + HOUR, "cam-main-health", "cam-main")]);
    received = T0 + 2 * HOUR - 1000;
    await ingest([s.alarmRetained("cam-main-health", null)]);
    expect(await alarmHistory(db, { site: "district-07" })).toEqual([
      expect.objectContaining({ alarm: "cam-main-health", raisedAt: T0, ackedBy: "op-anna", ackMs: 5 * MIN, clearedAt: T0 + 20 * MIN, clearMs: 20 * MIN }),
      expect.objectContaining({ raisedAt: T0 + HOUR, ackedBy: null, clearedAt: T0 + 2 * HOUR, clearMs: HOUR }),
    ]);
  });

  it("shows a device's health changes once, whether seen as an event, as the retained topic, or both", async () => {
    const s = new Site("district-07");
    await ingest([s.healthRetained("cam-main", "ok", T0)]);
    await ingest([s.healthEvent(T0 + MIN, "cam-main", "unreachable", { code: "timeout" }), s.healthRetained("cam-main", "unreachable", T0 + MIN - 200)]);
    await ingest([s.healthRetained("cam-main", "unreachable", T0 + MIN - 200)]);
    await ingest([s.healthEvent(T0 + 10 * MIN, "cam-main", "ok")]);
    expect((await healthHistory(db, { device: "cam-main" })).map((h) => [h.at - T0, h.status, h.previous])).toEqual([
      [0, "ok", null],
      [MIN - 200, "unreachable", "ok"],
      [10 * MIN, "ok", "unreachable"],
    ]);
    expect(await healthHistory(db, { since: T0 + 5 * MIN })).toHaveLength(1);
  });

  it("chains each site's audit rows: verify passes, then names the row edited in the database", async () => {
    const a = new Site("district-07");
    const b = new Site("district-09");
    await ingest([a.command(T0, "op-anna", "cam-main", "preset.recall"), b.command(T0, "op-bao", "led-1", "power")]);
    await ingest([a.command(T0 + MIN, "op-anna", "led-wall", "input", "error"), a.command(T0 + 2 * MIN, "op-chi", undefined, "readiness.run")]);
    const ok = await verifyAudit(db, {}, new Map());
    expect(ok.map((v) => [v.site, v.ok, v.rows])).toEqual([["district-07", true, 3], ["district-09", true, 1]]);
    const rows = await db.query<{ seq: number; prev_hash: string; hash: string }>("select seq, prev_hash, hash from audit where site = 'district-07' order by seq");
    expect(rows[0]!.prev_hash).toBe(GENESIS);
    expect(rows[1]!.prev_hash).toBe(rows[0]!.hash);

    await db.query("update audit set username = 'op-bao' where site = 'district-07' and seq = 2");
    const [bad, other] = await verifyAudit(db, {}, new Map());
    expect(bad).toMatchObject({ site: "district-07", ok: false, problem: { seq: 2, what: "changed", row: { username: "op-bao", action: "input" } } });
    expect(bad!.problem!.message).toMatch(/^row 2 \(event 1-2, 2026-11-03T10:01:00.000Z, op-bao led-wall input\) was changed: its content does not match its hash$/);
    expect(other!.ok).toBe(true);
    expect(await verifyAudit(db, { site: "district-09" }, new Map())).toHaveLength(1);
  });

  it("names a row rewritten with its hash recomputed, a row removed from the middle, and rows removed from the end", async () => {
    const s = new Site("district-07");
    for (let i = 0; i < 5; i++) await ingest([s.command(T0 + i * MIN, "op-anna", "cam-main", `preset.recall`)]);
    const { sealRow } = await import("../centre/chain/audit.js");
    const row3 = (await db.query<import("../centre/chain/audit.js").AuditRow>("select * from audit where site = 'district-07' and seq = 3"))[0]!;
    const forged = sealRow({ ...row3, action: "power" });
    await db.query("update audit set action = 'power', hash = $1 where site = 'district-07' and seq = 3", [forged.hash]);
    expect((await verifyAudit(db, {}, new Map()))[0]!.problem).toMatchObject({ seq: 3, what: "changed" });
    await db.query("update audit set action = 'preset.recall', hash = $1 where site = 'district-07' and seq = 3", [row3.hash]);
    expect((await verifyAudit(db, {}, new Map()))[0]!.ok).toBe(true);
    await db.query("delete from audit where site = 'district-07' and seq = 2");
    expect((await verifyAudit(db, {}, new Map()))[0]!.problem).toMatchObject({ seq: 2, what: "removed", message: "row 2 removed: the chain goes from row 1 to row 3" });
    await db.query("delete from audit where site = 'district-07' and seq >= 1");
    await ingest([s.command(T0 + 10 * MIN, "op-anna", "cam-main", "home")]);
    await db.query("delete from audit where site = 'district-07' and seq = 6");
    expect((await verifyAudit(db, {}, new Map()))[0]!.problem).toMatchObject({ seq: 1, what: "removed" });
  });

  it("applies retention per kind, oldest first, never the newest, and cuts the audit chain with a signed anchor", async () => {
    const key = testKey();
    await db.query("insert into chain_keys (key_id, public_key, created_at) values ($1, $2, $3)", [key.keyId, key.publicPem, T0]);
    const s = new Site("district-07");
    const day = (n: number) => T0 + n * DAY;
    for (let d = 0; d < 10; d++) await ingest([s.command(day(d), "op-anna", "cam-main", "preset.recall"), s.healthEvent(day(d), "cam-main", d % 2 ? "unreachable" : "ok")]);
    await ingest([s.alarmRaised(day(0), "old-open", "cam-main"), s.alarmRaised(day(0) + 1, "old-cleared", "cam-main"), s.alarmCleared(day(1), "old-cleared")]);
    const retention = centreRetentionSchema.parse({ audit: 3, alarms: 3, health: 3, events: 8 });
    const r = await applyRetention(db, retention, day(10), key);
    // Audit: days 0..6 are older than 3 days; the chain now starts at row 8, vouched for by the anchor at row 11.
    expect(r.anchors).toEqual({ "district-07": { cutSeq: 7, removed: 7 } });
    expect(r.removed).toMatchObject({ audit: 7, alarms: 1 });
    const audit = await auditHistory(db, {});
    expect(audit.map((a) => [a.seq, a.kind])).toEqual([[8, "record"], [9, "record"], [10, "record"], [11, "anchor"]]);
    expect(audit[3]!.anchor).toMatchObject({ cutSeq: 7, removed: 7, firstRemovedSeq: 1, oldestRemovedTs: day(0), newestRemovedTs: day(6), retentionDays: 3, keyId: key.keyId });
    const [v] = await verifyAudit(db, {}, new Map([[key.keyId, { pem: key.publicPem, source: "--key" }]]));
    expect(v).toMatchObject({ ok: true, rows: 4, anchors: 1, firstSeq: 8, headSeq: 11 });
    // Health: the newest row before the cut (day 6) stays, it says the status at the cut.
    expect((await db.query<{ at: number }>("select at from health order by at")).map((h) => (h.at - T0) / DAY)).toEqual([6, 7, 8, 9]);
    // The active alarm stays however old; the cleared one went.
    expect((await alarmHistory(db, {})).map((a) => a.alarm)).toEqual(["old-open"]);
    // A second run the next day cuts day 7 and the old anchor stays valid until cut with it... and verify still passes.
    await applyRetention(db, retention, day(11), key);
    expect((await verifyAudit(db, {}, new Map()))[0]).toMatchObject({ ok: true, firstSeq: 9 });
    // An anchor that does not verify with the key given is named; so is a prefix removed without an anchor.
    const other = testKey();
    const [wrong] = await verifyAudit(db, {}, new Map([[key.keyId, { pem: other.publicPem, source: "--key" }]]));
    expect(wrong!.problem).toMatchObject({ what: "anchor" });
    await db.query("delete from audit where site = 'district-07' and kind = 'anchor'");
    expect((await verifyAudit(db, {}, new Map()))[0]!.problem).toMatchObject({ what: "removed", seq: 1 });
  });

  it("reports a month's availability as computed by hand, agent-offline time unknown, with readiness and alarm figures", async () => {
    // November 2026 has 30 days = 43,200 minutes; every figure below is in minutes of it.
    const nov = monthRange("2026-11");
    const at = (day: number, h = 0, m = 0) => Date.UTC(2026, 10, day, h, m);
    const s = new Site("district-07");
    await ingest([
      // The agent is online from before the month; cam-main ok from before the month (the row before counts at its start).
      s.birth(at(1) - DAY), s.healthEvent(at(1) - HOUR, "cam-main", "ok"), s.healthEvent(at(1) - HOUR, "led-wall", "ok"),
      // cam-main: unreachable 2 Nov 10:00 for 6 hours (360 min), degraded 10 Nov 00:00 for 2 days (2,880 min, still up).
      s.healthEvent(at(2, 10), "cam-main", "unreachable"), s.healthEvent(at(2, 16), "cam-main", "ok"),
      s.healthEvent(at(10), "cam-main", "degraded"), s.healthEvent(at(12), "cam-main", "ok"),
    ]);
    // The agent is lost 20 Nov 00:00 (the will, no time of its own: it arrives then) and born again 21 Nov 12:00: 2,160 minutes unknown for both devices.
    received = at(20) - 1000;
    await ingest([s.lost()]);
    s.restart();
    await ingest([s.birth(at(21, 12))]);
    // led-wall: fault 25 Nov 00:00 to the end of the month (6 days = 8,640 min).
    await ingest([s.healthEvent(at(25), "led-wall", "fault"), s.meta(at(1), ["cam-main", "led-wall", "dsp-1"])]);
    await ingest([s.readiness(at(3), "chk-1-1", "pass"), s.readiness(at(4), "chk-1-2", "fail"), s.readiness(at(5), "chk-1-3", "pass"), s.readiness(at(6), "chk-1-4", "warn")]);
    await ingest([s.alarmRaised(at(2, 10), "cam-main-health", "cam-main"), s.alarmAcked(at(2, 10, 4), "cam-main-health", "op-anna"), s.alarmCleared(at(2, 16), "cam-main-health")]);
    await ingest([s.alarmRaised(at(25), "led-wall-health", "led-wall")]);

    const report = await availabilityReport(db, { ...nov, now: at(30) + 2 * DAY });
    const pct = (min: number) => Math.round((10000 * min) / 43_200) / 100;
    // cam-main: down 360, unknown 2,160, up the rest (degraded 2,880 of it).
    // led-wall: down 8,640, unknown 2,160. dsp-1: only in the inventory, never heard of: all unknown.
    expect(report.devices).toEqual([
      { site: "district-07", device: "cam-main", up: pct(43_200 - 360 - 2160), degraded: pct(2880), down: pct(360), unknown: pct(2160) },
      { site: "district-07", device: "dsp-1", up: 0, degraded: 0, down: 0, unknown: 100 },
      { site: "district-07", device: "led-wall", up: pct(43_200 - 8640 - 2160), degraded: 0, down: pct(8640), unknown: pct(2160) },
    ]);
    expect(report.devices[0]!.up).toBe(94.17);
    expect(report.devices[2]!.up).toBe(75);
    const [site] = report.sites;
    expect(site).toMatchObject({ site: "district-07", devices: 3, up: 56.39, down: 6.94 });
    expect(site!.readiness).toEqual({ runs: 4, pass: 2, warn: 1, fail: 1, passRate: 50 });
    expect(site!.alarms).toEqual({ raised: 2, acked: 1, cleared: 1, medianAckMs: 4 * MIN, medianClearMs: 6 * HOUR, maxClearMs: 6 * HOUR });
    // The current month counts up to now only.
    const partial = await availabilityReport(db, { ...nov, now: at(2, 16) });
    expect(partial.to).toBe(at(2, 16));
    expect(partial.devices.find((d) => d.device === "cam-main")!.down).toBe(15); // 360 of the 2,400 minutes so far
  });
}
