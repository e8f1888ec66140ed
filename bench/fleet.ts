/**
 * Bench: a fleet of simulated agents and operators against the central broker (issue 8, item 7).
 *
 * N agents (one MQTT connection each, as the real agent connects: its client id, its site's agent
 * user, a last will, a retained birth and meta), each with D devices publishing retained health
 * every H s and state every S s (QoS 1, phases spread evenly), operators sending C commands/s to
 * random sites and timing the answer, a monitor on `roomgate/v1/+/dev/+/health` timing delivery.
 * Against aedes (broker/server.ts with users, roles and ACLs, in its own process) and then Mosquitto
 * (the policy broker/mosquitto-policy.ts generates from the same users), same load, same command
 * sequence. The connect storm and the steady state are measured separately. Broker CPU and RSS come
 * from /proc; so do the generator's own CPU and the whole machine's, to show whether it was saturated.
 *
 *   npm run bench:fleet                  # 2000 x 10, 60 s measured per broker, production hashes
 *   npm run bench:fleet -- --quick       # 200 agents, 10 s, light hashes: well under a minute
 *   npm run bench:fleet:stores           # issue 24's table: the on-disk store, the memory store and
 *                                        # Mosquitto with persistence, one after the other (that is
 *                                        # --data-dir $TMPDIR/roomgate-bench-fleet --broker aedes,aedes-memory,mosquitto)
 *   ... --heap-snapshot DIR              # and a heap snapshot of each aedes broker after its window,
 *                                        # summarised by type (bench/heap-summary.ts)
 *   ... --cpu-profile DIR                # and a CPU profile of each aedes broker's window, summarised
 *                                        # by package and function (bench/lib/cpu-profile.ts)
 */
import { mkdirSync, readFileSync } from "node:fs";
import os from "node:os";
import { parseFlags, type FlagSpec } from "./lib/args.js";
import { emitJson, note, setJsonOnly } from "./lib/output.js";
import { clockTicksPerSecond, machineInfo } from "./lib/procfs.js";
import { scratchDir } from "./lib/site.js";
import { rounded } from "./lib/stats.js";
import { KDFS, writePolicy, type KdfName } from "./fleet/brokers.js";
import { buildMeta, checkPayloads } from "./fleet/contract-check.js";
import { SITE_PLACEHOLDER } from "./fleet/payloads.js";
import type { LoadShape } from "./fleet/protocol.js";
import { ratios, resultTable, storeLines, verdicts, verdictTable } from "./fleet/report.js";
import { BROKER_NAMES, runOne, type BrokerName, type RunResult } from "./fleet/run.js";
import { summarize as summarizeProfile, type CpuProfile } from "./lib/cpu-profile.js";
import { heapSummaryText, summarizeHeapSnapshot, type HeapSummary } from "./lib/heap-summary.js";

const specs = {
  agents: { type: "number", default: 2000, min: 1, help: "simulated agents (one connection each)" },
  devices: { type: "number", default: 10, min: 1, help: "devices per agent" },
  "health-s": { type: "number", default: 10, min: 0.1, help: "each device's health period, s" },
  "state-s": { type: "number", default: 10, help: "each device's state period, s (0: state only at connect)" },
  commands: { type: "number", default: 20, help: "operator commands per second, in total" },
  operators: { type: "number", default: 4, min: 1, help: "operator connections sharing the commands" },
  duration: { type: "number", default: 60, min: 1, help: "measured steady state, s" },
  warmup: { type: "number", default: 15, help: "unmeasured load before it, s" },
  drain: { type: "number", default: 3, help: "wait after the window before counting, s" },
  broker: { type: "string", default: "both", help: "comma-separated, run one after the other with the same load: aedes (the store --data-dir selects), aedes-memory, mosquitto; both = aedes,mosquitto" },
  workers: { type: "number", default: 2, min: 1, help: "agent worker processes" },
  "connect-concurrency": { type: "number", default: 64, min: 1, help: "connects in flight at once, in total" },
  "connect-timeout-s": { type: "number", default: 120, min: 1, help: "CONNACK deadline per agent, s" },
  kdf: { type: "string", default: "production", help: "password hash cost: production (scrypt 2^14, PBKDF2 210000) | light (scrypt 2^10, PBKDF2 4000)" },
  keepalive: { type: "number", default: 30, help: "MQTT keepalive, s (the agent's default)" },
  seed: { type: "number", default: 1, help: "seed of the operators' site and device choice" },
  "data-dir": { type: "string", default: "", help: "broker data directory (persistence), a fresh subdirectory per broker; empty: none" },
  "heap-snapshot": { type: "string", default: "", help: "directory: write a heap snapshot of each aedes broker after its window and summarise it by type" },
  "cpu-profile": { type: "string", default: "", help: "directory: write a CPU profile of each aedes broker's measured window (from 250 ms before it) and summarise it (the profiler costs the broker a little CPU)" },
  quick: { type: "boolean", default: false, help: "200 agents, 10 s measured, 3 s warm-up, light hashes (unless given)" },
  "json-only": { type: "boolean", default: false, help: "print only the JSON line" },
} satisfies Record<string, FlagSpec>;

