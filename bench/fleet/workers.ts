/**
 * The main process's handle on one forked worker (worker.ts): requests over IPC with a deadline,
 * stderr forwarded with the worker's name, killed when the bench exits (bench/lib/processes.ts).
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { note } from "../lib/output.js";
import { track } from "../lib/processes.js";
import type { Op, Reply, WorkerInit } from "./protocol.js";

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), "worker.js");

export class Worker {
  readonly pid: number;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    if (child.pid === undefined) throw new Error(`${name}: fork failed`);
    this.pid = child.pid;
    track(child);
    child.on("message", (reply: Reply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (reply.ok) w.resolve(reply.value);
      else w.reject(new Error(`${name}: ${reply.error}`));
    });
    createInterface({ input: child.stderr! }).on("line", (line) => note(`[${name}] ${line}`));
    createInterface({ input: child.stdout! }).on("line", (line) => note(`[${name}] ${line}`));
    this.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        this.exitCode = code;
        for (const w of this.waiting.values()) w.reject(new Error(`${name} exited (code ${code}, signal ${signal}) with a request pending`));
        this.waiting.clear();
        resolve(code);
      }),
    );
  }

  /** Forks a worker and initialises it. */
  static async start(name: string, init: WorkerInit): Promise<Worker> {
    // No inherited --inspect or similar flags; the workers are plain node, like a small client would be.
    const child = fork(WORKER, [], { stdio: ["ignore", "pipe", "pipe", "ipc"], execArgv: [] });
    const w = new Worker(name, child);
    await w.request("init", init, 10_000);
    return w;
  }

  request<T = unknown>(op: Op, arg?: unknown, timeoutMs = 30_000): Promise<T> {
    if (this.exitCode !== undefined) return Promise.reject(new Error(`${this.name} has exited`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${this.name}: no answer to ${op} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ id, op, arg });
    });
  }

  /** Asks the worker to disconnect its clients, then ends it (SIGKILL after a bound). */
  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    await this.request("stop", undefined, 15_000).catch((err: Error) => note(`${this.name}: stop: ${err.message}`));
    if (this.child.connected) this.child.disconnect(); // the worker exits when its IPC channel closes
    const killer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await this.exited;
    clearTimeout(killer);
  }
}
