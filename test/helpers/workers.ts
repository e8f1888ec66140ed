/**
 * How many test files run at once (vitest's `maxWorkers`), chosen when a run starts.
 *
 * Most of the suite waits on real I/O (sockets, ptys, child processes), so on a quiet machine files
 * run two per core (4 on the 2-core machine: 3 left the cores a third idle; 5 filled the cores but
 * gave each worker 0.4 of a core, and a driver's first poll then missed a 400 ms deadline in one
 * of two full runs). When other processes
 * already keep the cores busy (two `yes > /dev/null` loops, another test run, a build), four workers
 * and those processes share cores that are not there: each worker gets a third of a core, and
 * deadlines of a few hundred milliseconds that tests keep for real devices are missed for want of
 * CPU, not for any fault. Then the run takes fewer workers (never under 2): slower, still correct.
 *
 * The machine's busy time is sampled from /proc/stat for 300 ms (os.loadavg() where there is no
 * /proc: its 1-minute average lags). `ROOMGATE_TEST_WORKERS=N` sets the number outright, as does
 * vitest's own `--maxWorkers`.
 */
import os from "node:os";
import { machineTicks } from "../../bench/lib/procfs.js";

/** Busy and total ticks over all CPUs (bench/lib/procfs.ts), or undefined without /proc. */
function ticks(): { busy: number; total: number } | undefined {
  try {
    return machineTicks();
  } catch {
    return undefined;
  }
}

/** Cores kept busy by other processes right now (0..cores), measured over `sampleMs`. */
export function busyCores(sampleMs = 300, cores = os.availableParallelism()): number {
  const a = ticks();
  if (a === undefined) return Math.min(cores, os.loadavg()[0] ?? 0);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, sampleMs);
  const b = ticks()!;
  const share = (b.busy - a.busy) / Math.max(1, b.total - a.total);
  return Math.max(0, Math.min(cores, share * cores));
}

export interface WorkerChoice {
  workers: number;
  /** Why, in a line a developer reads at the top of the run (undefined: the usual number). */
  note?: string;
}

/** The worker count for a run: ROOMGATE_TEST_WORKERS, else two per core other processes leave idle, between 2 and 8. */
export function chooseWorkers(env: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism(), busy: () => number = () => busyCores(300, cores)): WorkerChoice {
  const forced = env.ROOMGATE_TEST_WORKERS;
  if (forced !== undefined && forced !== "") {
    const n = Number(forced);
    if (!Number.isInteger(n) || n < 1) throw new Error(`ROOMGATE_TEST_WORKERS: expected a whole number of at least 1, got "${forced}"`);
    return { workers: n };
  }
  const usual = Math.min(8, Math.max(2, 2 * cores));
  const others = busy();
  // Whole cores: under half a busy core is the noise of a quiet machine.
  const workers = Math.min(usual, Math.max(2, 2 * (cores - Math.round(others))));
  if (workers === usual) return { workers };
  return {
    workers,
    note: `roomgate tests: ${workers} workers, not ${usual}: other processes keep ${others.toFixed(1)} of ${cores} cores busy (ROOMGATE_TEST_WORKERS=N sets it)`,
  };
}
