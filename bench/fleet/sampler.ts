/**
 * CPU and memory of the broker, of the load generator and of the whole machine, from /proc:
 * CPU as utime+stime ticks between two snapshots (bench/lib/procfs.ts), the machine's busy time from
 * /proc/stat (so a reader sees whether the 2 cores were saturated, and how much went to processes
 * that are neither the broker nor the bench: other people's test runs), RSS sampled on a timer.
 */
import { machineTicks, readCpuTicks, readMem } from "../lib/procfs.js";
import { monoMs } from "./payloads.js";

export interface CpuSnap {
  at: number;
  broker: number;
  generator: number;
  machineBusy: number;
  machineTotal: number;
}

export function snap(brokerPid: number, generatorPids: readonly number[]): CpuSnap {
  const m = machineTicks();
  return {
    at: monoMs(),
    broker: readCpuTicks(brokerPid),
    generator: generatorPids.reduce((sum, pid) => sum + readCpuTicks(pid), 0),
    machineBusy: m.busy,
    machineTotal: m.total,
  };
}

export interface CpuUse {
  seconds: number;
  /** % of one core. */
  brokerPct: number;
  generatorPct: number;
  /** All CPUs, % of one core (200 = both cores of a 2-core machine busy). */
  machineBusyPct: number;
  /** machine - broker - generator: everything else, kernel work not charged to a process included. */
  otherPct: number;
  brokerCpuSec: number;
}

export function cpuBetween(a: CpuSnap, b: CpuSnap, hz: number, cores: number): CpuUse {
  const seconds = (b.at - a.at) / 1000;
  const pct = (ticks: number) => (ticks / hz / seconds) * 100;
  // /proc/stat ticks are summed over CPUs; its share of wall time x cores gives "% of one core".
  const machineBusyPct = ((b.machineBusy - a.machineBusy) / (b.machineTotal - a.machineTotal || 1)) * 100 * cores;
  const brokerPct = pct(b.broker - a.broker);
  const generatorPct = pct(b.generator - a.generator);
  return { seconds, brokerPct, generatorPct, machineBusyPct, otherPct: Math.max(0, machineBusyPct - brokerPct - generatorPct), brokerCpuSec: (b.broker - a.broker) / hz };
}

export interface RssPoint {
  at: number;
  brokerKb: number;
  generatorKb: number;
}

/** RSS of the broker and (summed) of the generator processes every `everyMs`. */
export class RssSampler {
  readonly points: RssPoint[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly brokerPid: number,
    private generatorPids: readonly number[],
    everyMs = 500,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  setGenerator(pids: readonly number[]): void {
    this.generatorPids = pids;
  }

  sample(): void {
    try {
      this.points.push({
        at: monoMs(),
        brokerKb: readMem(this.brokerPid).rssKb,
        generatorKb: this.generatorPids.reduce((s, pid) => s + readMem(pid).rssKb, 0),
      });
    } catch (err) {
      // A process gone between two samples (the broker crashed, or the run is ending): the run's
      // own checks report a crash; a sampler must not take the bench down for it.
      process.stderr.write(`rss sample skipped: ${(err as Error).message}\n`);
    }
  }

  /** max / mean in MB over [from, to]. */
  between(from: number, to: number): { brokerMaxMb: number; brokerMeanMb: number; generatorMaxMb: number; samples: number } {
    const pts = this.points.filter((p) => p.at >= from && p.at <= to);
    const mb = (kb: number) => Math.round((kb / 1024) * 10) / 10;
    if (pts.length === 0) return { brokerMaxMb: Number.NaN, brokerMeanMb: Number.NaN, generatorMaxMb: Number.NaN, samples: 0 };
    return {
      brokerMaxMb: mb(Math.max(...pts.map((p) => p.brokerKb))),
      brokerMeanMb: mb(pts.reduce((s, p) => s + p.brokerKb, 0) / pts.length),
      generatorMaxMb: mb(Math.max(...pts.map((p) => p.generatorKb))),
      samples: pts.length,
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
