/**
 * `roomgate history` and `roomgate report availability` as an auditor types them, against a record in
 * PGlite in a state directory (no centre running, so the CLI reads the files directly under the
 * centre's lock). The record is written through the recorder's own path (decode, writeBatch).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { centrePaths } from "../centre/centre.js";
import { migrate } from "../centre/db/migrate.js";
import { openPglite } from "../centre/db/pglite.js";
import { decode } from "../centre/ingest/decode.js";
import { writeBatch } from "../centre/ingest/writer.js";
import { roomgateInProcess } from "./helpers/cli-inprocess.js";
import { openPostgres } from "../centre/db/postgres.js";
import { incoming, Site, type Msg } from "./helpers/centre.js";
import { seedCentreRecord } from "./helpers/pglite-template.js";
import { startTestPostgres, type TestPostgres } from "./helpers/postgres.js";
import { describeWith } from "./helpers/tools.js";

const at = (day: number, h = 0, m = 0) => Date.UTC(2026, 10, day, h, m); // November 2026
const HOUR = 3_600_000;

/** `roomgate ...argv` in-process (test/helpers/cli-inprocess.ts). */
const roomgate = roomgateInProcess;

describe("roomgate history and report availability on a PGlite record", () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), "roomgate-centre-cli-"));
  const pgdata = centrePaths(stateDir).pgdata;
  mkdirSync(centrePaths(stateDir).dir, { mode: 0o700 });
  const from = ["--state-dir", stateDir];
  /** Writes straight into the record, as the centre does, then closes it (PGlite is one process). */
  const withRecord = async <T>(fn: (db: Awaited<ReturnType<typeof openPglite>>) => Promise<T>): Promise<T> => {
    const db = await openPglite({ dataDir: pgdata });
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  let received = at(1);
  const ingest = (db: Awaited<ReturnType<typeof openPglite>>, msgs: Msg[]) => {
    received += 1000;
    return db.transaction((tx) => writeBatch(tx, msgs.map((m) => ({ msg: incoming(m, received), item: decode(incoming(m, received)) }))));
  };

  beforeAll(async () => {
    // The hand-computed month, for district-11 (cam-main and led-wall). November has 30 days = 43,200 minutes.
    //   Before the month: the agent online (born 31 Oct), both devices ok.
    //   cam-main: unreachable 5 Nov 08:00 -> ok 14:00                          =    360 min down
    //   the agent: stopped cleanly 10 Nov 00:00 -> born again 11 Nov 00:00       =  1,440 min unknown for both devices
    //   led-wall: degraded 15 Nov 00:00 -> ok 16 Nov 00:00                       =  1,440 min degraded (still up)
    //   led-wall: fault 27 Nov 00:00 to the month's end (4 days)                 =  5,760 min down
    // cam-main: up 43,200 - 360 - 1,440 = 41,400 = 95.83 %; down 360 = 0.83 %; unknown 1,440 = 3.33 %.
    // led-wall: up 43,200 - 5,760 - 1,440 = 36,000 = 83.33 % (of which degraded 3.33 %); down 13.33 %; unknown 3.33 %.
    // The site is the mean of its devices: up (95.83 + 83.33) / 2 = 89.58 %, down (0.83 + 13.33) / 2 = 7.08 %, unknown 3.33 %.
    // Readiness: pass, pass, fail = 2 of 3 = 66.67 %.
    // Alarms: cam-main-health raised 5 Nov 08:00, acked 08:10 (10 min), cleared 14:00 (6 h = 21,600 s);
    //         led-wall-health raised 27 Nov 00:00, acked 00:30 (30 min), never cleared.
    //         2 raised, 2 acked, 1 cleared; median to ack (10 + 30) / 2 = 20 min = 1,200 s; median and longest to clear 21,600 s.
    // A record as a centre that ran once leaves it (initdb and migrations done): initdb is not what this file tests.
    await seedCentreRecord(stateDir);
    await withRecord(async (db) => {
      const s = new Site("district-11", 3);
      await ingest(db, [s.birth(at(1) - 24 * HOUR), s.healthEvent(at(1) - HOUR, "cam-main", "ok"), s.healthEvent(at(1) - HOUR, "led-wall", "ok"), s.meta(at(1) - HOUR, ["cam-main", "led-wall"])]);
      await ingest(db, [
        s.healthEvent(at(5, 8), "cam-main", "unreachable"), s.alarmRaised(at(5, 8), "cam-main-health", "cam-main"),
        s.command(at(5, 8, 5), "op-lan", "cam-main", "power", "error"),
        s.alarmAcked(at(5, 8, 10), "cam-main-health", "op-lan"),
        s.healthEvent(at(5, 14), "cam-main", "ok"), s.alarmCleared(at(5, 14), "cam-main-health"),
        s.command(at(6, 10, 2), "op-lan", "led-wall", "input.select"),
        s.offline(at(10)),
      ]);
      s.restart();
      await ingest(db, [s.birth(at(11))]);
      await ingest(db, [
        s.healthEvent(at(15), "led-wall", "degraded"), s.healthEvent(at(16), "led-wall", "ok"),
        s.readiness(at(3), "chk-3-1", "pass"), s.readiness(at(12), "chk-4-1", "pass"), s.readiness(at(26), "chk-4-2", "fail"),
        s.healthEvent(at(27), "led-wall", "fault"), s.alarmRaised(at(27), "led-wall-health", "led-wall"), s.alarmAcked(at(27, 0, 30), "led-wall-health", "op-mai"),
        s.command(at(27, 0, 40), "op-mai", "led-wall", "blank.set"),
      ]);
    });
  }, 120_000);
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it("answers who did what, as a table and as CSV, narrowed by site, device and time", async () => {
    const table = await roomgate(["history", "audit", "--site", "district-11", "--since", "2026-11-01", ...from]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^time\s+site\s+seq\s+user\s+device\s+action\s+status/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(3, 7).join(" "))).toEqual([
      "op-lan cam-main power error", "op-lan led-wall input.select ok", "op-mai led-wall blank.set ok",
    ]);
    const csv = await roomgate(["history", "audit", "--device", "led-wall", "--until", "2026-11-07", "--csv", ...from]);
    expect(csv.stdout.split("\r\n")[1]).toMatch(/^2026-11-06T10:02:00Z,district-11,2,op-lan,led-wall,input\.select,ok,/);
    expect(csv.stdout.split("\r\n").filter(Boolean)).toHaveLength(2);
    const alarms = await roomgate(["history", "alarms", "--json", ...from]);
    expect(JSON.parse(alarms.stdout).map((a: { alarm: string; ackedBy: string; ackMs: number }) => [a.alarm, a.ackedBy, a.ackMs])).toEqual([
      ["cam-main-health", "op-lan", 10 * 60_000], ["led-wall-health", "op-mai", 30 * 60_000],
    ]);
    const health = await roomgate(["history", "health", "--device", "cam-main", "--since", "2026-11-01", ...from]);
    expect(health.stdout).toMatch(/2026-11-05T08:00:00Z\s+district-11\s+cam-main\s+unreachable\s+ok/);
    expect(await roomgate(["history", "audit", "--since", "last tuesday", ...from])).toMatchObject({ code: 2 });
  });

  it("reports November as computed by hand: CSV, table and a self-contained HTML page", async () => {
    const csv = await roomgate(["report", "availability", "--month", "2026-11", "--csv", ...from]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.split("\r\n").slice(1, 4)).toEqual([
      "2026-11,site,district-11,,2,89.58,,7.08,3.33,3,2,0,1,66.67,2,2,1,1200,21600,21600",
      "2026-11,device,district-11,cam-main,,95.83,0.00,0.83,3.33,,,,,,,,,,,",
      "2026-11,device,district-11,led-wall,,83.33,3.33,13.33,3.33,,,,,,,,,,,",
    ]);
    const text = await roomgate(["report", "availability", "--month", "2026-11", "--site", "district-11", ...from]);
    expect(text.stdout).toContain("2 devices: up 89.58 %, down 7.08 %, unknown 3.33 %");
    expect(text.stdout).toMatch(/district-11\s+2\s+89\.58\s+7\.08\s+3\.33\s+3\s+66\.67\s+1\s+2\s+2\s+1\s+20 min\s+6 h\s+6 h/);
    const out = path.join(stateDir, "nov.html");
    expect((await roomgate(["report", "availability", "--month", "2026-11", "--html", "--out", out, ...from])).code).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html).toContain('aria-label="up 89.58 %, down 7.08 %, unknown 3.33 %"');
    expect(html).not.toMatch(/(src|href)=/); // nothing to fetch: it is opened off the network
    expect(await roomgate(["report", "availability", "--month", "2026-13", ...from])).toMatchObject({ code: 2 });
    expect(await roomgate(["report", "availability", "--month", "2026-11", "--csv", "--html", ...from])).toMatchObject({ code: 2 });
  });

  it("verify passes, then fails naming the row edited in the database, with a non-zero exit", async () => {
    const ok = await roomgate(["history", "verify", ...from]);
    expect(ok.stdout).toMatch(/^district-11: intact, 3 rows \(1\.\.3\), head [0-9a-f]{16}\n$/);
    expect(ok.code).toBe(0);
    // Someone with the database's password makes row 2 say the LED wall was never switched by op-lan.
    await withRecord((db) => db.query("update audit set username = 'op-mai' where site = 'district-11' and seq = 2"));
    const bad = await roomgate(["history", "verify", ...from]);
    expect(bad.stdout).toMatch(/^district-11: BROKEN at row 2: /);
    expect(bad.code).toBe(1);
    const json = await roomgate(["history", "verify", "--json", "--site", "district-11", ...from]);
    expect(JSON.parse(json.stdout)[0]).toMatchObject({ site: "district-11", ok: false, problem: { seq: 2, what: "changed" } });
    expect(json.code).toBe(1);
  });
});

