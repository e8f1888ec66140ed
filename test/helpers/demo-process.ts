/**
 * `roomgate demo` in its own process, as a user starts it: resolves once it has printed its "how to
 * use me" text (bounded), with that text; fails with what it printed if it exits or hangs first.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

export interface DemoProcess {
  child: ChildProcess;
  /** Everything the demo printed on stdout up to "Ctrl-C stops the demo". */
  out: string;
}

export async function startDemoProcess(command: string, args: string[], opts: SpawnOptions, timeoutMs = 20_000): Promise<DemoProcess> {
  const child = spawn(command, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`demo did not come up in ${timeoutMs / 1000} s\n${out}\n${err}`));
    }, timeoutMs);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("Ctrl-C stops the demo")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited ${code}\n${out}\n${err}`));
    });
  });
  return { child, out };
}
