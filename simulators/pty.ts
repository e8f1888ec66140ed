/**
 * A pseudo-terminal pair made by socat: the agent opens `devicePath`, a simulator opens
 * `simulatorPath`, and bytes flow between them like a null-modem cable. Killing socat
 * (`unplug`) makes both ends vanish, which the agent sees exactly as a USB adapter being pulled
 * (the read fails, the port closes, the path disappears); `replug` brings the same paths back.
 *
 * Readiness is read from socat's own log (`-d -d`: "PTY is ..." twice, then "starting data
 * transfer loop"), never guessed with sleeps. Every socat we start is killed when this process
 * exits, so tests that crash leave no orphans holding ptys.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { lstat, mkdir, unlink } from "node:fs/promises";
import path from "node:path";

export interface PtyPairOptions {
  /** The link the agent opens, e.g. /tmp/roomgate/district-07/cam-main. */
  devicePath: string;
  /** The link the simulator opens. Default `devicePath + ".sim"`. */
  simulatorPath?: string;
  /** The socat binary. Default "socat" from PATH. */
  command?: string;
  /** How long socat may take to report the pair ready. Default 5 000 ms. */
  readyTimeoutMs?: number;
}

export class PtyError extends Error {
  readonly code: "socat_missing" | "socat_failed" | "socat_timeout" | "path_in_use" | "closed";
  constructor(code: PtyError["code"], message: string) {
    super(message);
    this.name = "PtyError";
    this.code = code;
  }
}

/** Children alive in this process; killed on exit so no socat outlives its test run. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const c of live) c.kill("SIGTERM");
    });
  }
  live.add(child);
  child.once("exit", () => live.delete(child));
  // A spawn that failed (ENOENT) reports `error` and may never report `exit`.
  child.once("error", () => live.delete(child));
}

export class PtyPair {
  readonly devicePath: string;
  readonly simulatorPath: string;
  private readonly command: string;
  private readonly readyTimeoutMs: number;
  private child: ChildProcess | undefined;
  private closing: Promise<void> | undefined;

  private constructor(opts: PtyPairOptions) {
    this.devicePath = path.resolve(opts.devicePath);
    this.simulatorPath = path.resolve(opts.simulatorPath ?? `${opts.devicePath}.sim`);
    this.command = opts.command ?? "socat";
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 5_000;
  }

  /** Starts socat and resolves once both links exist and data flows. */
  static async create(opts: PtyPairOptions): Promise<PtyPair> {
    const pair = new PtyPair(opts);
    if (pair.devicePath === pair.simulatorPath) {
      throw new PtyError("path_in_use", `pty: devicePath and simulatorPath are both ${pair.devicePath}`);
    }
    await pair.start();
    return pair;
  }

  /** True while socat runs (between create/replug and unplug/close). */
  get plugged(): boolean {
    return this.child !== undefined;
  }

  /** Kills socat: both ends vanish. Resolves when socat has exited and the links are gone. */
  async unplug(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) await stop(child);
    // socat removes its links on SIGTERM; after SIGKILL they would dangle.
    await Promise.all([removeLink(this.devicePath), removeLink(this.simulatorPath)]);
  }

  /** Starts socat again with the same link paths (a no-op while plugged). */
  async replug(): Promise<void> {
    if (this.closing) throw new PtyError("closed", `pty ${this.devicePath}: replug() after close()`);
    if (this.child) return;
    await this.start();
  }

  /** Kills socat and removes the links; idempotent. */
  close(): Promise<void> {
    this.closing ??= this.unplug();
    return this.closing;
  }

  private async start(): Promise<void> {
    for (const p of [this.devicePath, this.simulatorPath]) {
      await mkdir(path.dirname(p), { recursive: true });
      await removeLink(p);
    }
    const args = ["-d", "-d", `pty,raw,echo=0,link=${this.devicePath}`, `pty,raw,echo=0,link=${this.simulatorPath}`];
    const child = spawn(this.command, args, { stdio: ["ignore", "ignore", "pipe"] });
    track(child);
    try {
      await waitReady(child, this.command, this.readyTimeoutMs);
    } catch (err) {
      await stop(child);
      throw err;
    }
    this.child = child;
    // socat dying on its own (killed from outside) is an unplug nobody asked for: reflect it.
    child.once("exit", () => {
      if (this.child === child) this.child = undefined;
    });
  }
}

/** True when a socat binary can be run. */
export function socatAvailable(command = "socat"): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, ["-V"], { stdio: "ignore" });
    child.once("error", () => resolve(false));
    child.once("exit", (code) => resolve(code === 0));
  });
}

function waitReady(child: ChildProcess, command: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let log = "";
    let ptys = 0;
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.off("exit", onExit);
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => {
      finish(new PtyError("socat_timeout", `socat did not report the pty pair ready within ${timeoutMs} ms: ${tail(log)}`));
    }, timeoutMs);
    const onExit = (code: number | null, signal: string | null): void => {
      finish(new PtyError("socat_failed", `socat exited (${signal ?? `code ${code}`}) before the pty pair was ready: ${tail(log)}`));
    };
    child.once("exit", onExit);
    // `on`, not `once`: a child's later `error` (a failed kill) must not go unhandled.
    child.on("error", (err: NodeJS.ErrnoException) => {
      finish(
        err.code === "ENOENT"
          ? new PtyError("socat_missing", `socat not found: install it (apt-get install socat) [tried ${command}]`)
          : new PtyError("socat_failed", `socat could not start: ${err.message}`),
      );
    });
    // Keep reading stderr for socat's whole life: a full pipe would block it mid-transfer.
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (text: string) => {
      if (done) return;
      log += text;
      ptys = (log.match(/PTY is /g) ?? []).length;
      if (ptys >= 2 && log.includes("starting data transfer loop")) finish();
    });
  });
}

function tail(log: string): string {
  const lines = log.trim().split("\n").slice(-3).join(" | ");
  return lines === "" ? "(no output)" : lines;
}

/** SIGTERM, then SIGKILL if socat has not exited within 2 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  await new Promise<void>((resolve) => {
    const killer = setTimeout(() => child.kill("SIGKILL"), 2_000);
    child.once("exit", () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Removes a symlink left by an earlier socat; refuses to delete anything that is not a symlink. */
async function removeLink(p: string): Promise<void> {
  let isLink: boolean;
  try {
    isLink = (await lstat(p)).isSymbolicLink();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (!isLink) throw new PtyError("path_in_use", `pty: ${p} exists and is not a symlink; not replacing it`);
  await unlink(p).catch((err: NodeJS.ErrnoException) => {
    // socat may remove it between our lstat and unlink.
    if (err.code !== "ENOENT") throw err;
  });
}
