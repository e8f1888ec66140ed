/**
 * One run of the fleet load against one broker: start it (its own process), connect the observer
 * (monitor and operators), then the connect storm of every agent (measured on its own), then the
 * periodic load from t0: `warmup` seconds unmeasured, `duration` seconds measured, a short drain,
 * the reports of every worker, and everything stopped (in `finally`, so a failure leaves nothing).
 */
import os from "node:os";
import { rmSync, mkdirSync } from "node:fs";
import path from "node:path";
import { note } from "../lib/output.js";
import { freePort } from "../../simulators/site-endpoints.js";
import { summarize, type Summary } from "../lib/stats.js";
import { startAedes, startMosquitto, type BrokerStats, type BrokerUnderTest, type PolicyFiles } from "./brokers.js";
import { monoMs } from "./payloads.js";
import type { AgentsReport, ConnectResult, LoadShape, ObserverReport, Window } from "./protocol.js";
import { cpuBetween, RssSampler, snap, type CpuUse } from "./sampler.js";
import { Worker } from "./workers.js";

/**
 * `aedes`: `roomgate broker` with the store `--data-dir` selects (on disk when given, as the command's
 * default; memory without); `aedes-memory`: the memory store whatever `--data-dir` says;
 * `mosquitto`: with `persistence true` when `--data-dir` is given.
 */
export type BrokerName = "aedes" | "aedes-memory" | "mosquitto";
export const BROKER_NAMES: readonly BrokerName[] = ["aedes", "aedes-memory", "mosquitto"];

export interface RunSettings {
  shape: LoadShape;
  workers: number;
  warmupSec: number;
  durationSec: number;
  drainMs: number;
  /** Connect storm bound (whole phase). */
  connectPhaseTimeoutMs: number;
  dataDir: string | undefined;
  /** Write a heap snapshot of an aedes broker into this directory after its window. */
  heapDir: string | undefined;
  /** Write a CPU profile of an aedes broker's measured window into this directory. */
  profileDir: string | undefined;
  hz: number;
  cores: number;
}

export interface RunResult {
  broker: { name: BrokerName; version: string; pid: number; store: string };
  connect: {
    attempted: number;
    connected: number;
    refused: Record<string, number>;
    failed: Record<string, number>;
    subscribeRefused: number;
    firstErrors: string[];
    /** First connect started -> last CONNACK, and -> last agent's retained set acknowledged. */
    allConnackMs: number;
    allReadyMs: number;
    connectsPerSec: number;
    connackMs: Summary;
    cpu: CpuUse;
    brokerRssMbAfter: number;
  };
  steady: {
    cpu: CpuUse;
    rss: { brokerMaxMb: number; brokerMeanMb: number; generatorMaxMb: number; samples: number };
    connectionsExpected: number;
    connectionsHeld: number;
    dropped: number;
    droppedReasons: Record<string, number>;
    messagesInPerSec: number;
    messagesOutPerSec: number;
    health: { sent: number; received: number; lost: number };
    stateSent: number;
    deliveryMs: Summary;
    commands: { sent: number; received: number; answered: number; roundTripMs: Summary };
    maxInFlightPerConnection: number;
    loopDelayMs: Record<string, { p50: number; p99: number; max: number }>;
    /** os.loadavg() when the measured window began: how busy the machine was. */
    loadAverage: number[];
  };
  /** aedes: its own view of its memory and its store's counters at the end of the window. */
  end?: BrokerStats;
  /** With --heap-snapshot: the file written after the window. */
  heapSnapshot?: string;
  /** With --cpu-profile: the broker's profile of the window. */
  cpuProfile?: string;
}

/** Starts the broker under test. The one place that knows how each is started (brokers.ts does the rest). */
async function startBrokerUnderTest(name: BrokerName, policy: PolicyFiles, scratch: string, dataDir: string | undefined): Promise<BrokerUnderTest> {
  const dir = dataDir === undefined || name === "aedes-memory" ? undefined : path.join(dataDir, name);
  if (dir !== undefined) {
    rmSync(dir, { recursive: true, force: true }); // every run starts from an empty store
    mkdirSync(dir, { recursive: true });
  }
  if (name === "mosquitto") return startMosquitto(policy, scratch, await freePort(), dir);
  return startAedes(policy, dir);
}

