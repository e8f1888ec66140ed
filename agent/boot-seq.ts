/**
 * The agent's boot sequence number: one more on every start, kept in a small file so a monitoring
 * script can tell a restart from a reconnect (birth and last will carry it).
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

export async function nextBootSeq(stateDir: string, site: string): Promise<number> {
  const file = path.join(stateDir, `${site}.bootseq`);
  let prev = 0;
  try {
    const n = Number.parseInt((await readFile(file, "utf8")).trim(), 10);
    if (Number.isSafeInteger(n) && n >= 0) prev = n;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const next = prev + 1;
  await mkdir(stateDir, { recursive: true });
  // Write then rename: a power cut mid-write must not reset the counter to garbage.
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${next}\n`);
  await rename(tmp, file);
  return next;
}
