/**
 * The centre as an agent and a monitoring script meet it: a real in-process broker with users and
 * ACLs (the recorder role), an agent publishing over real MQTT, `startCentre` recording into PGlite
 * and into a PostgreSQL server (the same tests, like a conformance suite).
 *
 * The database outage: the database stops taking rows in the middle of a stream of events (PostgreSQL
 * really stopped; PGlite, which is in-process and cannot be stopped alone, behind a wrapper that fails
 * as a full disk does). The centre keeps its MQTT session, acknowledges nothing, says `degraded` on
 * its health topic, and once the database is back every event is there exactly once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { matrixUsers, passwordOf } from "../broker/acl.cases.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { startCentre, type RunningCentre } from "../centre/centre.js";
import type { Db } from "../centre/db/db.js";
import { openPglite } from "../centre/db/pglite.js";
import { openPostgres } from "../centre/db/postgres.js";
import type { Incoming } from "../centre/ingest/decode.js";
import { centreRetentionSchema } from "../config/centre.js";
import { systemClock } from "../drivers/clock.js";
import { Site, type Msg } from "./helpers/centre.js";
import { memoryLogger } from "./helpers/logger.js";
import { seedCentreRecord } from "./helpers/pglite-template.js";
import { connectAs, type RecordingClient } from "./helpers/mqtt-users.js";
import { startTestPostgres, type TestPostgres } from "./helpers/postgres.js";
import { describeWith } from "./helpers/tools.js";
import { within } from "./helpers/within.js";

const T0 = Date.UTC(2026, 10, 3, 10, 0, 0);

/** How a suite gets a fresh database and takes it away for a while. */
interface Backend {
  open(): Promise<Db>;
  /** Makes the database stop taking rows (returns what the centre should report). */
  cut(db: Db): Promise<"database_down" | "database_full">;
  restore(db: Db): Promise<void>;
}

/** A PGlite that fails every statement while `full` is set, as PGlite does when its disk is full. */
function fillable(db: Db): Db & { full: boolean } {
  const wrapped = {
    ...db,
    full: false,
    query: (async (text, params) => {
      if (wrapped.full) throw Object.assign(new Error("could not extend file: No space left on device"), { code: "53100" });
      return db.query(text, params);
    }) as Db["query"],
    transaction: (async (fn) => {
      if (wrapped.full) throw Object.assign(new Error("could not extend file: No space left on device"), { code: "53100" });
      return db.transaction(fn);
    }) as Db["transaction"],
  };
  return wrapped;
}

