/**
 * Bench: the centre's recorder under a fleet's load (issue 23's Benchmark), into PGlite and into a
 * PostgreSQL server (a throw-away Debian cluster), one after the other.
 *
 * For each database: the broker (aedes, in its own process), `startCentre` here (the recorder, its
 * migrations, the local API), and a load generator in a worker thread (bench/centre/generator.ts).
 *  1. steady: the fleet bench's load as the centre sees it: `agents` x `devices` devices, each
 *     changing health every `health-s` s (a health event and the retained health: 2 messages), plus
 *     `commands`/s command audit events, for `duration` s. Measured: messages committed per second
 *     in the window, and the lag from publish to committed row (p50/p99/max: the payload's ts is the
 *     publish time; "committed" is the recorder's commit callback, after the transaction).
 *  2. burst: `burst` historical events (an outbox replay after an outage) published as fast as the
 *     broker takes them. Measured: events/s from the first publish to the last commit.
 *  3. report: a fresh database holding `report-sites` x `report-devices` devices x `report-days`
 *     days of health transitions (`changes` a day each, seeded in SQL), and the monthly availability
 *     report over it (centre/queries/availability.ts), timed.
 * The generator uses a few connections (`connections`): the connection count is the fleet bench's
 * subject (bench/fleet.ts); the recorder sees one session whatever the number of agents.
 *
 *   npm run bench:centre                              # the issue's parameters
 *   npm run bench:centre -- --quick                   # 200 agents, 10 s, 5,000-event burst, 200 sites
 */
import { Worker } from "node:worker_threads";
import os from "node:os";
import path from "node:path";
import { cpSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { createLogger } from "../agent/logger.js";
import { centrePaths, startCentre, type RunningCentre } from "../centre/centre.js";
import type { Db } from "../centre/db/db.js";
import { migrate } from "../centre/db/migrate.js";
import { openPglite } from "../centre/db/pglite.js";
import { openPostgres } from "../centre/db/postgres.js";
import type { Incoming } from "../centre/ingest/decode.js";
import { availabilityReport } from "../centre/queries/availability.js";
import { monthRange } from "../centre/queries/filters.js";
import { centreRetentionSchema } from "../config/centre.js";
import { systemClock } from "../drivers/clock.js";
import { freePort } from "../simulators/site-endpoints.js";
import { parseFlags } from "./lib/args.js";
import { emitJson, note, setJsonOnly } from "./lib/output.js";
import { startThrowawayPostgres, type ThrowawayPostgres } from "./lib/postgres.js";
import { machineInfo } from "./lib/procfs.js";
import { scratchDir, startBenchBroker } from "./lib/site.js";
import { fmt, rounded, summarize, table, type Summary } from "./lib/stats.js";
import type { GeneratorDone, GeneratorSetup, GeneratorTask } from "./centre/protocol.js";

const flags = parseFlags("centre-ingest", {
  agents: { type: "number", default: 2000, min: 1, help: "sites (agents) publishing" },
  devices: { type: "number", default: 10, min: 1, help: "devices per site" },
  "health-s": { type: "number", default: 10, min: 0.1, help: "each device's health changes once every this many seconds" },
  commands: { type: "number", default: 20, help: "command audit events per second, in total" },
  duration: { type: "number", default: 30, min: 1, help: "the measured steady window, s" },
  burst: { type: "number", default: 50_000, help: "historical events in the burst" },
  connections: { type: "number", default: 8, min: 1, help: "generator MQTT connections" },
  "report-sites": { type: "number", default: 2000, min: 1, help: "sites in the report's database" },
  "report-devices": { type: "number", default: 10, min: 1, help: "devices per site in the report's database" },
  "report-days": { type: "number", default: 30, min: 1, help: "days of health transitions (of November 2026, at most 30)" },
  changes: { type: "number", default: 2, min: 1, help: "health transitions per device per day in the report's database" },
  databases: { type: "string", default: "pglite,postgres", help: "pglite, postgres or both (comma-separated)" },
  "pglite-seed": { type: "string", default: "", help: "a migrated PGlite data directory each PGlite starts from (a copy), instead of a first start with initdb (the smoke test's template: initdb is seconds of CPU the bench does not measure)" },
  "drain-s": { type: "number", default: 120, min: 1, help: "longest wait for the recorder to catch up after a phase, s" },
  quick: { type: "boolean", default: false, help: "200 agents, 10 s, a 5,000-event burst, 200 report sites" },
  "json-only": { type: "boolean", default: false, help: "print only the JSON line" },
});
setJsonOnly(flags["json-only"]);
const given = (k: string) => process.argv.some((a) => a === `--${k}` || a.startsWith(`--${k}=`));
if (flags.quick) {
  if (!given("agents")) flags.agents = 200;
  if (!given("duration")) flags.duration = 10;
  if (!given("burst")) flags.burst = 5000;
  if (!given("report-sites")) flags["report-sites"] = 200;
}
if (flags["report-days"] > 30) {
  process.stderr.write("centre-ingest: --report-days: November has 30 days\n");
  process.exit(2);
}
const databases = flags.databases.split(",").map((d) => d.trim());
for (const d of databases) {
  if (d !== "pglite" && d !== "postgres") {
    process.stderr.write(`centre-ingest: --databases: expected pglite and/or postgres, got "${d}"\n`);
    process.exit(2);
  }
}

/** Debian keeps initdb and postgres in /usr/lib/postgresql/{version}/bin; PATH first. */
function postgresBin(name: string): string {
  for (const dir of (process.env.PATH ?? "").split(":")) if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  const base = "/usr/lib/postgresql";
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(path.join(base, v, "bin", name))) return path.join(base, v, "bin", name);
  throw new Error(`${name} not found on PATH nor in /usr/lib/postgresql/*/bin: apt-get install postgresql, or --databases pglite`);
}

