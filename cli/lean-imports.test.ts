/**
 * cli/lean-imports.ts in a process of its own (the hooks are process-wide), on the Node running the
 * tests and from the compiled dist/ (npm test builds first): with module.registerHooks (Node 24, the
 * bundle's) mqtt.js's browser timers and zod's 47 other translations stay unloaded and both libraries
 * still work; without it (Node 20) nothing changes. test/bundle.test.ts runs the same on the bundle's Node 24.
 */
import { execFile } from "node:child_process";
import module from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { LEAN_PROBE } from "../test/helpers/lean-probe.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));

it("leaves mqtt.js's browser timers and zod's other translations unloaded where Node can redirect imports, and changes nothing elsewhere", async () => {
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", LEAN_PROBE], { cwd: root, timeout: 30_000 });
  const seen = JSON.parse(stdout) as { installed: boolean; locales: string[]; message: string; client: string; browserTimers: boolean };
  const canRedirect = typeof (module as { registerHooks?: unknown }).registerHooks === "function";
  expect(seen.installed).toBe(canRedirect);
  expect(seen.message).toBe("Invalid input: expected number, received string");
  expect(seen.client).toBe("function");
  if (canRedirect) {
    expect(seen.locales).toEqual(["en"]);
    expect(seen.browserTimers).toBe(false);
  } else {
    expect(seen.locales.length).toBeGreaterThan(40);
    expect(seen.browserTimers).toBe(true);
  }
}, 30_000);
