/**
 * The fleet bench's table (one column per broker, and aedes / Mosquitto) and its verdict on the
 * issue's targets (issue 8, item 7): 2,000 agents x 10 devices, health every 10 s, 20 commands/s,
 * p99 delivery under 50 ms, aedes within 1.5x of Mosquitto's CPU.
 */
import { fmt, table } from "../lib/stats.js";
import type { LoadShape } from "./protocol.js";
import type { BrokerName, RunResult } from "./run.js";

export const TARGET = { agents: 2000, devices: 10, healthMs: 10_000, commandsPerSec: 20, p99Ms: 50, cpuRatio: 1.5 } as const;

export interface Verdict {
  target: string;
  measured: string;
  met: boolean | null;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);

export function ratios(runs: Partial<Record<BrokerName, RunResult>>): { cpu: number; rssMax: number; rssMean: number; connectCpuSec: number } | null {
  const a = runs.aedes;
  const m = runs.mosquitto;
  if (!a || !m) return null;
  return {
    cpu: ratio(a.steady.cpu.brokerPct, m.steady.cpu.brokerPct),
    rssMax: ratio(a.steady.rss.brokerMaxMb, m.steady.rss.brokerMaxMb),
    rssMean: ratio(a.steady.rss.brokerMeanMb, m.steady.rss.brokerMeanMb),
    connectCpuSec: ratio(a.connect.cpu.brokerCpuSec, m.connect.cpu.brokerCpuSec),
  };
}

export function verdicts(shape: LoadShape, runs: Partial<Record<BrokerName, RunResult>>): Verdict[] {
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
  if (q) out.push({ target: `aedes CPU <= ${TARGET.cpuRatio} x Mosquitto's (steady state)`, measured: `${fmt(q.cpu)} x (${fmt(runs.aedes!.steady.cpu.brokerPct, 1)} % vs ${fmt(runs.mosquitto!.steady.cpu.brokerPct, 1)} %)`, met: q.cpu <= TARGET.cpuRatio });
  return out;
}

export function resultTable(runs: Partial<Record<BrokerName, RunResult>>): string {
  const names = Object.keys(runs) as BrokerName[];
  const both = runs.aedes !== undefined && runs.mosquitto !== undefined;
  const header = ["", ...names, ...(both ? ["aedes/mosq"] : [])];
  const rows: string[][] = [];
  const row = (label: string, f: (r: RunResult) => number, digits = 1, showRatio = false) =>
    rows.push([label, ...names.map((n) => fmt(f(runs[n]!), digits)), ...(both ? [showRatio ? fmt(ratio(f(runs.aedes!), f(runs.mosquitto!)), 2) : ""] : [])]);
  const text = (label: string, f: (r: RunResult) => string) => rows.push([label, ...names.map((n) => f(runs[n]!)), ...(both ? [""] : [])]);
  text("version", (r) => r.broker.version);
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
  row("generator CPU (% of a core, all procs)", (r) => r.steady.cpu.generatorPct, 1);
  row("generator RSS max (MB, all procs)", (r) => r.steady.rss.generatorMaxMb, 1);
  row("machine busy (% of a core, all CPUs)", (r) => r.steady.cpu.machineBusyPct, 1);
  row("other processes (% of a core)", (r) => r.steady.cpu.otherPct, 1);
  row("worst worker loop delay p99 (ms)", (r) => Math.max(...Object.values(r.steady.loopDelayMs).map((l) => l.p99)), 1);
  return table(header, rows);
}

export function verdictTable(v: readonly Verdict[]): string {
  return table(["target", "measured", "result"], v.map((x) => [x.target, x.measured, x.met === null ? "n/a" : x.met ? "met" : "NOT MET"]));
}
