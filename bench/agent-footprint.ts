/**
 * Bench: resident memory and CPU of the agent (its own process, `node dist/cli/main.js agent`)
 * with --devices simulated VISCA cameras (serial ptys and UDP) polled every --poll-interval-ms and
 * no commands. Once every device reports `ok`, a --warmup is skipped, then /proc/PID/status
 * (VmRSS) and /proc/PID/stat (utime+stime) are sampled every second for --seconds.
 *
 * The agent runs on the Node that runs the bench (run the bench with the bundle's node/bin/node to
 * measure Node 24) with the gateway's flags (bench/lib/processes.ts, benchAgentFlags).
 *
 * For orientation it also measures, each in a fresh `node --input-type=module -e` process with the
 * same flags, the RSS of a bare Node process and of importing the libraries the agent uses, and the
 * agent's own module graph (bench/module-costs.ts has the finer view).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseFlags } from "./lib/args.js";
import { CameraTap } from "./lib/camera-tap.js";
import { moduleCosts, type ModuleCost } from "./lib/module-cost.js";
import { Operator } from "./lib/operator.js";
import { emitJson, note, setJsonOnly } from "./lib/output.js";
import { benchAgentFlags, projectRoot, spawnAgent, type BenchChild } from "./lib/processes.js";
import { clockTicksPerSecond, machineInfo, readCpuTicks, readMem, type MemSample } from "./lib/procfs.js";
import { scratchDir, startBenchBroker, startCamera, writeSiteFile, type BenchBroker, type BrokerMode, type SimulatedDevice } from "./lib/site.js";
import { fmt, rounded, summarize, table } from "./lib/stats.js";

const flags = parseFlags("agent-footprint", {
  seconds: { type: "number", default: 300, min: 1, help: "measured window, after the warm-up" },
  warmup: { type: "number", default: 10, help: "seconds after every device is ok that are not measured" },
  devices: { type: "number", default: 12, min: 1, help: "simulated cameras" },
  serial: { type: "number", default: 6, help: "how many of them are on serial ptys (the rest UDP)" },
  "poll-interval-ms": { type: "number", default: 5_000, min: 200, help: "each device's poll interval" },
  baud: { type: "number", default: 9600, min: 1, help: "serial line speed" },
  broker: { type: "string", default: "child", help: "child | in-process" },
  "no-modules": { type: "boolean", default: false, help: "skip the module-cost measurements" },
  "json-only": { type: "boolean", default: false, help: "print only the JSON line" },
});
setJsonOnly(flags["json-only"]);
if (flags.broker !== "child" && flags.broker !== "in-process") {
  process.stderr.write(`agent-footprint: --broker: expected child | in-process, got "${flags.broker}"\n`);
  process.exit(2);
}

const SITE = "bench-footprint";
const TARGET_RSS_MB = 64;
const TARGET_CPU_PCT = 1;
const KB_PER_MB = 1024;
/** The "no growth in the last 20 minutes". */
const GROWTH_WINDOW_S = 1200;

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

interface Sample {
  /** Seconds since the window opened. */
  t: number;
  mem: MemSample;
  ticks: number;
}

