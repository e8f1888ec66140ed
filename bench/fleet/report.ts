/**
 * The fleet bench's table (one column per broker, and each aedes run / Mosquitto) and its verdict on
 * the targets: the load of issue 8 (2,000 agents x 10 devices, health every 10 s, 20 commands/s) and
 * the costs of issue 24 (every aedes store within 1.5x Mosquitto's CPU and 2x its RSS, p99 delivery
 * under 10 ms, nothing lost).
 */
import { fmt, table } from "../lib/stats.js";
import type { LoadShape } from "./protocol.js";
import type { BrokerName, RunResult } from "./run.js";

export const TARGET = { agents: 2000, devices: 10, healthMs: 10_000, commandsPerSec: 20, p99Ms: 10, cpuRatio: 1.5, rssRatio: 2 } as const;

export interface Verdict {
  target: string;
  measured: string;
  met: boolean | null;
}

export interface Ratios {
  cpu: number;
  rssMax: number;
  rssMean: number;
  connectCpuSec: number;
}

type Runs = Partial<Record<BrokerName, RunResult>>;

const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
const AEDES: readonly BrokerName[] = ["aedes", "aedes-memory"];

/** Each aedes run against Mosquitto's, when both ran. */
export function ratios(runs: Runs): Partial<Record<BrokerName, Ratios>> | null {
  const m = runs.mosquitto;
  if (!m) return null;
  const out: Partial<Record<BrokerName, Ratios>> = {};
  for (const name of AEDES) {
    const a = runs[name];
    if (!a) continue;
    out[name] = {
      cpu: ratio(a.steady.cpu.brokerPct, m.steady.cpu.brokerPct),
      rssMax: ratio(a.steady.rss.brokerMaxMb, m.steady.rss.brokerMaxMb),
      rssMean: ratio(a.steady.rss.brokerMeanMb, m.steady.rss.brokerMeanMb),
      connectCpuSec: ratio(a.connect.cpu.brokerCpuSec, m.connect.cpu.brokerCpuSec),
    };
  }
  return Object.keys(out).length > 0 ? out : null;
}

export function verdicts(shape: LoadShape, runs: Runs): Verdict[] {
  const isTargetLoad = shape.agents >= TARGET.agents && shape.devices >= TARGET.devices && shape.healthMs <= TARGET.healthMs && shape.commandsPerSec >= TARGET.commandsPerSec;
  const out: Verdict[] = [
    {
      target: `load >= ${TARGET.agents} agents x ${TARGET.devices} devices, health every ${TARGET.healthMs / 1000} s, ${TARGET.commandsPerSec} commands/s`,
      measured: `${shape.agents} x ${shape.devices}, health every ${shape.healthMs / 1000} s, state every ${shape.stateMs ? `${shape.stateMs / 1000} s` : "(never)"}, ${shape.commandsPerSec} commands/s`,
      met: isTargetLoad,
    },
  ];
  for (const [name, r] of Object.entries(runs) as [BrokerName, RunResult][]) {
    const held = r.steady.connectionsHeld === r.steady.connectionsExpected && r.steady.dropped === 0 && r.connect.connected === r.connect.attempted;
    out.push({ target: `${name}: every connection held, none refused or dropped`, measured: `${r.steady.connectionsHeld}/${r.steady.connectionsExpected} held, ${r.connect.attempted - r.connect.connected} not connected, ${r.steady.dropped} dropped`, met: held });
    out.push({ target: `${name}: no health message lost`, measured: `${r.steady.health.received}/${r.steady.health.sent} delivered`, met: r.steady.health.lost === 0 });
    out.push({ target: `${name}: p99 delivery < ${TARGET.p99Ms} ms`, measured: `${fmt(r.steady.deliveryMs.p99)} ms`, met: r.steady.deliveryMs.p99 < TARGET.p99Ms });
  }
  const q = ratios(runs);
  for (const [name, x] of Object.entries(q ?? {}) as [BrokerName, Ratios][]) {
    const a = runs[name]!.steady;
    const m = runs.mosquitto!.steady;
    out.push({ target: `${name} CPU <= ${TARGET.cpuRatio} x Mosquitto's (steady state)`, measured: `${fmt(x.cpu)} x (${fmt(a.cpu.brokerPct, 1)} % vs ${fmt(m.cpu.brokerPct, 1)} %)`, met: x.cpu <= TARGET.cpuRatio });
    out.push({ target: `${name} RSS <= ${TARGET.rssRatio} x Mosquitto's (steady max)`, measured: `${fmt(x.rssMax)} x (${fmt(a.rss.brokerMaxMb, 1)} MB vs ${fmt(m.rss.brokerMaxMb, 1)} MB)`, met: x.rssMax <= TARGET.rssRatio });
  }
  return out;
}

const mb = (bytes: number | undefined) => (bytes === undefined ? Number.NaN : bytes / 1048576);

