/**
 * `roomgate ...argv` in-process through the dispatcher dist/cli/main.js calls (no Node start, no
 * imports again): its exit code and what it wrote, including what commands print to process.stdout.
 */
import { vi } from "vitest";
import { runCli } from "../../cli/dispatch.js";

export async function roomgateInProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  try {
    const code = await runCli(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
    return { code, stdout, stderr };
  } finally {
    spy.mockRestore();
  }
}