interface DbResult {
  steady: { offeredPerSec: number; sent: number; committedPerSec: number; lagMs: Summary; drainMs: number; keptUp: boolean };
  burst: { events: number; seconds: number; perSec: number };
  report: { sites: number; devices: number; healthRows: number; seedSeconds: number; reportMs: number };
}

function startGenerator(setup: GeneratorSetup): Promise<{ run(task: GeneratorTask): Promise<GeneratorDone>; end(): Promise<void> }> {
  const worker = new Worker(new URL("./centre/generator.js", import.meta.url), { workerData: setup });
  return new Promise((resolve, reject) => {
    worker.once("error", reject);
    worker.once("message", () => {
      resolve({
        run: (task) =>
          new Promise((done) => {
            worker.once("message", (m: GeneratorDone) => done(m));
            worker.postMessage(task);
          }),
        end: () =>
          new Promise((done) => {
            worker.once("exit", () => done());
            worker.postMessage({ phase: "end" });
          }),
      });
    });
  });
}

/** Resolves once `count()` reaches `target` (checked on each commit), or after `ms` with what it got. */
function until(centre: RunningCentre, count: () => number, target: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (count() >= target) return resolve(true);
    const timer = setTimeout(() => {
      off();
      resolve(false);
    }, ms);
    const off = centre.recorder.onCommit(() => {
      if (count() >= target) {
        clearTimeout(timer);
        off();
        resolve(true);
      }
    });
  });
}

/** With --pglite-seed: `dataDir` starts as a copy of the seed, so PGlite opens it instead of running initdb. */
function seedPglite(dataDir: string): void {
  if (flags["pglite-seed"] === "") return;
  mkdirSync(path.dirname(dataDir), { recursive: true, mode: 0o700 });
  cpSync(flags["pglite-seed"], dataDir, { recursive: true });
}

