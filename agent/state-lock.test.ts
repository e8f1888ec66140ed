import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lockStateDir, StateLockError } from "./state-lock.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "roomgate-lock-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A live process that is not us: a node sleeping on stdin, killed at the end. */
async function otherProcess(): Promise<{ pid: number; cmdline: string; kill(): Promise<void> }> {
  const child = spawn(process.execPath, ["-e", "process.stdin.resume()"], { stdio: ["pipe", "ignore", "ignore"] });
  await new Promise((resolve) => child.once("spawn", resolve));
  const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, "utf8");
  return {
    pid: child.pid!,
    cmdline,
    kill: () => new Promise<void>((resolve) => (child.once("exit", () => resolve()), child.kill("SIGKILL"))),
  };
}

describe("the state directory lock", () => {
  it("is taken, names its holder to a second taker with the hint, and is free again once released", async () => {
    const other = await otherProcess();
    try {
      writeFileSync(path.join(dir, "district-07.lock"), JSON.stringify({ pid: other.pid, cmdline: other.cmdline, since: 1_700_000_000_000 }));
      let err: unknown;
      try {
        lockStateDir(dir, "district-07", "run it with --state-dir DIR");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StateLockError);
      expect((err as StateLockError).code).toBe("state_dir_in_use");
      expect((err as Error).message).toContain(`pid ${other.pid} since 2023-11-14T22:13:20.000Z): run it with --state-dir DIR`);
      // Another site in the same directory is another agent: no conflict.
      lockStateDir(dir, "district-11").release();
    } finally {
      await other.kill();
    }
    // Its holder is gone: the lock is stale and taken over.
    const lock = lockStateDir(dir, "district-07");
    expect(JSON.parse(readFileSync(lock.file, "utf8")).pid).toBe(process.pid);
    lock.release();
    lock.release();
    expect(existsSync(lock.file)).toBe(false);
  });

  it("takes over a lock whose pid now runs another command (reused after a crash)", async () => {
    const other = await otherProcess();
    try {
      writeFileSync(path.join(dir, "s.lock"), JSON.stringify({ pid: other.pid, cmdline: "node\0dist/cli/main.js\0agent\0", since: 1 }));
      const lock = lockStateDir(dir, "s");
      expect(JSON.parse(readFileSync(lock.file, "utf8")).pid).toBe(process.pid);
      lock.release();
    } finally {
      await other.kill();
    }
  });

  it("takes over a half-written lock file", () => {
    writeFileSync(path.join(dir, "s.lock"), "{\"pid\":");
    const lock = lockStateDir(dir, "s");
    expect(existsSync(lock.file)).toBe(true);
    lock.release();
  });

  it("does not delete a lock another process took after ours was taken over", () => {
    const lock = lockStateDir(dir, "s");
    writeFileSync(lock.file, JSON.stringify({ pid: 1, cmdline: "", since: 1 }));
    lock.release();
    expect(existsSync(lock.file)).toBe(true);
  });
});
