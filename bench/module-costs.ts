/**
 * Bench: what each library and each driver costs the agent in resident memory, on the Node that
 * runs it (`--node`, e.g. the bundle's Node 24) with the flags it runs with (the gateway's,
 * cli/node-flags.ts, or ROOMGATE_BENCH_AGENT_FLAGS) and its import hooks (cli/lean-imports.ts,
 * unless --no-lean). Three views, each a median of --repeats fresh
 * processes, each figure taken after two forced collections (bench/lib/module-cost.ts):
 *
 * - alone: each library imported into a bare process. This overstates a library that mostly loads
 *   Node's own modules (streams, events, worker_threads), which the agent loads anyway;
 * - in the agent's order: the libraries and then the agent's core, one after the other in one
 *   process, each step's growth over the one before (what dropping it would actually give back);
 * - drivers: the agent's core, then one driver with the transports and libraries it loads, its
 *   growth over the core (what a site pays for using that kind of device).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseFlags } from "./lib/args.js";
import { measureSteps, moduleCosts, rejectionsWhileImporting, type MemFigures } from "./lib/module-cost.js";
import { emitJson, note, setJsonOnly } from "./lib/output.js";
import { benchAgentFlags, projectRoot } from "./lib/processes.js";
import { fmt, rounded, table } from "./lib/stats.js";

const flags = parseFlags("module-costs", {
  node: { type: "string", default: process.execPath, help: "the Node binary to measure (e.g. the bundle's node/bin/node)" },
  repeats: { type: "number", default: 3, min: 1, help: "fresh processes per figure (the median is kept)" },
  only: { type: "string", default: "alone,order,drivers", help: "which views, comma-separated" },
  drivers: { type: "string", default: "all", help: "which drivers (protocols, comma-separated) in the drivers view" },
  "no-lean": { type: "boolean", default: false, help: "do not install the agent's import hooks first (cli/lean-imports.ts)" },
  "json-only": { type: "boolean", default: false, help: "print only the JSON line" },
});
setJsonOnly(flags["json-only"]);

const dist = (p: string) => pathToFileURL(path.join(projectRoot, "dist", p)).href;

/** The libraries the agent loads for every site, then the ones only some drivers load. */
const CORE_LIBS = ["zod", "yaml", "mqtt/lib/client", "pino"];
const DRIVER_LIBS: Record<string, string[]> = {
  serialport: ["@serialport/stream", "@serialport/bindings-cpp"],
  ssh2: ["ssh2"],
  "net-snmp": ["net-snmp"],
  "firmata-io": ["firmata-io"],
};
/** What `roomgate agent` loads before any driver: the CLI entry of the command and the agent. */
const AGENT_CORE = [dist("cli/agent.js")];
/** Each driver with the transports its devices use (drivers/transport/index.ts loads them by type). */
const DRIVERS: Record<string, string[]> = {
  visca: ["visca/index.js", "transport/serial.js", "transport/udp.js"],
  novastar: ["novastar/index.js", "transport/tcp.js"],
  mdc: ["samsung-mdc/index.js", "transport/tcp.js"],
  onvif: ["onvif/index.js", "transport/http.js"],
  x32: ["x32/index.js", "transport/udp.js"],
  tesira: ["tesira/index.js", "transport/tcp.js"],
  enc1: ["enc1/index.js", "transport/serial.js"],
  firmata: ["firmata/index.js", "transport/serial.js"],
  stamp: ["stamp/index.js", "transport/udp.js"],
  cisco: ["cisco/index.js", "transport/ssh.js"],
  poly: ["poly/index.js", "transport/tcp.js"],
  snmp: ["snmp-switch/index.js"],
};

interface Row {
  label: string;
  figures: MemFigures;
  /** Growth over the reference (bare, the step before, or the agent's core). */
  delta: MemFigures;
}

function minus(a: MemFigures, b: MemFigures): MemFigures {
  return { rssMb: a.rssMb - b.rssMb, anonMb: a.anonMb - b.anonMb, fileMb: a.fileMb - b.fileMb, heapUsedMb: a.heapUsedMb - b.heapUsedMb };
}