async function ingest(name: "pglite" | "postgres", pg: ThrowawayPostgres | undefined, brokerUrl: string, scratch: string): Promise<Pick<DbResult, "steady" | "burst">> {
  const logger = createLogger({ level: "warn", name: "bench-centre", destination: 2 });
  if (name === "pglite") seedPglite(centrePaths(path.join(scratch, name)).pgdata);
  const centre = await startCentre({
    stateDir: path.join(scratch, name),
    database: name === "pglite" ? { type: "pglite" } : { type: "postgres", url: await pg!.createDatabase("ingest"), poolSize: 4 },
    broker: { url: brokerUrl, clientId: `bench-centre-${name}` },
    retention: centreRetentionSchema.parse({}),
    logger, clock: systemClock, version: "bench",
  });
  let committed = 0;
  let historical = 0;
  let window: { from: number; to: number } | undefined;
  let inWindow = 0;
  const lags: number[] = [];
  centre.recorder.onCommit((msgs: readonly Incoming[]) => {
    const now = Date.now();
    for (const m of msgs) {
      committed++;
      const text = m.payload.toString();
      if (text.includes('"historical":true')) {
        historical++;
        continue;
      }
      if (window && now >= window.from && now < window.to) inWindow++;
      const t = /"(?:ts|since)":(\d+)/.exec(text);
      if (t) lags.push(now - Number(t[1]));
    }
  });
  const gen = await startGenerator({ url: brokerUrl, connections: flags.connections, sites: flags.agents, devices: flags.devices });
  try {
    const offered = ((flags.agents * flags.devices) / flags["health-s"]) * 2 + flags.commands;
    note(`${name}: steady, ${fmt(offered, 0)} messages/s offered for ${flags.duration} s`);
    const start = Date.now();
    window = { from: start, to: start + flags.duration * 1000 };
    const steady = await gen.run({ phase: "steady", healthS: flags["health-s"], commandsPerSec: flags.commands, durationMs: flags.duration * 1000 });
    const drainStart = Date.now();
    const keptUp = await until(centre, () => committed, steady.sent, flags["drain-s"] * 1000);
    const drainMs = Date.now() - drainStart;
    const lagMs = summarize(lags);
    note(`${name}: ${inWindow} committed in the window (${fmt(inWindow / flags.duration, 0)}/s), lag p99 ${fmt(lagMs.p99, 0)} ms, drained ${drainMs} ms after`);

    note(`${name}: burst of ${flags.burst} historical events`);
    const before = historical;
    const burstStart = Date.now();
    const b = await gen.run({ phase: "burst", count: flags.burst });
    const all = await until(centre, () => historical - before, flags.burst, flags["drain-s"] * 1000);
    const seconds = (Date.now() - burstStart) / 1000;
    if (!all) note(`${name}: only ${historical - before} of ${b.sent} historical events committed within ${flags["drain-s"]} s`);
    return {
      steady: { offeredPerSec: offered, sent: steady.sent, committedPerSec: inWindow / flags.duration, lagMs, drainMs, keptUp },
      burst: { events: historical - before, seconds, perSec: (historical - before) / seconds },
    };
  } finally {
    await gen.end();
    await centre.stop();
  }
}