function recorderSuite(name: string, suite: (name: string, fn: () => void) => void, backend: () => Backend, setup?: { before: () => Promise<void>; after: () => Promise<void> }) {
  suite(`the centre recording over MQTT into ${name}`, () => {
    let broker: RunningBroker;
    let centre: RunningCentre | undefined;
    let agent: RecordingClient;
    let monitor: RecordingClient;
    let stateDir: string;
    let db: Db;
    const b = backend();

    beforeAll(async () => {
      await setup?.before();
      broker = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger(), auth: { users: await matrixUsers() } });
    }, 120_000);
    afterAll(async () => {
      await broker?.close();
      await setup?.after();
    });
    beforeEach(async () => {
      stateDir = mkdtempSync(path.join(tmpdir(), "roomgate-centre-"));
      db = await b.open();
      agent = await connectAs(broker.url, "agent-s1");
      monitor = await connectAs(broker.url, "mon-1");
      await monitor.subscribeAsync("roomgate/centre/+/health", { qos: 1 });
    }, 30_000);
    afterEach(async () => {
      await centre?.stop();
      centre = undefined;
      await agent?.endAsync(true);
      await monitor?.endAsync(true);
      await db?.close();
      rmSync(stateDir, { recursive: true, force: true });
    });

    const start = async (): Promise<RunningCentre> => {
      centre = await startCentre({
        stateDir, db, database: { type: "pglite" }, retention: centreRetentionSchema.parse({}), logger: memoryLogger(), clock: systemClock, version: "test",
        broker: { url: broker.url, username: "rec", password: passwordOf("rec"), clientId: "roomgate-centre-test" },
        retryMs: { first: 100, max: 400 }, batchSize: 50,
      });
      return centre;
    };
    const publish = async (msgs: Msg[]) => {
      for (const m of msgs) await agent.publishAsync(m.topic, m.payload, { qos: 1, retain: m.retain });
    };
    /** Resolves when a commit has covered a message whose payload contains `marker` (bounded). */
    const committed = (c: RunningCentre, marker: string, ms = 15_000) =>
      within(
        new Promise<void>((resolve) => {
          const off = c.recorder.onCommit((msgs: readonly Incoming[]) => {
            if (msgs.some((m) => m.payload.toString().includes(marker))) {
              off();
              resolve();
            }
          });
        }),
        ms,
        `a commit of ${marker}`,
      );
    /** The first health message from index `from` on that matches; resolves with its index. */
    const centreHealth = (match: (h: { status: string; code?: string; backlog?: number }) => boolean, what: string, ms = 15_000, from = 0) =>
      within(
        new Promise<number>((resolve) => {
          const check = () => {
            for (const [i, raw] of monitor.got.entries()) {
              if (i < from) continue;
              const h = JSON.parse(raw) as { status: string; code?: string };
              if (match(h)) {
                monitor.off("message", check);
                resolve(i);
                return;
              }
            }
          };
          monitor.on("message", check);
          check();
        }),
        ms,
        `the centre's health ${what}`,
      );
    const count = async (table: string, where = "true") => (await db.query<{ n: number }>(`select count(*)::int as n from ${table} where ${where}`))[0]!.n;

    it("records what an agent publishes once, through redeliveries, outbox replays and retained republishes; bad input goes to quarantine", async () => {
      const c = await start();
      await centreHealth((h) => h.status === "ok", "ok");
      const s = new Site("s1", 12);
      const retained = [s.birth(T0), s.meta(T0, ["cam-main"]), s.healthRetained("cam-main", "ok", T0)];
      const events = [s.command(T0 + 1000, "op-1", "cam-main", "preset.recall"), s.healthEvent(T0 + 2000, "cam-main", "unreachable", { code: "timeout" }), s.alarmRaised(T0 + 2000, "cam-main-health", "cam-main")];
      const done = committed(c, '"sentinel-1"');
      await publish([...retained, ...events, s.command(T0 + 3000, "op-1", "cam-main", "sentinel-1")]);
      await done;
      // The agent reconnects: it republishes every retained topic and replays its outbox as history.
      const replayed = events.map((m) => ({ ...m, payload: JSON.stringify({ ...JSON.parse(m.payload), historical: true }) }));
      const again = committed(c, '"sentinel-2"');
      await publish([...retained, ...replayed, { topic: "roomgate/v1/s1/event", payload: "{not json", retain: false }, s.meta(T0, ["cam-main"], "s2"), s.command(T0 + 4000, "op-1", "cam-main", "sentinel-2")]);
      await again;
      expect(await count("events")).toBe(5);
      expect(await count("audit")).toBe(3);
      expect(await count("health")).toBe(2);
      expect(await count("alarms")).toBe(1);
      expect(await count("agent_states")).toBe(1);
      expect((await db.query<{ reason: string }>("select reason from quarantine order by id")).map((r) => r.reason)).toEqual(["not_json", "site_mismatch"]);
      expect(c.recorder.counts).toMatchObject({ duplicates: 6, quarantined: 2 });
      expect(c.recorder.status).toMatchObject({ status: "ok", quarantined: 2, backlog: 0 });
    });

    it("keeps its session through a database outage mid-stream, acknowledges nothing, says degraded, and loses nothing when the database is back", async () => {
      const c = await start();
      let closes = 0;
      // The recorder's MQTT connection: it must stay up through the outage.
      (c.recorder as unknown as { client: { on(e: string, f: () => void): void } }).client.on("close", () => closes++);
      const s = new Site("s1", 7);
      const N = 300;
      const stream = Array.from({ length: N }, (_, i) => s.command(T0 + i * 1000, "op-1", "cam-main", `step-${i}`));
      const first = committed(c, '"step-99"', 30_000);
      await publish(stream.slice(0, 100));
      await first;
      const code = await b.cut(db);
      const degraded = centreHealth((h) => h.status === "degraded" && h.code === code, `degraded (${code})`);
      await publish(stream.slice(100, 200));
      const degradedAt = await degraded;
      await publish(stream.slice(200));
      // Nothing past the cut is acknowledged: the recorder holds it all.
      expect(c.recorder.backlog).toBeGreaterThan(0);
      const last = committed(c, `"step-${N - 1}"`, 30_000);
      await b.restore(db);
      await last;
      await centreHealth((h) => h.status === "ok", "ok again after degraded", 15_000, degradedAt + 1);
      expect(await count("events")).toBe(N);
      expect(await count("audit")).toBe(N);
      const seqs = await db.query<{ action: string }>("select action from audit where site = 's1' order by seq");
      expect(seqs.map((r) => r.action)).toEqual(stream.map((_, i) => `step-${i}`));
      expect((await c.reader().verify({}))[0]).toMatchObject({ ok: true, rows: N });
      expect(closes).toBe(0);
      expect(c.recorder.status.status).toBe("ok");
    }, 60_000);

    it("leaves what it has not committed to the broker: stopped during an outage, a new centre gets every message", async () => {
      const c = await start();
      const s = new Site("s1", 9);
      const stream = Array.from({ length: 40 }, (_, i) => s.command(T0 + i * 1000, "op-1", "cam-main", `held-${i}`));
      const code = await b.cut(db);
      const degraded = centreHealth((h) => h.status === "degraded" && h.code === code, "degraded");
      await publish(stream);
      await degraded;
      await c.stop();
      centre = undefined;
      await b.restore(db);
      const again = await start();
      await committed(again, '"held-39"');
      expect(await count("audit")).toBe(40);
    }, 40_000);
  });
}

// initdb in WebAssembly is the slow, CPU-bound part of a PGlite (test/centre-command.test.ts proves
// a first start): each test opens a copy of the tests' migrated template instead.
const pgliteDirs: string[] = [];
recorderSuite("PGlite", describe, () => ({
  open: async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-centre-e2e-"));
    pgliteDirs.push(dir);
    return fillable(await openPglite({ dataDir: await seedCentreRecord(dir) }));
  },
  cut: async (db) => {
    (db as Db & { full: boolean }).full = true;
    return "database_full";
  },
  restore: async (db) => {
    (db as Db & { full: boolean }).full = false;
  },
}), {
  before: async () => undefined,
  after: async () => {
    for (const dir of pgliteDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  },
});

let pg: TestPostgres | undefined;
let n = 0;
recorderSuite(
  "PostgreSQL",
  describeWith("postgresql"),
  () => ({
    open: async () => openPostgres({ url: await pg!.createDatabase(`rec_${++n}`), connectTimeoutMs: 1000 }),
    cut: async () => {
      await pg!.stop();
      return "database_down";
    },
    restore: async () => {
      await pg!.start();
    },
  }),
  {
    before: async () => {
      pg = await startTestPostgres();
    },
    after: async () => {
      await pg?.dispose();
    },
  },
);
