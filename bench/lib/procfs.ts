/**
 * Reading a process's memory and CPU from /proc (Linux), and the machine facts a result is
 * recorded with.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

export interface MemSample {
  /** VmRSS, KiB. */
  rssKb: number;
  /** RssAnon (heap, stacks), RssFile (mapped code: node, .so), KiB. */
  anonKb: number;
  fileKb: number;
}

/** VmRSS / RssAnon / RssFile of `pid` from /proc/PID/status. Throws if the process is gone. */
export function readMem(pid: number): MemSample {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
    return m ? Number(m[1]) : Number.NaN;
  };
  return { rssKb: kb("VmRSS"), anonKb: kb("RssAnon"), fileKb: kb("RssFile") };
}

/** utime + stime of `pid`, in clock ticks (/proc/PID/stat fields 14 and 15). */
export function readCpuTicks(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // rest[0] is field 3 (state), so field N is rest[N - 3].
  return Number(rest[11]) + Number(rest[12]);
}

/** Busy and total clock ticks of all CPUs, from /proc/stat's first line (iowait counts as idle). Throws without /proc. */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** Clock ticks per second from `getconf CLK_TCK`; 100 when it cannot be read. */
export function clockTicksPerSecond(): { hz: number; source: "getconf" | "assumed" } {
  try {
    const hz = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    if (Number.isInteger(hz) && hz > 0) return { hz, source: "getconf" };
  } catch (err) {
    process.stderr.write(`getconf CLK_TCK failed (${(err as Error).message}); assuming 100\n`);
  }
  return { hz: 100, source: "assumed" };
}

export interface MachineInfo {
  date: string;
  cpuModel: string;
  nproc: number;
  memTotalGb: number;
  node: string;
  kernel: string;
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m?.[1]) cpuModel = m[1].trim();
  } catch (err) {
    process.stderr.write(`cannot read /proc/cpuinfo: ${(err as Error).message}\n`);
  }
  return {
    date: new Date().toISOString(),
    cpuModel,
    nproc: os.availableParallelism(),
    memTotalGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: os.release(),
  };
}
