/**
 * One centre per state directory: `centre.lock` holds the pid of the process that owns it (the
 * running centre, or `roomgate history` reading PGlite directly while no centre runs). PGlite is a
 * single-process database: two processes on one data directory would corrupt it.
 */
import { open, readFile, unlink } from "node:fs/promises";

export class LockError extends Error {
  readonly code = "locked";
  constructor(
    message: string,
    readonly pid: number,
  ) {
    super(message);
    this.name = "LockError";
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user's process.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface Lock {
  release(): Promise<void>;
}

export async function takeLock(file: string, what: string): Promise<Lock> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, "wx", 0o600);
      await fh.writeFile(`${process.pid}\n${what}\n`);
      await fh.close();
      let released = false;
      return {
        release: async () => {
          if (released) return;
          released = true;
          await unlink(file).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== "ENOENT") throw err;
          });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const [pidText, holder] = (await readFile(file, "utf8").catch(() => "")).split("\n");
      const pid = Number(pidText);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) throw new LockError(`${file} is held by ${holder || "another process"} (pid ${pid})`, pid);
      // Left by a process that is gone (killed): take it over.
      await unlink(file).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "ENOENT") throw e;
      });
    }
  }
  throw new LockError(`${file}: could not take the lock`, 0);
}