function storeOf(name: BrokerName, dataDir: string | undefined): string {
  if (name === "mosquitto") return dataDir === undefined ? "persistence false" : "persistence true";
  return name === "aedes-memory" || dataDir === undefined ? "memory" : "on disk";
}

const sleepUntil = (t: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, t - monoMs())));

export async function runOne(name: BrokerName, policy: PolicyFiles, metaJson: string, scratch: string, s: RunSettings): Promise<RunResult> {
  const { shape } = s;
  note(`${name}: starting the broker`);
  const broker = await startBrokerUnderTest(name, policy, scratch, s.dataDir);
  const workers: Worker[] = [];
  let rss: RssSampler | undefined;
  try {
    note(`${name}: ${broker.version} (${storeOf(name, s.dataDir)}), pid ${broker.pid}, port ${broker.port}`);
    const address = { host: broker.host, port: broker.port };
    rss = new RssSampler(broker.pid, [process.pid]);
    const observer = await Worker.start("observer", { role: "observer", broker: address, shape, password: policy.password });
    workers.push(observer);
    const per = Math.ceil(shape.agents / s.workers);
    const agentWorkers: Worker[] = [];
    for (let w = 0; w < s.workers; w++) {
      const from = w * per;
      const to = Math.min(shape.agents, from + per);
      if (from >= to) break;
      const aw = await Worker.start(`agents-${w + 1}`, { role: "agents", broker: address, shape, from, to, password: policy.password, metaJson });
      agentWorkers.push(aw);
      workers.push(aw);
    }
    const genPids = [process.pid, ...workers.map((w) => w.pid)];
    rss.setGenerator(genPids);
    await observer.request("connect", undefined, 60_000);

    note(`${name}: connecting ${shape.agents} agents (${shape.connectConcurrency * agentWorkers.length} connects in flight)`);
    const c0 = snap(broker.pid, genPids);
    const results = await Promise.all(agentWorkers.map((w) => w.request<ConnectResult>("connect", undefined, s.connectPhaseTimeoutMs)));
    const c1 = snap(broker.pid, genPids);
    rss.sample();
    const started = Math.min(...results.map((r) => r.startedAt));
    const sum = (f: (r: ConnectResult) => number) => results.reduce((a, r) => a + f(r), 0);
    const merge = (f: (r: ConnectResult) => Record<string, number>) => {
      const out: Record<string, number> = {};
      for (const r of results) for (const [k, v] of Object.entries(f(r))) out[k] = (out[k] ?? 0) + v;
      return out;
    };
    const connected = sum((r) => r.connected);
    const allConnackMs = Math.max(...results.map((r) => r.connectedAt)) - started;
    const connect: RunResult["connect"] = {
      attempted: sum((r) => r.attempted),
      connected,
      refused: merge((r) => r.refused),
      failed: merge((r) => r.failed),
      subscribeRefused: sum((r) => r.subscribeRefused),
      firstErrors: results.flatMap((r) => r.firstErrors).slice(0, 5),
      allConnackMs,
      allReadyMs: Math.max(...results.map((r) => r.readyAt)) - started,
      connectsPerSec: allConnackMs > 0 ? (connected / allConnackMs) * 1000 : Number.NaN,
      connackMs: summarize(results.flatMap((r) => r.connackMs)),
      cpu: cpuBetween(c0, c1, s.hz, s.cores),
      brokerRssMbAfter: Math.round(((rss.points.at(-1)?.brokerKb ?? Number.NaN) / 1024) * 10) / 10,
    };
    note(`${name}: ${connected}/${connect.attempted} connected in ${(allConnackMs / 1000).toFixed(1)} s (ready ${(connect.allReadyMs / 1000).toFixed(1)} s), broker CPU ${connect.cpu.brokerPct.toFixed(0)} %`);
    if (connected === 0) throw new Error(`${name}: no agent could connect: ${connect.firstErrors.join("; ")}; broker: ${broker.tail()}`);

    const t0 = monoMs() + 500;
    const window: Window = { t0, w0: t0 + s.warmupSec * 1000, w1: t0 + (s.warmupSec + s.durationSec) * 1000 };
    await Promise.all(workers.map((w) => w.request("start", window)));
    note(`${name}: load running: ${s.warmupSec} s warm-up, ${s.durationSec} s measured`);
    // The profiler starts just before the window (a round trip to the broker's process, which took
    // most of a second on a loaded machine), so the CPU snapshots are taken at the window's edges.
    const profiling = s.profileDir !== undefined && broker.cpuProfile !== undefined;
    if (profiling) {
      await sleepUntil(window.w0 - 250);
      await broker.cpuProfile!.start();
    }
    await sleepUntil(window.w0);
    const s0 = snap(broker.pid, genPids);
    const loadAverage = os.loadavg();
    await sleepUntil(window.w1);
    const s1 = snap(broker.pid, genPids);
    let cpuProfile: string | undefined;
    if (profiling) {
      cpuProfile = path.join(s.profileDir!, `${name}-${broker.pid}.cpuprofile`);
      await broker.cpuProfile!.stop(cpuProfile);
      note(`${name}: CPU profile of the window in ${cpuProfile} (node dist/bench/lib/cpu-profile.js FILE summarises it)`);
    }
    const end = await broker.stats?.();
    await sleepUntil(window.w1 + s.drainMs);
    const reports = await Promise.all(workers.map((w) => w.request<AgentsReport | ObserverReport>("report")));
    let heapSnapshot: string | undefined;
    if (s.heapDir !== undefined && broker.heapSnapshot) {
      heapSnapshot = path.join(s.heapDir, `${name}-${broker.pid}.heapsnapshot`);
      note(`${name}: writing a heap snapshot to ${heapSnapshot}`);
      await broker.heapSnapshot(heapSnapshot, 600_000);
    }
    const obs = reports.find((r): r is ObserverReport => r.role === "observer")!;
    const agents = reports.filter((r): r is AgentsReport => r.role === "agents");
    const aSum = (f: (r: AgentsReport) => number) => agents.reduce((a, r) => a + f(r), 0);
    const seconds = (window.w1 - window.w0) / 1000;
    const droppedReasons: Record<string, number> = {};
    for (const r of reports) for (const [k, v] of Object.entries(r.droppedReasons)) droppedReasons[k] = (droppedReasons[k] ?? 0) + v;
    const healthSent = aSum((r) => r.healthSent);
    const loopDelayMs: RunResult["steady"]["loopDelayMs"] = {};
    reports.forEach((r, i) => (loopDelayMs[workers[i]!.name] = r.loopDelayMs));
    return {
      broker: { name, version: broker.version, pid: broker.pid, store: storeOf(name, s.dataDir) },
      connect,
      steady: {
        cpu: cpuBetween(s0, s1, s.hz, s.cores),
        rss: rss.between(window.w0, window.w1),
        connectionsExpected: shape.agents + 1 + shape.operators,
        connectionsHeld: reports.reduce((a, r) => a + r.open, 0),
        dropped: reports.reduce((a, r) => a + r.dropped, 0),
        droppedReasons,
        messagesInPerSec: reports.reduce((a, r) => a + r.published, 0) / seconds,
        messagesOutPerSec: reports.reduce((a, r) => a + r.received, 0) / seconds,
        health: { sent: healthSent, received: obs.healthReceived, lost: healthSent - obs.healthReceived },
        stateSent: aSum((r) => r.stateSent),
        deliveryMs: obs.deliveryMs,
        commands: { sent: obs.commandsSent, received: aSum((r) => r.cmdReceived), answered: obs.commandsAnswered, roundTripMs: obs.roundTripMs },
        maxInFlightPerConnection: Math.max(...agents.map((r) => r.maxInFlight)),
        loopDelayMs,
        loadAverage,
      },
      ...(end ? { end } : {}),
      ...(heapSnapshot ? { heapSnapshot } : {}),
      ...(cpuProfile ? { cpuProfile } : {}),
    };
  } finally {
    rss?.stop();
    await Promise.all(workers.map((w) => w.stop()));
    await broker.stop();
    note(`${name}: stopped`);
  }
}
