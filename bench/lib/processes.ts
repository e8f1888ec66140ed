/**
 * The roomgate CLI as child processes (broker, agent): spawned from the compiled dist/cli/main.js,
 * their pino JSON log lines parsed and offered to waiters, stopped with SIGTERM (SIGKILL after a
 * bound). Every child is killed when the bench exits, so an aborted run leaves no agent behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { AGENT_NODE_FLAGS } from "../../cli/node-flags.js";
import { createInterface } from "node:readline";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** dist/bench/lib -> project root. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const cliPath = path.join(projectRoot, "dist", "cli", "main.js");

export type LogLine = Record<string, unknown> & { msg?: string };

const live = new Set<ChildProcess>();
let hooked = false;
/** Kills `child` (SIGKILL) if it is still running when this process exits. */
export function track(child: ChildProcess): void {
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
  live.add(child);
  child.once("exit", () => live.delete(child));
}

export class BenchChild {
  readonly pid: number;
  /** Every JSON log line seen, in order (bounded by the caller's run length). */
  readonly logs: LogLine[] = [];
  /** Non-JSON output and stderr, kept for error messages. */
  private readonly noise: string[] = [];
  private readonly waiters = new Set<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    if (child.pid === undefined) throw new Error(`${name}: spawn failed`);
    this.pid = child.pid;
    track(child);
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    child.on("error", (err) => this.noise.push(`spawn error: ${err.message}`));
    createInterface({ input: child.stdout! }).on("line", (text) => this.line(text));
    createInterface({ input: child.stderr! }).on("line", (text) => this.keepNoise(text));
  }

  private line(text: string): void {
    let parsed: LogLine;
    try {
      parsed = JSON.parse(text) as LogLine;
    } catch {
      this.keepNoise(text); // not a pino line (e.g. a crash trace): keep it for the error message
      return;
    }
    this.logs.push(parsed);
    for (const w of [...this.waiters]) {
      if (w.match(parsed)) {
        this.waiters.delete(w);
        w.resolve(parsed);
      }
    }
  }

  private keepNoise(text: string): void {
    this.noise.push(text);
    if (this.noise.length > 50) this.noise.shift();
  }

  /** Resolves with the first log line (past or future) that matches; rejects after `timeoutMs` or on exit. */
  waitForLog(match: (l: LogLine) => boolean, what: string, timeoutMs = 15_000): Promise<LogLine> {
    const past = this.logs.find(match);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (l: LogLine) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`${this.name}: no "${what}" within ${timeoutMs} ms; output: ${this.tail()}`));
      }, timeoutMs);
      this.waiters.add(waiter);
      void this.exited.then((code) => {
        if (!this.waiters.has(waiter)) return;
        this.waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (code ${code}) before "${what}"; output: ${this.tail()}`));
      });
    });
  }

  tail(): string {
    const last = [...this.logs.slice(-5).map((l) => JSON.stringify(l)), ...this.noise.slice(-10)];
    return last.join(" | ") || "(none)";
  }

  /** SIGTERM (a clean stop), SIGKILL after `graceMs`. Resolves with the exit code. */
  async stop(graceMs = 5_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const killer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    this.child.kill("SIGTERM");
    const code = await this.exited;
    clearTimeout(killer);
    return code;
  }
}

/** Runs `node dist/cli/main.js ...args` with stdout/stderr piped. */
export function spawnCli(
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  nodeFlags: readonly string[] = [],
): BenchChild {
  const child = spawn(process.execPath, [...nodeFlags, cliPath, ...args], { cwd: projectRoot, env, stdio: ["ignore", "pipe", "pipe"] });
  return new BenchChild(name, child);
}

/**
 * `roomgate broker` on 127.0.0.1 and a free port, with its default on-disk store in a directory of
 * its own (removed when it exits: two benches, or a bench beside a demo, never share one); resolves
 * once it listens.
 */
export async function spawnBroker(): Promise<{ child: BenchChild; url: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "roomgate-bench-broker-"));
  // --anonymous: the bench clients log in with no user (the broker refuses that by default since users and ACLs landed).
  const child = spawnCli("broker", ["broker", "--host", "127.0.0.1", "--port", "0", "--anonymous", "--data-dir", dataDir]);
  void child.exited.then(() => rmSync(dataDir, { recursive: true, force: true }));
  const line = await child.waitForLog((l) => l.msg === "broker listening", "broker listening");
  return { child, url: `mqtt://127.0.0.1:${String(line.port)}` };
}

/**
 * The Node flags the bench's agent starts with: the gateway's (cli/node-flags.ts), none with
 * ROOMGATE_BENCH_PLAIN_NODE=1, or the words of ROOMGATE_BENCH_AGENT_FLAGS (to measure another set).
 */
export function benchAgentFlags(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  if (env.ROOMGATE_BENCH_AGENT_FLAGS !== undefined) return env.ROOMGATE_BENCH_AGENT_FLAGS.split(/\s+/).filter((w) => w !== "");
  return env.ROOMGATE_BENCH_PLAIN_NODE === "1" ? [] : AGENT_NODE_FLAGS;
}

/**
 * `roomgate agent` for a site file, started as on a gateway (benchAgentFlags); the caller waits for
 * readiness on MQTT.
 */
export function spawnAgent(configFile: string, brokerUrl: string, stateDir: string): BenchChild {
  const flags = benchAgentFlags();
  return spawnCli("agent", ["agent", "--config", configFile, "--broker", brokerUrl, "--state-dir", stateDir], process.env, flags);
}
