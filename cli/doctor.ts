/**
 * `roomgate doctor [--config FILE] [--state-dir DIR] [--time-url URL] [--json]`: checks a gateway the
 * way a technician would, a line per check with the fix: the site file; the Node runtime; the state
 * directory and disk space for the outbox; secret files' permissions; each serial port (present,
 * readable, not held by another program); each network device; the broker (reachable, TLS
 * certificate, the agent's credentials); the gateway's clock against the broker's.
 *
 * Unlike `roomgate check` it does not need the agent: it is what to run when the agent will not
 * come up. It sends nothing to any device and never logs in as the agent's client id.
 *
 * Exit: 0 when nothing failed (warnings allowed), 1 when a check failed, 2 bad usage.
 */
import { readFile } from "node:fs/promises";
import { loadSiteConfig } from "../config/load.js";
import type { SiteConfig } from "../config/site.js";
import { checkDevices } from "../agent/drivers.js";
import { defaultStateDir } from "./agent.js";
import { exampleSitePath } from "./demo.js";
import { parseCommand } from "./spec.js";
import { doctorSpec } from "./specs/site.js";
import { checkBroker, checkClock, defaultTimeUrl } from "./doctor-broker.js";
import { checkNetworkDevices, checkNode, checkSecrets, checkSerialPorts, checkStateDir, type CheckResult, type DoctorEnv } from "./doctor-local.js";

export interface DoctorReport {
  ok: boolean;
  site?: string;
  config: string;
  checks: CheckResult[];
}

export interface DoctorOptions {
  configFile: string;
  stateDir: string;
  /** Where to read the broker's clock (default: its HTTP listener, cli/doctor-broker.ts). */
  timeUrl?: string;
  env?: Partial<DoctorEnv>;
}

/** Runs every check; never throws for what it finds (a bad config is a failed check). */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const env: DoctorEnv = { now: () => Date.now(), procDir: "/proc", timeoutMs: 3000, ...opts.env };
  const checks: CheckResult[] = [checkNode()];
  let config: SiteConfig;
  try {
    config = await loadSiteConfig(opts.configFile);
    await checkDevices(config, opts.configFile);
  } catch (err) {
    if ((err as { code?: unknown }).code !== "bad_config") throw err;
    checks.unshift({ id: "config", status: "fail", message: (err as Error).message, fix: "correct each key named above (`roomgate config schema` gives editors the schema)" });
    return { ok: false, config: opts.configFile, checks };
  }
  const n = Object.keys(config.devices).length;
  checks.unshift({ id: "config", status: "pass", message: `${opts.configFile}: valid (site ${config.site}, ${n} device${n === 1 ? "" : "s"})` });
  checks.push(...(await checkStateDir(opts.stateDir, config.broker.outboxMaxBytes)));
  checks.push(await checkSecrets(config));
  const [serial, network, broker] = await Promise.all([checkSerialPorts(config, env), checkNetworkDevices(config, env), checkBroker(config, env)]);
  checks.push(...serial, ...network, ...broker);
  const ca = config.broker.tls?.caFile === undefined ? undefined : await readFile(config.broker.tls.caFile);
  checks.push(await checkClock(opts.timeUrl ?? defaultTimeUrl(config), env, ca));
  return { ok: checks.every((c) => c.status !== "fail"), site: config.site, config: opts.configFile, checks };
}

const LABEL = { pass: "PASS", warn: "WARN", fail: "FAIL", skip: "SKIP" } as const;

export function doctorText(r: DoctorReport): string {
  const width = Math.max(...r.checks.map((c) => c.id.length));
  const lines = [`roomgate doctor: ${r.site === undefined ? r.config : `site ${r.site} (${r.config})`}`];
  for (const c of r.checks) {
    const [first = "", ...more] = c.message.split("\n");
    lines.push(`${LABEL[c.status]}  ${c.id.padEnd(width)}  ${first}`);
    for (const m of more) lines.push(`${" ".repeat(width + 8)}${m}`);
    if (c.fix !== undefined && c.status !== "pass") lines.push(`${" ".repeat(width + 8)}fix: ${c.fix}`);
  }
  const count = (s: CheckResult["status"]) => r.checks.filter((c) => c.status === s).length;
  lines.push(`${r.ok ? "ready" : "NOT READY"}: ${count("pass")} pass, ${count("warn")} warn, ${count("fail")} fail, ${count("skip")} skipped`);
  return `${lines.join("\n")}\n`;
}

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(doctorSpec, argv);
  const opts: DoctorOptions = {
    configFile: values.config ?? process.env.ROOMGATE_CONFIG ?? exampleSitePath(),
    stateDir: values["state-dir"] ?? defaultStateDir(),
  };
  if (values["time-url"] !== undefined) opts.timeUrl = values["time-url"];
  const report = await runDoctor(opts);
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : doctorText(report));
  return report.ok ? 0 : 1;
}
