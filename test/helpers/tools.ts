/**
 * Every program (and fetched file) outside Node and npm that a test may use, in one registry: how
 * it is found and the command that installs it. A test that needs one says so in its declaration:
 *
 *   describeWith("mosquitto")("the agent against Mosquitto", () => { ... });
 *   itWith("mosquitto-clients")("answers the README's mosquitto_pub line", async () => { ... });
 *
 * and gets it with `toolPath("mosquitto")`. The rules:
 * - Programs are looked up on PATH only (a shell whose PATH lacks one sees it absent), except
 *   where an environment variable names it (ROOMGATE_CHROMIUM, ROOMGATE_BUNDLE_CACHE).
 * - A missing tool skips the tests that need it; the name gets `[needs <tool>]` and the task meta
 *   `roomgateTools` says which tool, why and how to install it, so the summary reporter
 *   (test/helpers/tool-summary.ts) prints one line per missing tool with its count.
 * - ROOMGATE_TEST_REQUIRE=all (or a comma list of tool names) turns that skip into a failure of
 *   each such test, naming the tool and its install command (.ci/run sets `all`).
 * Nothing else in the suite may skip for lack of a tool.
 */
import { accessSync, constants, existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { aroundAll, beforeEach, describe, it, TestRunner, type RunnerTestSuite, type TestFunction } from "vitest";
import { cacheFiles } from "../../scripts/bundle.js";
import { BUNDLE_ARCHES } from "../../scripts/bundle-natives.js";

/** Where a tool was found: the path of each command it provides (or of its directory). */
export type Detection = { found: true; paths: Record<string, string> } | { found: false; reason: string };

interface ToolSpec {
  /** The command (or step) that installs it. */
  install: string;
  /** The command toolPath() returns when none is named. */
  main: string;
  find(env: NodeJS.ProcessEnv): Detection;
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Where Debian puts daemons (mosquitto): not on an ordinary user's PATH, so a hint names them when found there. */
const SBIN_DIRS = ["/usr/sbin", "/sbin", "/usr/local/sbin"];

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch (err) {
    // Absent, not ours to run, or a PATH entry that is a file: not a program here. Anything else is news.
    if (["ENOENT", "EACCES", "ENOTDIR"].includes((err as NodeJS.ErrnoException).code ?? "")) return false;
    throw err;
  }
}

/** `command`'s path on PATH, as a shell would find it; undefined when it is not there. */
export function onPath(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue; // an empty entry means the working directory: never a tool
    const candidate = path.join(dir, command);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

/** Where Debian puts PostgreSQL's server programs (initdb, postgres): /usr/lib/postgresql/{version}/bin, newest first. */
function postgresBinDirs(): string[] {
  const base = "/usr/lib/postgresql";
  try {
    return readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)).map((v) => path.join(base, v, "bin"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/** Finds every command on PATH, or says which is missing (and where it is, off PATH). */
function commands(...names: string[]): (env: NodeJS.ProcessEnv) => Detection {
  return (env) => {
    const paths: Record<string, string> = {};
    for (const name of names) {
      const found = onPath(name, env);
      if (found === undefined) {
        const elsewhere = [...SBIN_DIRS, ...postgresBinDirs()].map((d) => path.join(d, name)).find(executable);
        return { found: false, reason: `${name} not found on PATH${elsewhere ? `; ${elsewhere} is there, add ${path.dirname(elsewhere)} to PATH` : ""}` };
      }
      paths[name] = found;
    }
    return { found: true, paths };
  };
}

/** Where Debian (multiarch) and others keep rsyslog's loadable modules. */
const RSYSLOG_MODULE_DIRS = ["/usr/lib/x86_64-linux-gnu/rsyslog", "/usr/lib/aarch64-linux-gnu/rsyslog", "/usr/lib/rsyslog", "/usr/lib64/rsyslog"];

/** The path of one of rsyslog's modules, if installed. */
export function rsyslogModule(file: string): string | undefined {
  return RSYSLOG_MODULE_DIRS.map((d) => path.join(d, file)).find((f) => existsSync(f));
}

export const TOOLS = {
  /** The second broker agents must work with; mosquitto_passwd comes in the same Debian package. */
  mosquitto: { install: "apt-get install mosquitto", main: "mosquitto", find: commands("mosquitto", "mosquitto_passwd") },
  /** The README's command-line client lines. */
  "mosquitto-clients": { install: "apt-get install mosquitto-clients", main: "mosquitto_pub", find: commands("mosquitto_pub") },
  /** The broker cluster's shared store. */
  "redis-server": { install: "apt-get install redis-server", main: "redis-server", find: commands("redis-server") },
  /** The console's browser tests (playwright-core drives it; no browser download). */
  chromium: {
    install: "apt-get install chromium, or set ROOMGATE_CHROMIUM to a Chromium binary",
    main: "chromium",
    find: (env) => {
      const named = env.ROOMGATE_CHROMIUM;
      if (named !== undefined && named !== "") {
        return executable(named) ? { found: true, paths: { chromium: named } } : { found: false, reason: `ROOMGATE_CHROMIUM=${named} is not an executable file` };
      }
      const found = onPath("chromium", env) ?? onPath("chromium-browser", env);
      return found ? { found: true, paths: { chromium: found } } : { found: false, reason: "chromium (or chromium-browser) not found on PATH" };
    },
  },
  /**
   * What the gateway bundles are built from besides this checkout, fetched at install time: the
   * Node runtime packages, and node-pty's binding package for the architecture npm did not install.
   */
  "bundle-runtimes": {
    install: "npm run bundle:fetch",
    main: "cache",
    find: (env) => {
      const cache = env.ROOMGATE_BUNDLE_CACHE || path.join(ROOT, ".cache/bundle");
      const missing = BUNDLE_ARCHES.flatMap((arch) => cacheFiles(arch, cache, ROOT)).filter((f) => !existsSync(f)).map((f) => path.basename(f));
      return missing.length === 0 ? { found: true, paths: { cache } } : { found: false, reason: `${missing.join(", ")} not in ${cache}` };
    },
  },
  /**
   * The agent's watchdog pings systemd through it; systemd-socket-activate, from the same package,
   * listens on the stand-in notify socket (Node has no unix datagram sockets).
   */
  "systemd-notify": { install: "apt-get install systemd", main: "systemd-notify", find: commands("systemd-notify", "systemd-socket-activate") },
  /**
   * The centre's PostgreSQL server tests: a throw-away cluster per file (test/helpers/postgres.ts).
   * Debian installs initdb and postgres in /usr/lib/postgresql/{version}/bin, off PATH: .ci/run adds
   * the newest one to PATH (the hint names it when it is there but not on PATH).
   */
  postgresql: { install: "apt-get install postgresql", main: "postgres", find: commands("initdb", "postgres") },
  /**
   * Debian's rsyslog, the SOC's usual collector: the centre's syslog forwarder is tested against
   * rsyslogd run as a non-daemon with a config of its own (test/helpers/rsyslog.ts). In /usr/sbin.
   */
  rsyslog: { install: "apt-get install rsyslog", main: "rsyslogd", find: commands("rsyslogd") },
  /** rsyslog's GnuTLS network stream driver (lmnsd_gtls), for syslog over TLS (RFC 5425). */
  "rsyslog-gnutls": {
    install: "apt-get install rsyslog-gnutls",
    main: "rsyslogd",
    find: (env) => {
      const daemon = commands("rsyslogd")(env);
      if (!daemon.found) return daemon;
      const module = rsyslogModule("lmnsd_gtls.so");
      return module ? { found: true, paths: { ...daemon.paths, lmnsd_gtls: module } } : { found: false, reason: `lmnsd_gtls.so not found in ${RSYSLOG_MODULE_DIRS.join(", ")}` };
    },
  },
  /** Debian's SNMP agent: the switch driver reads a real IF-MIB from it (v2c and v3 authPriv). */
  snmpd: { install: "apt-get install snmpd", main: "snmpd", find: commands("snmpd") },
  /** Debian's SNMP command-line tools: they read and set the switch simulator. */
  snmp: { install: "apt-get install snmp", main: "snmpwalk", find: commands("snmpwalk", "snmpget", "snmpset") },
} satisfies Record<string, ToolSpec>;

export type ToolName = keyof typeof TOOLS;
const NAMES = Object.keys(TOOLS) as ToolName[];

/** What a skipped or failed test records about each missing tool (task meta, read by the reporter). */
export interface MissingTool {
  tool: ToolName;
  reason: string;
  install: string;
  /** ROOMGATE_TEST_REQUIRE names it: the test failed instead of skipping. */
  required: boolean;
}

declare module "vitest" {
  interface TaskMeta {
    roomgateTools?: MissingTool[];
  }
}

/** The tools ROOMGATE_TEST_REQUIRE names ("all", or a comma list); a name not in TOOLS is an error. */
export function requiredTools(env: NodeJS.ProcessEnv = process.env): Set<ToolName> {
  const value = (env.ROOMGATE_TEST_REQUIRE ?? "").trim();
  if (value === "") return new Set();
  if (value === "all") return new Set(NAMES);
  const names = value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const unknown = names.filter((n) => !(n in TOOLS));
  if (unknown.length > 0) throw new Error(`ROOMGATE_TEST_REQUIRE: unknown tool ${unknown.join(", ")} (known: all, ${NAMES.join(", ")})`);
  return new Set(names as ToolName[]);
}

const required = requiredTools();
const detected = new Map<ToolName, Detection>();

/** Finds `name` once per test process. */
export function detect(name: ToolName): Detection {
  let d = detected.get(name);
  if (d === undefined) {
    d = TOOLS[name].find(process.env);
    detected.set(name, d);
  }
  return d;
}

/** A tool a test needs and cannot have, as an error with a code. */
export class ToolMissingError extends Error {
  readonly code = "tool_missing";
  constructor(readonly missing: MissingTool) {
    super(`${missing.reason}${missing.required ? "; ROOMGATE_TEST_REQUIRE requires it" : ""}: install it with \`${missing.install}\``);
    this.name = "ToolMissingError";
  }
}

function missingOf(tools: ToolName[]): MissingTool[] {
  return tools.flatMap((tool) => {
    const d = detect(tool);
    return d.found ? [] : [{ tool, reason: d.reason, install: TOOLS[tool].install, required: required.has(tool) }];
  });
}

/** The path of one of the tool's commands (default its main one); throws ToolMissingError when absent. */
export function toolPath(name: ToolName, command: string = TOOLS[name].main): string {
  const d = detect(name);
  if (!d.found) throw new ToolMissingError({ tool: name, reason: d.reason, install: TOOLS[name].install, required: required.has(name) });
  const p = d.paths[command];
  if (p === undefined) throw new Error(`tool ${name} has no command ${command} (it has ${Object.keys(d.paths).join(", ")})`);
  return p;
}

const tagged = (name: string, missing: MissingTool[]) => `${name} ${missing.map((m) => `[needs ${m.tool}]`).join(" ")}`;

/** The error a test that cannot run fails with: every required tool that is missing. */
function requiredError(missing: MissingTool[]): Error {
  const errors = missing.filter((m) => m.required).map((m) => new ToolMissingError(m));
  return errors.length === 1 ? errors[0]! : new AggregateError(errors, errors.map((e) => e.message).join("; "));
}

/**
 * Keeps the hooks the tests registered under `suite` from running, all but the first beforeEach of
 * the top suite (the one that fails each test): they would start the missing tool and fail less
 * clearly, and a failing beforeAll marks its tests skipped, not failed. No public option says "fail
 * these tests instead", hence the runner's hook lists (TestRunner.getSuiteHooks).
 */
function silenceHooks(suite: Readonly<RunnerTestSuite>, top: boolean): void {
  const hooks = TestRunner.getSuiteHooks(suite as RunnerTestSuite);
  for (const kind of ["beforeAll", "afterAll", "afterEach", "aroundEach"] as const) hooks[kind].length = 0;
  hooks.beforeEach.length = top ? Math.min(1, hooks.beforeEach.length) : 0;
  if (!top) hooks.aroundAll.length = 0; // the top one is running: ours
  for (const task of suite.tasks) if (task.type === "suite") silenceHooks(task, false);
}

/**
 * `describe` for tests that need `tools`: skipped (or, when required, failed test by test) when one
 * is missing, with `[needs <tool>]` in the name and the reason in the task meta.
 */
export function describeWith(...tools: ToolName[]): (name: string, fn: () => void) => void {
  return (name, fn) => {
    const missing = missingOf(tools);
    if (missing.length === 0) return void describe(name, fn);
    const options = { meta: { roomgateTools: missing } };
    if (!missing.some((m) => m.required)) return void describe.skip(tagged(name, missing), options, fn);
    const err = requiredError(missing);
    // retry: 0, a missing program does not come back on a second try.
    describe(tagged(name, missing), { ...options, retry: 0 }, () => {
      beforeEach(() => {
        throw err;
      });
      // eslint-disable-next-line no-empty-pattern -- vitest reads a hook's fixtures from this pattern
      aroundAll(async (runSuite, {}, suite) => {
        silenceHooks(suite as RunnerTestSuite, true);
        await runSuite();
      });
      fn();
    });
  };
}

/** `it` for a test that needs `tools`: the same rules as describeWith. */
export function itWith(...tools: ToolName[]): (name: string, fn: TestFunction, timeout?: number) => void {
  return (name, fn, timeout) => {
    const missing = missingOf(tools);
    if (missing.length === 0) return void it(name, fn, timeout);
    const options = { meta: { roomgateTools: missing }, ...(timeout === undefined ? {} : { timeout }) };
    if (!missing.some((m) => m.required)) return void it.skip(tagged(name, missing), options, fn);
    const err = requiredError(missing);
    it(tagged(name, missing), { ...options, retry: 0 }, () => Promise.reject(err));
  };
}