describeWith("postgresql")("roomgate history on a PostgreSQL server (--database)", () => {
  let pg: TestPostgres;
  let url: string;
  beforeAll(async () => {
    pg = await startTestPostgres();
    url = await pg.createDatabase("record");
    const db = openPostgres({ url, poolSize: 2 });
    try {
      await migrate(db, () => at(1));
      const s = new Site("district-07", 2);
      const msgs = [s.command(at(3, 10, 2), "op-anna", "led-wall", "input.select"), s.command(at(3, 10, 5), "op-anna", "cam-main", "preset.recall")];
      await db.transaction((tx) => writeBatch(tx, msgs.map((m) => ({ msg: incoming(m, at(3, 11)), item: decode(incoming(m, at(3, 11))) }))));
    } finally {
      await db.close();
    }
  }, 120_000);
  afterAll(async () => {
    await pg?.dispose();
  });

  it("reads the server named by --database, and verify names the row edited there", async () => {
    const audit = await roomgate(["history", "audit", "--database", url, "--csv"]);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout.split("\r\n").filter(Boolean).slice(1).map((l) => l.split(",").slice(3, 6).join(" "))).toEqual(["op-anna led-wall input.select", "op-anna cam-main preset.recall"]);
    expect(await roomgate(["history", "verify", "--database", url])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^district-07: intact, 2 rows/) });
    await pg.sql("update audit set action = 'blank.set' where site = 'district-07' and seq = 1", "record");
    const bad = await roomgate(["history", "verify", "--database", url]);
    expect(bad.stdout).toMatch(/^district-07: BROKEN at row 1: /);
    expect(bad.code).toBe(1);
    // A database no centre has written is refused with what to do.
    const empty = await roomgate(["history", "audit", "--database", await pg.createDatabase("empty")]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain("holds no record yet: start roomgate centre on it first");
  });
});
