/**
 * Runs a compiled bench (dist/bench/*.js, built by `npm test`) with tiny parameters, as a smoke test
 * of its plumbing: the figures come only from full runs (docs/performance.md), never from tests.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface BenchRun {
  code: number | null;
  /** The bench's last stdout line, parsed. */
  json: any;
  stdout: string;
  stderr: string;
}

/** `env` is added to this process's environment (e.g. ROOMGATE_MOSQUITTO: the binary the registry found). */
export function runBench(name: string, args: string[], timeoutMs = 90_000, env: Record<string, string> = {}): Promise<BenchRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "dist/bench", `${name}.js`), ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1) ?? "";
      try {
        resolve({ code, json: JSON.parse(line), stdout, stderr });
      } catch (err) {
        reject(new Error(`bench ${name}: no JSON line (exit ${code}): ${(err as Error).message}\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`));
      }
    });
  });
}
