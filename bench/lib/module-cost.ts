/**
 * What loading a module costs in resident memory: a fresh `node --input-type=module -e` process
 * imports it and reports its RSS (the same figure as VmRSS). Each figure is the median of a few
 * processes, so one slow start does not skew it.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { projectRoot } from "./processes.js";

const run = promisify(execFile);

export interface ModuleCost {
  label: string;
  imports: string[];
  rssMb: number;
  heapUsedMb: number;
  /** rssMb minus the bare process's rssMb. */
  overBareMb: number;
}

async function rssAfter(imports: readonly string[]): Promise<{ rss: number; heapUsed: number }> {
  // Imports resolve from the project root (node_modules, dist/...). The report waits one turn so
  // module evaluation that defers work (timers at 0) has run.
  const code = `${imports.map((m) => `await import(${JSON.stringify(m)});`).join("")}
setImmediate(() => { const m = process.memoryUsage(); process.stdout.write(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed })); process.exit(0); });`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", code], { cwd: projectRoot, timeout: 30_000 });
  return JSON.parse(stdout) as { rss: number; heapUsed: number };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const MB = 2 ** 20;

/** Measures each set of imports `repeats` times in fresh processes; the first entry should be the bare process. */
export async function moduleCosts(sets: readonly { label: string; imports: string[] }[], repeats = 3): Promise<ModuleCost[]> {
  const out: ModuleCost[] = [];
  let bare = 0;
  for (const set of sets) {
    const rss: number[] = [];
    const heap: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const r = await rssAfter(set.imports);
      rss.push(r.rss);
      heap.push(r.heapUsed);
    }
    const rssMb = median(rss) / MB;
    if (set.imports.length === 0) bare = rssMb;
    out.push({ label: set.label, imports: set.imports, rssMb, heapUsedMb: median(heap) / MB, overBareMb: rssMb - bare });
  }
  return out;
}
