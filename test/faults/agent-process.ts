/**
 * A real `roomgate agent` process (node dist/cli/main.js) for the scenarios that kill it: its
 * stdout is pino JSON, kept line by line, and awaited as events.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { within } from "./wait.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = path.join(ROOT, "dist/cli/main.js");

/**
 * Fails clearly when dist/ is older than the agent's sources: a stale build would test old code.
 * (`npm test` builds first; run `npm run build` before running this file alone.)
 */
export function assertBuilt(): void {
  try {
    statSync(CLI);
  } catch (err) {
    throw new Error(`${CLI} missing (${(err as NodeJS.ErrnoException).code}): run npm run build`);
  }
  for (const dir of ["agent", "cli", "drivers/visca", "drivers/transport", "config"]) {
    for (const f of readdirSync(path.join(ROOT, dir))) {
      if (!f.endsWith(".ts") || f.endsWith(".test.ts")) continue;
      const js = path.join(ROOT, "dist", dir, f.replace(/\.ts$/, ".js"));
      // Files the build leaves out (conformance suites) have no output: nothing to compare.
      const built = statSync(js, { throwIfNoEntry: false })?.mtimeMs;
      if (built === undefined) continue;
      if (statSync(path.join(ROOT, dir, f)).mtimeMs > built) throw new Error(`dist is older than ${dir}/${f}: run npm run build`);
    }
  }
}

export type LogLine = Record<string, any>;

export class AgentProcess {
  readonly lines: LogLine[] = [];
  private readonly child: ChildProcess;
  private stderr = "";
  private waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(config: string, stateDir: string) {
    this.child = spawn(process.execPath, [CLI, "agent", "--config", config, "--state-dir", stateDir], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let buf = "";
    this.child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith("{")) this.onLine(JSON.parse(line) as LogLine);
      }
    });
    this.child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  private onLine(l: LogLine): void {
    this.lines.push(l);
    for (const w of [...this.waiters]) {
      if (w.match(l)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(l);
      }
    }
  }

  /** The first log line (from index `from`, past or future) that matches, within `ms`. */
  waitLog(match: (l: LogLine) => boolean, ms: number, what: string, from = 0): Promise<LogLine> {
    const past = this.lines.slice(from).find(match);
    if (past) return Promise.resolve(past);
    let waiter: (typeof this.waiters)[number] | undefined;
    const p = new Promise<LogLine>((resolve, reject) => {
      waiter = { match, resolve };
      this.waiters.push(waiter);
      void this.exited.then(({ code, signal }) => reject(new Error(`agent exited (${code ?? signal}) before ${what}\n${this.stderr}`)));
    });
    const tail = () => `${what}; last lines:\n${this.lines.slice(-8).map((l) => JSON.stringify(l)).join("\n")}\n${this.stderr}`;
    return within(p, ms, tail).finally(() => {
      const i = this.waiters.indexOf(waiter!);
      if (i >= 0) this.waiters.splice(i, 1);
    });
  }

  /** kill -9, resolved once the process is gone. */
  async kill9(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }

  /** For cleanup: ends the process if it still runs (SIGTERM: a clean stop). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    await within(this.exited, 10_000, "agent to stop").catch(async () => this.kill9());
  }
}
