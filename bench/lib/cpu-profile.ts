/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, a .cpuprofile file) by where the time went: self
 * time per package (node_modules/<name>), per file of this project, Node's own JavaScript (node:*),
 * native code with no script, and V8's pseudo-frames ((garbage collector), (program), (idle)).
 *
 *   node dist/bench/lib/cpu-profile.js PROFILE.cpuprofile [--files N]
 *
 * docs/performance.md uses it for the broker's CPU at fleet load.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  /** Wall time the profile covers, ms. */
  wallMs: number;
  /** Time of all samples but (idle), ms: the CPU time the thread spent. */
  busyMs: number;
  /** Self time by group, ms, largest first. */
  groups: Array<{ group: string; ms: number }>;
  /** Self time by function (group: name), ms, largest first. */
  functions: Array<{ fn: string; ms: number }>;
}

/** The group a frame's self time counts to. */
export function groupOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  if (url.startsWith("node:")) return "node:" + url.slice(5).split("/")[0];
  const path = url.startsWith("file://") ? url.slice(7) : url;
  const nm = path.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = path.slice(nm + 14).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const dist = path.lastIndexOf("/dist/");
  if (dist >= 0) return "roomgate:" + path.slice(dist + 6).split("/")[0];
  return path;
}

export function summarize(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // A sample's delta is the time since the previous sample: it belongs to this one.
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const { url, functionName } = node.callFrame;
    const group = groupOf(url, functionName);
    if (group !== "(idle)") busy += ms;
    groups.set(group, (groups.get(group) ?? 0) + ms);
    const fn = `${group}: ${functionName || "(anonymous)"}`;
    fns.set(fn, (fns.get(fn) ?? 0) + ms);
  }
  const sorted = <K extends string>(m: Map<string, number>, key: K) =>
    [...m].sort((a, b) => b[1] - a[1]).map(([k, ms]) => ({ [key]: k, ms }) as { [P in K]: string } & { ms: number });
  return { wallMs: (profile.endTime - profile.startTime) / 1000, busyMs: busy, groups: sorted(groups, "group"), functions: sorted(fns, "fn") };
}

function main(argv: string[]): void {
  const file = argv[0];
  if (file === undefined || file === "--help" || file === "-h") {
    process.stdout.write("usage: node dist/bench/lib/cpu-profile.js PROFILE.cpuprofile [--functions N]\n");
    process.exit(file === undefined ? 2 : 0);
  }
  const at = argv.indexOf("--functions");
  const top = at >= 0 ? Number(argv[at + 1]) : 25;
  const s = summarize(JSON.parse(readFileSync(file, "utf8")) as CpuProfile);
  const pct = (ms: number) => ((100 * ms) / s.busyMs).toFixed(1).padStart(5);
  const out = [`${file}: ${(s.wallMs / 1000).toFixed(1)} s profiled, ${(s.busyMs / 1000).toFixed(1)} s busy (${((100 * s.busyMs) / s.wallMs).toFixed(1)} % of a core)`, "", "self time by group (% of busy):"];
  for (const g of s.groups) if (g.group !== "(idle)") out.push(`  ${pct(g.ms)} %  ${(g.ms / 1000).toFixed(2).padStart(7)} s  ${g.group}`);
  out.push("", `top ${top} functions by self time (% of busy):`);
  for (const f of s.functions.filter((x) => !x.fn.startsWith("(idle)")).slice(0, top)) out.push(`  ${pct(f.ms)} %  ${f.fn}`);
  process.stdout.write(out.join("\n") + "\n");
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