function sampleWindow(pid: number, seconds: number): Promise<Sample[]> {
  return new Promise((resolve, reject) => {
    const samples: Sample[] = [];
    const t0 = process.hrtime.bigint();
    const take = () => {
      try {
        samples.push({ t: Number(process.hrtime.bigint() - t0) / 1e9, mem: readMem(pid), ticks: readCpuTicks(pid) });
      } catch (err) {
        clearInterval(timer);
        reject(new Error(`agent ${pid} vanished while sampling: ${(err as Error).message}`));
        return;
      }
      if (samples.length > seconds) {
        clearInterval(timer);
        resolve(samples);
      } else if (samples.length % 30 === 1) note(`  t=${Math.round(samples[samples.length - 1]!.t)} s  rss ${fmt(samples[samples.length - 1]!.mem.rssKb / KB_PER_MB, 1)} MB`);
    };
    take(); // t = 0, then one a second: seconds + 1 samples bound `seconds` intervals
    const timer = setInterval(take, 1_000);
  });
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function measureModules(): Promise<ModuleCost[]> {
  const dist = (p: string) => pathToFileURL(path.join(projectRoot, "dist", p)).href;
  const libs = ["mqtt/lib/client", "pino", "zod", "yaml", "serialport"];
  return moduleCosts([
    { label: "bare node", imports: [] },
    ...libs.map((m) => ({ label: m, imports: [m] })),
    { label: "mqtt (whole package)", imports: ["mqtt"] },
    { label: "the five libraries together", imports: libs },
    {
      // What `roomgate agent` loads for a VISCA site: the CLI entry, the agent, the driver, both transports.
      label: "agent module graph (visca, serial+udp)",
      imports: [dist("cli/agent.js"), dist("drivers/visca/index.js"), dist("drivers/transport/serial.js"), dist("drivers/transport/udp.js")],
    },
  ], { flags: benchAgentFlags() });
}

async function main(): Promise<void> {
  const scratch = scratchDir("bench-footprint");
  const hz = clockTicksPerSecond();
  let broker: BenchBroker | undefined;
  const cams: SimulatedDevice[] = [];
  let agent: BenchChild | undefined;
  let op: Operator | undefined;
  try {
    broker = await startBenchBroker(flags.broker as BrokerMode);
    const serialCount = Math.min(flags.serial, flags.devices);
    for (let i = 0; i < flags.devices; i++) {
      const id = `cam-${String(i + 1).padStart(2, "0")}`;
      cams.push(await startCamera(scratch.dir, id, i < serialCount ? "serial" : "udp", { baudRate: flags.baud, pollIntervalMs: flags["poll-interval-ms"] }));
    }
    const taps = cams.map((c) => new CameraTap(c.handle.camera));
    const siteFile = writeSiteFile(scratch.dir, {
      site: SITE,
      broker: { url: broker.url },
      agent: { pollIntervalMs: flags["poll-interval-ms"], logLevel: "info" },
      devices: Object.fromEntries(cams.map((c) => [c.id, c.config])),
    });
    op = await Operator.connect(broker.url, SITE);
    agent = spawnAgent(siteFile, broker.url, path.join(scratch.dir, "state"));
    const startMem = readMem(agent.pid);
    const o = op;
    await op.until(() => cams.every((c) => o.healthOf(c.id) === "ok"), `all ${cams.length} devices ok`, 60_000);
    note(`agent pid ${agent.pid}: ${cams.length} devices ok (${serialCount} serial, ${cams.length - serialCount} udp); warm-up ${flags.warmup} s`);
    await wait(flags.warmup * 1_000);
    const healthBefore = cams.map((c) => o.healthMessages(c.id));
    const inquiriesBefore = taps.reduce((a, t) => a + t.inquiries, 0);
    note(`sampling ${flags.seconds} s`);
    const samples = await sampleWindow(agent.pid, flags.seconds);
    const inquiries = taps.reduce((a, t) => a + t.inquiries, 0) - inquiriesBefore;
    const healthChanges = cams.reduce((a, c, i) => a + o.healthMessages(c.id) - healthBefore[i]!, 0);
    const notOk = cams.filter((c) => o.healthOf(c.id) !== "ok").map((c) => c.id);

    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    const rssMb = samples.map((s) => s.mem.rssKb / KB_PER_MB);
    const rss = summarize(rssMb);
    // Growth over the last 20 minutes (the last two thirds of a shorter window): the first minute's
    // mean against the last minute's, and a least-squares slope over the whole stretch.
    const tail = samples.filter((s) => s.t >= samples[samples.length - 1]!.t - Math.min(GROWTH_WINDOW_S, (samples[samples.length - 1]!.t * 2) / 3));
    const minuteMean = (xs: Sample[]) => summarize(xs.map((s) => s.mem.rssKb / KB_PER_MB)).mean;
    const t0 = tail[0]!.t;
    const tEnd = tail[tail.length - 1]!.t;
    const growth = {
      windowS: tEnd - t0,
      firstMinuteMb: minuteMean(tail.filter((s) => s.t < t0 + 60)),
      lastMinuteMb: minuteMean(tail.filter((s) => s.t > tEnd - 60)),
      slopeMbPerHour: slope(tail.map((s) => [s.t, s.mem.rssKb / KB_PER_MB])) * 3600,
    };
    const windowS = last.t - first.t;
    const cpuPct = ((last.ticks - first.ticks) / hz.hz / windowS) * 100;
    const perSecond = samples.slice(1).map((s, i) => ((s.ticks - samples[i]!.ticks) / hz.hz / (s.t - samples[i]!.t)) * 100);
    const modules = flags["no-modules"] ? [] : await measureModules();

    const result = {
      bench: "agent-footprint",
      machine: machineInfo(),
      setup: {
        devices: cams.length,
        serial: serialCount,
        udp: cams.length - serialCount,
        baud: flags.baud,
        pollIntervalMs: flags["poll-interval-ms"],
        warmupS: flags.warmup,
        windowS: rounded({ v: windowS }).v,
        samples: samples.length,
        clockTicks: hz,
        broker: flags.broker,
        agent: "child process (node dist/cli/main.js agent), logLevel info",
        agentNodeFlags: benchAgentFlags(),
      },
      rssMb: rounded({ atSpawn: startMem.rssKb / KB_PER_MB, start: rssMb[0]!, max: rss.max, mean: rss.mean, end: rssMb[rssMb.length - 1]!, min: rss.min }, 1),
      rssGrowth: rounded(growth, 2),
      rssSplitMbAtEnd: rounded({ anon: last.mem.anonKb / KB_PER_MB, file: last.mem.fileKb / KB_PER_MB }, 1),
      cpu: rounded({ meanPctOfOneCore: cpuPct, maxPerSecondPct: Math.max(...perSecond), p90PerSecondPct: summarize(perSecond).p90, cpuSeconds: (last.ticks - first.ticks) / hz.hz }),
      polling: { inquiries, expectedAbout: Math.round((windowS * 1000 * cams.length * 4) / flags["poll-interval-ms"]), healthChanges, notOkAtEnd: notOk },
      targets: { rssMb: TARGET_RSS_MB, cpuPct: TARGET_CPU_PCT },
      pass: { rss: rss.max < TARGET_RSS_MB, cpu: cpuPct < TARGET_CPU_PCT },
      modules: modules.map((m) => rounded(m, 1)),
    };

    note("");
    note(`agent RSS over ${fmt(windowS, 0)} s (MB): at spawn ${fmt(result.rssMb.atSpawn, 1)}`);
    note(
      table(
        ["", "start", "max", "mean", "end", "target", "result"],
        [
          ["RSS (MB)", fmt(result.rssMb.start, 1), fmt(result.rssMb.max, 1), fmt(result.rssMb.mean, 1), fmt(result.rssMb.end, 1), `< ${TARGET_RSS_MB}`, result.pass.rss ? "met" : "NOT met"],
          ["CPU (% of a core)", "", fmt(result.cpu.maxPerSecondPct), fmt(result.cpu.meanPctOfOneCore), "", `< ${TARGET_CPU_PCT}`, result.pass.cpu ? "met" : "NOT met"],
        ],
      ),
    );
    note(`RSS over the last ${fmt(growth.windowS / 60, 1)} min: first minute ${fmt(growth.firstMinuteMb, 1)} MB, last minute ${fmt(growth.lastMinuteMb, 1)} MB, slope ${fmt(growth.slopeMbPerHour)} MB/h`);
    note(`RSS at end: anon ${fmt(result.rssSplitMbAtEnd.anon, 1)} MB, file-backed ${fmt(result.rssSplitMbAtEnd.file, 1)} MB`);
    note(`polling: ${inquiries} inquiries (about ${result.polling.expectedAbout} expected), ${healthChanges} health changes, not ok at end: ${notOk.join(", ") || "none"}`);
    if (modules.length > 0) {
      note("");
      note(table(["fresh process importing", "RSS MB", "over bare", "heap MB"], modules.map((m) => [m.label, fmt(m.rssMb, 1), fmt(m.overBareMb, 1), fmt(m.heapUsedMb, 1)])));
    }
    emitJson(result);
  } finally {
    await op?.close().catch((err: Error) => note(`operator close: ${err.message}`));
    const code = await agent?.stop();
    if (code !== undefined && code !== 0 && code !== null) note(`agent exited with code ${code}: ${agent?.tail() ?? ""}`);
    await Promise.all(cams.map((c) => c.handle.close()));
    await broker?.close();
    scratch.cleanup();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`agent-footprint failed: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