function print(title: string, rows: Row[]): void {
  note("");
  note(title);
  note(
    table(
      ["", "RSS MB", "+RSS", "+anon", "+file", "+heap used"],
      rows.map((r) => [r.label, fmt(r.figures.rssMb, 1), fmt(r.delta.rssMb, 1), fmt(r.delta.anonMb, 1), fmt(r.delta.fileMb, 1), fmt(r.delta.heapUsedMb, 1)]),
    ),
  );
}

const roundRow = (r: Row) => ({ label: r.label, figures: rounded(r.figures, 2), delta: rounded(r.delta, 2) });

async function main(): Promise<void> {
  const nodeFlags = benchAgentFlags();
  // As `roomgate agent` does before it loads anything (cli/main.ts): a no-op on a Node without module.registerHooks.
  const setup = flags["no-lean"] ? "" : `const { installLeanImports } = await import(${JSON.stringify(dist("cli/lean-imports.js"))}); installLeanImports();`;
  const opts = { node: flags.node, flags: nodeFlags, repeats: flags.repeats, setup };
  const views = new Set(flags.only.split(","));
  note(`module costs on ${flags.node} with ${nodeFlags.join(" ") || "no flags"}${flags["no-lean"] ? "" : " and the agent's import hooks"}, median of ${flags.repeats}`);
  const result: Record<string, unknown> = { bench: "module-costs", node: flags.node, flags: nodeFlags, lean: !flags["no-lean"], repeats: flags.repeats };

  if (views.has("alone")) {
    const sets = [{ label: "bare node", imports: [] as string[] }, ...[...CORE_LIBS.map((m) => [m, [m]] as const), ...Object.entries(DRIVER_LIBS)].map(([label, imports]) => ({ label, imports: [...imports] }))];
    const costs = await moduleCosts(sets, opts);
    const rows = costs.map((c) => ({ label: c.label, figures: c, delta: minus(c, costs[0]!) }));
    print("alone (each in a bare process; growth over bare)", rows);
    result.alone = rows.map(roundRow);
  }

  if (views.has("order")) {
    const steps = [...CORE_LIBS.map((m) => [m]), AGENT_CORE];
    const figures = await measureSteps(steps, opts);
    const labels = ["bare node", ...CORE_LIBS, "agent core (cli/agent.js and all it imports)"];
    const rows = figures.map((f, i) => ({ label: labels[i]!, figures: f, delta: i === 0 ? minus(f, f) : minus(f, figures[i - 1]!) }));
    print("in the agent's order (one process; growth over the step before)", rows);
    result.order = rows.map(roundRow);
  }

  if (views.has("drivers")) {
    const rows: Row[] = [];
    const wanted = flags.drivers === "all" ? Object.keys(DRIVERS) : flags.drivers.split(",");
    const unknown = wanted.filter((p) => !(p in DRIVERS));
    if (unknown.length > 0) throw new Error(`--drivers: unknown ${unknown.join(", ")}; known: ${Object.keys(DRIVERS).join(", ")}`);
    for (const [protocol, files] of Object.entries(DRIVERS).filter(([p]) => wanted.includes(p))) {
      const [, core, driver] = await measureSteps([AGENT_CORE, files.map((f) => dist(`drivers/${f}`))], opts);
      if (rows.length === 0) rows.push({ label: "agent core", figures: core!, delta: minus(core!, core!) });
      rows.push({ label: `${protocol} (${files.join(", ")})`, figures: driver!, delta: minus(driver!, core!) });
    }
    print("drivers (growth over the agent's core)", rows);
    result.drivers = rows.map(roundRow);
  }
  result.rejections = rejectionsWhileImporting();
  for (const r of rejectionsWhileImporting()) note(`unhandled rejection while importing ${r.imports}: ${r.message}`);
  emitJson(result);
}

main().catch((err: Error) => {
  process.stderr.write(`module-costs failed: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
