/**
 * What loading a module costs in resident memory. A fresh `node --input-type=module -e` process
 * (started with the flags and the Node binary the caller names, by default this one and none)
 * imports a list of steps in order and, after each, collects garbage twice and reads VmRSS, RssAnon
 * and RssFile from /proc/self/status and V8's used heap. Each figure is the median of a few
 * processes, so one slow start does not skew it.
 *
 * Collecting first matters: without it a figure says when V8 last collected more than what the
 * module holds (the same import measured 0.5-1.5 MB apart from run to run on Node 24).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { projectRoot } from "./processes.js";

const run = promisify(execFile);

export interface MeasureOptions {
  /** The Node binary (default: the one running the bench). */
  node?: string;
  /** Node/V8 flags, e.g. the gateway's (cli/node-flags.ts). `--expose-gc` is added. */
  flags?: readonly string[];
  /** Fresh processes per figure; the median is kept (default 3). */
  repeats?: number;
  /** Module code run before the first figure (e.g. installing the agent's import hooks). */
  setup?: string;
}

export interface MemFigures {
  rssMb: number;
  anonMb: number;
  fileMb: number;
  heapUsedMb: number;
}

export interface ModuleCost extends MemFigures {
  label: string;
  imports: string[];
  /** rssMb minus the bare process's rssMb. */
  overBareMb: number;
}

const MB = 2 ** 20;

/** One process: the figures before any import, then after each step (steps import in order). */
async function measureOnce(steps: readonly (readonly string[])[], opts: MeasureOptions): Promise<MemFigures[]> {
  // Imports resolve from the project root (node_modules, dist/...). Each report waits one turn so
  // module evaluation that defers work (timers at 0) has run.
  // A rejection nobody handles is reported, not fatal: ssh2 rejects one at import when V8 has no
  // WebAssembly (lite mode), and the agent survives it too (cli/agent.ts logs it).
  const code = `import { readFileSync } from "node:fs";
const figures = [];
const rejections = [];
process.on("unhandledRejection", (err) => rejections.push(String(err?.message ?? err)));
${opts.setup ?? ""}
const take = () => new Promise((resolve) => setImmediate(() => {
  gc(); gc();
  const s = readFileSync("/proc/self/status", "utf8");
  const kb = (k) => Number(new RegExp(k + ":\\\\s+(\\\\d+)").exec(s)[1]);
  figures.push({ rssMb: kb("VmRSS") / 1024, anonMb: kb("RssAnon") / 1024, fileMb: kb("RssFile") / 1024, heapUsedMb: process.memoryUsage().heapUsed / ${MB} });
  resolve();
}));
await take();
for (const step of ${JSON.stringify(steps)}) { for (const m of step) await import(m); await take(); }
process.stdout.write(JSON.stringify({ figures, rejections }));
process.exit(0);`;
  const args = [...(opts.flags ?? []), "--expose-gc", "--input-type=module", "-e", code];
  const { stdout } = await run(opts.node ?? process.execPath, args, { cwd: projectRoot, timeout: 60_000 });
  const out = JSON.parse(stdout) as { figures: MemFigures[]; rejections: string[] };
  for (const r of out.rejections) if (!rejectionsSeen.has(r)) rejectionsSeen.set(r, steps.flat().join(" "));
  return out.figures;
}

const rejectionsSeen = new Map<string, string>();

/** Unhandled rejections seen while importing, each with the imports that raised it (first seen). */
export function rejectionsWhileImporting(): Array<{ message: string; imports: string }> {
  return [...rejectionsSeen].map(([message, imports]) => ({ message, imports }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * The figures of a bare process (index 0) and after each step (index i + 1), each the median over
 * `repeats` processes.
 */
export async function measureSteps(steps: readonly (readonly string[])[], opts: MeasureOptions = {}): Promise<MemFigures[]> {
  const runs: MemFigures[][] = [];
  for (let i = 0; i < (opts.repeats ?? 3); i++) runs.push(await measureOnce(steps, opts));
  return runs[0]!.map((_, i) => ({
    rssMb: median(runs.map((r) => r[i]!.rssMb)),
    anonMb: median(runs.map((r) => r[i]!.anonMb)),
    fileMb: median(runs.map((r) => r[i]!.fileMb)),
    heapUsedMb: median(runs.map((r) => r[i]!.heapUsedMb)),
  }));
}

/** Measures each set of imports in fresh processes, each against the bare figure of its own processes. */
export async function moduleCosts(sets: readonly { label: string; imports: string[] }[], opts: MeasureOptions = {}): Promise<ModuleCost[]> {
  const out: ModuleCost[] = [];
  for (const set of sets) {
    const [bare, after] = await measureSteps([set.imports], opts);
    const f = set.imports.length === 0 ? bare! : after!;
    out.push({ label: set.label, imports: set.imports, ...f, overBareMb: f.rssMb - bare!.rssMb });
  }
  return out;
}