const flags = parseFlags("fleet", specs);
setJsonOnly(flags["json-only"]);
const given = (k: string) => process.argv.some((a) => a === `--${k}` || a.startsWith(`--${k}=`));
if (flags.quick) {
  if (!given("agents")) flags.agents = 200;
  if (!given("duration")) flags.duration = 10;
  if (!given("warmup")) flags.warmup = 3;
  if (!given("kdf")) flags.kdf = "light";
  if (!given("drain")) flags.drain = 2;
}
const brokers = (flags.broker === "both" ? "aedes,mosquitto" : flags.broker).split(",") as BrokerName[];
for (const b of brokers) if (!BROKER_NAMES.includes(b)) usageError(`--broker: expected a comma-separated list of ${BROKER_NAMES.join(", ")} (or both), got "${flags.broker}"`);
if (!(flags.kdf in KDFS)) usageError(`--kdf: expected production | light, got "${flags.kdf}"`);

function usageError(message: string): never {
  process.stderr.write(`fleet: ${message}\n`);
  process.exit(2);
}

// An interrupted bench still runs the exit hook that kills its children (bench/lib/processes.ts).
for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => process.exit(sig === "SIGINT" ? 130 : 143));

async function main(): Promise<void> {
  const shape: LoadShape = {
    agents: flags.agents,
    devices: flags.devices,
    healthMs: flags["health-s"] * 1000,
    stateMs: flags["state-s"] * 1000,
    commandsPerSec: flags.commands,
    operators: flags.operators,
    keepaliveSec: flags.keepalive,
    connectConcurrency: Math.max(1, Math.ceil(flags["connect-concurrency"] / Math.min(flags.workers, flags.agents))),
    connectTimeoutMs: flags["connect-timeout-s"] * 1000,
    seed: flags.seed,
  };
  const kdf = KDFS[flags.kdf as KdfName];
  const machine = machineInfo();
  const load = os.loadavg();
  note(`fleet: ${shape.agents} agents x ${shape.devices} devices, health ${flags["health-s"]} s, state ${flags["state-s"] || "never"} s, ${shape.commandsPerSec} commands/s; kdf ${kdf.name}; load average ${load.map((l) => l.toFixed(2)).join(" ")}`);

  const meta = await buildMeta(shape.devices, SITE_PLACEHOLDER);
  const payloadBytes = await checkPayloads(shape.devices, meta);
  if (flags["heap-snapshot"] !== "") mkdirSync(flags["heap-snapshot"], { recursive: true });
  if (flags["cpu-profile"] !== "") mkdirSync(flags["cpu-profile"], { recursive: true });
  const scratch = scratchDir("fleet");
  const runs: Partial<Record<BrokerName, RunResult>> = {};
  let policyInfo: { users: number; kdfCheckMs: { scrypt: number; pbkdf2: number } };
  try {
    note(`fleet: hashing the bench users' password (${kdf.name})`);
    const policy = await writePolicy(scratch.dir, shape.agents, shape.operators, kdf);
    policyInfo = { users: policy.users, kdfCheckMs: policy.kdfCheckMs };
    // Shortest the storm can take at this hash cost, so the phase bound never cuts a healthy run.
    const connectPhaseTimeoutMs = Math.max(120_000, shape.agents * Math.max(policy.kdfCheckMs.scrypt, policy.kdfCheckMs.pbkdf2) * 3 + 60_000);
    for (const name of brokers) {
      runs[name] = await runOne(name, policy, JSON.stringify(meta), scratch.dir, {
        shape, workers: flags.workers, warmupSec: flags.warmup, durationSec: flags.duration, drainMs: flags.drain * 1000,
        connectPhaseTimeoutMs, dataDir: flags["data-dir"] === "" ? undefined : flags["data-dir"],
        heapDir: flags["heap-snapshot"] === "" ? undefined : flags["heap-snapshot"],
        profileDir: flags["cpu-profile"] === "" ? undefined : flags["cpu-profile"],
        hz: clockTicksPerSecond().hz, cores: os.availableParallelism(),
      });
    }
  } finally {
    scratch.cleanup();
  }

  const heap: Partial<Record<BrokerName, HeapSummary>> = {};
  for (const [name, r] of Object.entries(runs) as [BrokerName, RunResult][]) {
    if (r.heapSnapshot === undefined) continue;
    note(`${name}: summarising ${r.heapSnapshot}`);
    heap[name] = await summarizeHeapSnapshot(r.heapSnapshot);
  }
  const profiles: Partial<Record<BrokerName, { busyPct: number; groups: Array<{ group: string; pct: number }> }>> = {};
  for (const [name, r] of Object.entries(runs) as [BrokerName, RunResult][]) {
    if (r.cpuProfile === undefined) continue;
    const p = summarizeProfile(JSON.parse(readFileSync(r.cpuProfile, "utf8")) as CpuProfile);
    const pct = (ms: number) => Math.round((1000 * ms) / p.busyMs) / 10;
    const busy = p.groups.filter((g) => g.group !== "(idle)");
    profiles[name] = { busyPct: Math.round((1000 * p.busyMs) / p.wallMs) / 10, groups: busy.map((g) => ({ group: g.group, pct: pct(g.ms) })) };
    note(`\n${name}: where the broker's CPU went in the window (self time, % of its busy time; ${profiles[name]!.busyPct} % of a core profiled)`);
    for (const g of busy.slice(0, 15)) note(`  ${pct(g.ms).toFixed(1).padStart(5)} %  ${g.group}`);
    note("  top functions:");
    for (const f of p.functions.filter((x) => !x.fn.startsWith("(idle)")).slice(0, 15)) note(`  ${pct(f.ms).toFixed(1).padStart(5)} %  ${f.fn}`);
  }
  const v = verdicts(shape, runs);
  for (const [name, h] of Object.entries(heap)) note(`\n${name}: what the heap holds at the end of the run\n${heapSummaryText(h)}`);
  note("");
  note(resultTable(runs));
  for (const line of storeLines(runs)) note(line);
  note("");
  note(verdictTable(v));
  note(`password check cost in this process: scrypt ${policyInfo.kdfCheckMs.scrypt.toFixed(1)} ms, PBKDF2 ${policyInfo.kdfCheckMs.pbkdf2.toFixed(1)} ms (kdf ${kdf.name}); load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  const roundDeep = (o: unknown): unknown =>
    Array.isArray(o) ? o.map(roundDeep) : o !== null && typeof o === "object" ? rounded(Object.fromEntries(Object.entries(o).map(([k, x]) => [k, roundDeep(x)]))) : o;
  emitJson({
    bench: "fleet",
    machine,
    loadAverageBefore: load,
    loadAverageAfter: os.loadavg(),
    params: { ...shape, durationSec: flags.duration, warmupSec: flags.warmup, workers: flags.workers, kdf, quick: flags.quick },
    payloadBytes,
    users: policyInfo.users,
    kdfCheckMs: roundDeep(policyInfo.kdfCheckMs),
    runs: roundDeep(runs),
    ratio: roundDeep(ratios(runs)),
    verdicts: v,
    ...(Object.keys(heap).length > 0 ? { heap } : {}),
    ...(Object.keys(profiles).length > 0 ? { cpuProfile: profiles } : {}),
  });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`fleet: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
