/**
 * The port-events bench (bench/port-events.ts) in a tiny configuration, as a reader would run it:
 * the compiled bench (dist/, built by `npm test`) with its agent in its own process. Plumbing only:
 * every flap measured on both paths, one JSON line with the summaries, no process left behind. No
 * figure is asserted (docs/performance.md has a full run's).
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bench = path.join(root, "dist/bench/port-events.js");

it("runs a few flaps by trap and by polling and prints one JSON result and a table", async () => {
  const child = spawn(process.execPath, [bench, "--flaps", "3", "--warmup", "1", "--pollMs", "300"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  expect(code, stderr).toBe(0);
  const lines = stdout.trim().split("\n");
  expect(lines).toHaveLength(1);
  const json = JSON.parse(lines[0]!) as { bench: string; trap: { n: number; p50: number; p99: number }; poll: { n: number; p99: number } };
  expect(json).toMatchObject({ bench: "port-events", unit: "ms", pollMs: 300 });
  expect(json.trap.n).toBe(3);
  expect(json.poll.n).toBe(3);
  for (const s of [json.trap, json.poll]) expect(Number.isFinite(s.p99)).toBe(true);
  expect(stderr).toMatch(/^path\s+n\s+min\s+p50\s+p90\s+p99\s+max$/m);
}, 60_000);