export function resultTable(runs: Runs): string {
  const names = Object.keys(runs) as BrokerName[];
  const against = runs.mosquitto ? names.filter((n) => n !== "mosquitto") : [];
  const header = ["", ...names, ...against.map((n) => `${n}/mosq`)];
  const rows: string[][] = [];
  const row = (label: string, f: (r: RunResult) => number, digits = 1, showRatio = false) =>
    rows.push([label, ...names.map((n) => fmt(f(runs[n]!), digits)), ...against.map((n) => (showRatio ? fmt(ratio(f(runs[n]!), f(runs.mosquitto!)), 2) : ""))]);
  const text = (label: string, f: (r: RunResult) => string) => rows.push([label, ...names.map((n) => f(runs[n]!)), ...against.map(() => "")]);
  text("version", (r) => r.broker.version);
  text("store", (r) => r.broker.store);
  text("load average at window start", (r) => r.steady.loadAverage.map((l) => l.toFixed(2)).join(" "));
  text("connect: connected / attempted", (r) => `${r.connect.connected}/${r.connect.attempted}`);
  row("connect: all CONNACKs (s)", (r) => r.connect.allConnackMs / 1000, 1, true);
  row("connect: all retained sets acked (s)", (r) => r.connect.allReadyMs / 1000, 1, true);
  row("connect: connects/s", (r) => r.connect.connectsPerSec, 0, true);
  row("connect: CONNACK p50 (ms)", (r) => r.connect.connackMs.p50, 1);
  row("connect: CONNACK p99 (ms)", (r) => r.connect.connackMs.p99, 1);
  row("connect: broker CPU (% of a core)", (r) => r.connect.cpu.brokerPct, 0, true);
  row("connect: broker CPU (s)", (r) => r.connect.cpu.brokerCpuSec, 1, true);
  row("connect: broker RSS after (MB)", (r) => r.connect.brokerRssMbAfter, 1, true);
  text("steady: connections held / expected", (r) => `${r.steady.connectionsHeld}/${r.steady.connectionsExpected}`);
  row("steady: dropped", (r) => r.steady.dropped, 0);
  row("steady: messages/s in (to broker)", (r) => r.steady.messagesInPerSec, 0);
  row("steady: messages/s out (from broker)", (r) => r.steady.messagesOutPerSec, 0);
  text("steady: health delivered / sent", (r) => `${r.steady.health.received}/${r.steady.health.sent}`);
  row("delivery p50 (ms)", (r) => r.steady.deliveryMs.p50, 2, true);
  row("delivery p90 (ms)", (r) => r.steady.deliveryMs.p90, 2, true);
  row("delivery p99 (ms)", (r) => r.steady.deliveryMs.p99, 2, true);
  row("delivery max (ms)", (r) => r.steady.deliveryMs.max, 2, true);
  text("commands answered / sent", (r) => `${r.steady.commands.answered}/${r.steady.commands.sent}`);
  row("command round trip p50 (ms)", (r) => r.steady.commands.roundTripMs.p50, 2, true);
  row("command round trip p99 (ms)", (r) => r.steady.commands.roundTripMs.p99, 2, true);
  row("broker CPU (% of a core)", (r) => r.steady.cpu.brokerPct, 1, true);
  row("broker RSS max (MB)", (r) => r.steady.rss.brokerMaxMb, 1, true);
  row("broker RSS mean (MB)", (r) => r.steady.rss.brokerMeanMb, 1, true);
  row("broker V8 heap used at end (MB)", (r) => mb(r.end?.memory.heapUsed), 1);
  row("broker V8 heap total at end (MB)", (r) => mb(r.end?.memory.heapTotal), 1);
  row("broker external (Buffers) at end (MB)", (r) => mb(r.end?.memory.external), 1);
  row("generator CPU (% of a core, all procs)", (r) => r.steady.cpu.generatorPct, 1);
  row("generator RSS max (MB, all procs)", (r) => r.steady.rss.generatorMaxMb, 1);
  row("machine busy (% of a core, all CPUs)", (r) => r.steady.cpu.machineBusyPct, 1);
  row("other processes (% of a core)", (r) => r.steady.cpu.otherPct, 1);
  row("worst worker loop delay p99 (ms)", (r) => Math.max(...Object.values(r.steady.loopDelayMs).map((l) => l.p99)), 1);
  return table(header, rows);
}

/** The stores' own counters (aedes), one line per run that has them. */
export function storeLines(runs: Runs): string[] {
  return (Object.entries(runs) as [BrokerName, RunResult][])
    .filter(([, r]) => r.end !== undefined && Object.keys(r.end.store).length > 0)
    .map(([name, r]) => `${name} store at the end of the window: ${JSON.stringify(r.end!.store)}`);
}

export function verdictTable(v: readonly Verdict[]): string {
  return table(["target", "measured", "result"], v.map((x) => [x.target, x.measured, x.met === null ? "n/a" : x.met ? "met" : "NOT MET"]));
}