/** A month of health transitions for the report, seeded in SQL (the same on both databases). */
async function report(db: Db): Promise<DbResult["report"]> {
  await migrate(db, () => Date.now());
  const nov = monthRange("2026-11");
  const S = flags["report-sites"];
  const D = flags["report-devices"];
  const steps = flags["report-days"] * flags.changes;
  const every = Math.floor(86_400_000 / flags.changes);
  const seedStart = Date.now();
  const site = (col: string) => `'site-' || lpad(${col}::text, 5, '0')`;
  const dev = (col: string) => `'dev-' || lpad(${col}::text, 2, '0')`;
  await db.exec(`insert into agent_states (site, boot_seq, state, at, at_known, received_at)
    select ${site("s")}, 1, 'online', ${nov.start - 86_400_000}, true, ${nov.start} from generate_series(0, ${S - 1}) s`);
  await db.exec(`insert into sites (site, meta, meta_ts, received_at)
    select ${site("s")}, (select jsonb_build_object('devices', jsonb_object_agg(${dev("d")}, '{}'::jsonb)) from generate_series(0, ${D - 1}) d), ${nov.start}, ${nov.start}
    from generate_series(0, ${S - 1}) s`);
  // Each device: ok before the month, then alternately unreachable and ok, offset per device so the rows do not all share times.
  await db.exec(`insert into health (site, device, at, status, source, received_at)
    select ${site("s")}, ${dev("d")}, ${nov.start - 3_600_000}, 'ok', 'event', ${nov.start} from generate_series(0, ${S - 1}) s, generate_series(0, ${D - 1}) d`);
  for (let day = 0; day < flags["report-days"]; day++) {
    // A day at a time: one statement for a million rows holds them all in PGlite's memory at once.
    await db.exec(`insert into health (site, device, at, status, source, received_at)
      select ${site("s")}, ${dev("d")}, ${nov.start} + k::bigint * ${every} + ((s * 7 + d * 13) % 3600) * 1000,
        case when k % 2 = 0 then 'unreachable' else 'ok' end, 'event', ${nov.start}
      from generate_series(0, ${S - 1}) s, generate_series(0, ${D - 1}) d, generate_series(${day * flags.changes}, ${(day + 1) * flags.changes - 1}) k`);
  }
  await db.exec("analyze");
  const seedSeconds = (Date.now() - seedStart) / 1000;
  const rows = (await db.query<{ n: number }>("select count(*)::int as n from health"))[0]!.n;
  note(`report: ${rows} health rows seeded in ${fmt(seedSeconds, 1)} s; ${steps} transitions per device`);
  const t0 = performance.now();
  const r = await availabilityReport(db, { ...nov, now: nov.end + 1 });
  const reportMs = performance.now() - t0;
  if (r.devices.length !== S * D) throw new Error(`the report has ${r.devices.length} devices, expected ${S * D}`);
  return { sites: S, devices: S * D, healthRows: rows, seedSeconds, reportMs };
}

async function main(): Promise<void> {
  const scratch = scratchDir("centre-ingest");
  const load = os.loadavg();
  note(`centre-ingest: ${flags.agents} sites x ${flags.devices} devices, health every ${flags["health-s"]} s, ${flags.commands} commands/s; burst ${flags.burst}; load average ${load.map((l) => l.toFixed(2)).join(" ")}`);
  const results: Record<string, DbResult> = {};
  let pg: ThrowawayPostgres | undefined;
  try {
    if (databases.includes("postgres")) {
      pg = await startThrowawayPostgres({
        postgres: postgresBin("postgres"), initdb: postgresBin("initdb"), port: await freePort(),
        // A centre's server keeps fsync (durability is the point); only the test helper turns it off.
        settings: { fsync: "on", synchronous_commit: "on" },
      });
    }
    for (const name of databases as ("pglite" | "postgres")[]) {
      const broker = await startBenchBroker("child");
      let part: Pick<DbResult, "steady" | "burst">;
      try {
        part = await ingest(name, pg, broker.url, scratch.dir);
      } finally {
        await broker.close();
      }
      if (name === "pglite") seedPglite(path.join(scratch.dir, "report-pglite"));
      const db = name === "pglite" ? await openPglite({ dataDir: path.join(scratch.dir, "report-pglite") }) : openPostgres({ url: await pg!.createDatabase("report"), poolSize: 2 });
      try {
        results[name] = { ...part, report: await report(db) };
      } finally {
        await db.close();
      }
    }
  } finally {
    await pg?.dispose();
    scratch.cleanup();
  }
  const rows = Object.entries(results).map(([name, r]) => [
    name, fmt(r.steady.offeredPerSec, 0), fmt(r.steady.committedPerSec, 0), fmt(r.steady.lagMs.p50, 0), fmt(r.steady.lagMs.p99, 0), fmt(r.steady.lagMs.max, 0),
    r.steady.keptUp ? "yes" : "NO", fmt(r.burst.perSec, 0), fmt(r.report.reportMs, 0),
  ]);
  note(table(["database", "offered/s", "committed/s", "lag p50 ms", "lag p99 ms", "lag max ms", "kept up", "burst ev/s", "report ms"], rows));
  emitJson(rounded({
    bench: "centre-ingest",
    params: { ...flags, databases },
    machine: machineInfo(),
    loadAverage: load,
    results,
  }));
}

main().catch((err: unknown) => {
  process.stderr.write(`centre-ingest: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
