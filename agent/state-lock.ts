/**
 * One agent per site and state directory. Two agents of the same site on one state directory (a
 * second `roomgate demo` started from the same folder, a hand-started `roomgate agent` beside the
 * service) would append to the same outbox and share a boot sequence: the centre would see events
 * twice or never. So the agent's commands take `{stateDir}/{site}.lock` before they touch anything.
 *
 * The lock file holds `{pid, cmdline, since}`. It is stale, and taken over, when that process is gone
 * or its pid now runs another command line (pids are reused after a crash or a reboot); systemd's
 * `Restart=always` after a SIGKILL therefore never finds its own leftover lock in the way.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";

export class StateLockError extends Error {
  readonly code = "state_dir_in_use";
  constructor(
    message: string,
    /** The process holding the lock. */
    readonly pid: number,
  ) {
    super(message);
    this.name = "StateLockError";
  }
}

export interface StateLock {
  readonly file: string;
  /** Removes the lock file if it is still ours; idempotent. */
  release(): void;
}

interface Holder {
  pid: number;
  cmdline: string;
  since: number;
}

/** This process's command line as /proc shows it (NUL-separated), or "" where /proc is absent. */
export function cmdlineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    // No such process (or no /proc): the caller decides from `alive` whether it matters.
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readHolder(file: string): Holder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, "utf8")) as Partial<Holder>;
    return typeof h.pid === "number" && typeof h.cmdline === "string" ? { pid: h.pid, cmdline: h.cmdline, since: Number(h.since) || 0 } : undefined;
  } catch {
    // Unreadable or half-written (a crash between open and write): nobody can be relying on it.
    return undefined;
  }
}

/** True while `holder` still runs the command that took the lock. */
function holds(holder: Holder): boolean {
  if (holder.pid === process.pid || !alive(holder.pid)) return false;
  const now = cmdlineOf(holder.pid);
  return now === undefined || holder.cmdline === "" || now === holder.cmdline;
}

/**
 * Takes the lock of `site` in `stateDir` (which must exist), or throws StateLockError naming the
 * process that holds it and `hint` (how to run beside it).
 */
export function lockStateDir(stateDir: string, site: string, hint = "stop it first, or give this one its own state directory"): StateLock {
  const file = path.join(stateDir, `${site}.lock`);
  const me: Holder = { pid: process.pid, cmdline: cmdlineOf(process.pid) ?? "", since: Date.now() };
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, "wx", 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
      const holder = readHolder(file);
      if (holder && holds(holder)) {
        const since = holder.since ? ` since ${new Date(holder.since).toISOString()}` : "";
        throw new StateLockError(`the agent of site ${site} already runs from state directory ${path.resolve(stateDir)} (pid ${holder.pid}${since}): ${hint}`, holder.pid);
      }
      unlinkSync(file); // stale: its process is gone
      continue;
    }
    try {
      writeSync(fd, `${JSON.stringify(me)}\n`);
    } finally {
      closeSync(fd);
    }
    let released = false;
    return {
      file,
      release() {
        if (released) return;
        released = true;
        if (readHolder(file)?.pid === process.pid) unlinkSync(file);
      },
    };
  }
}
