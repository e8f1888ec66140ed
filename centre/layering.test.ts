/**
 * DESIGN.md's arrows for the centre: `centre -> config`, and it talks to agents only through the
 * topic contract. The contract module (agent/topics*.ts: zod payload schemas and topic parsing, pure)
 * is the one file of agent/ it may import, so the centre validates exactly what agents are held to;
 * drivers/types.ts and drivers/clock.ts give it the Clock and Logger shapes every part shares (the
 * broker does the same). drivers/transport/backoff.ts, a pure function with no imports, gives the
 * syslog sender the same jittered backoff every reconnecting part uses. Test files may use the test helpers.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ALLOWED = [/^config\//, /^centre\//, /^agent\/topics(-[a-z]+)?\.js$/, /^drivers\/(types|clock)\.js$/, /^drivers\/transport\/backoff\.js$/];

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [path.join(dir, e.name)] : [],
  );
}

describe("what the centre imports", () => {
  it("reaches only config/, the topic contract and the shared clock and logger shapes", () => {
    const outside: string[] = [];
    for (const file of sources("centre")) {
      const text = readFileSync(path.join(ROOT, file), "utf8");
      for (const m of text.matchAll(/(?:from|import\()\s*["'](\.[^"']+)["']/g)) {
        const target = path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), m[1]!));
        if (!ALLOWED.some((re) => re.test(target))) outside.push(`${file} -> ${target}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
