/**
 * DESIGN.md's arrows for the broker: `broker -> config`, plus one arrow into the centre: the
 * console's files and routes (centre/web/console.ts), whose one copy the centre serves with its
 * history pages and the broker mounts for its live pages. Nothing else of centre/ (the record, the
 * recorder, PGlite) may reach the broker, so a broker runs with no centre code loaded but that.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

describe("what the broker imports from the centre", () => {
  it("is the console module only", () => {
    const found: string[] = [];
    for (const file of readdirSync(path.join(ROOT, "broker")).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
      const text = readFileSync(path.join(ROOT, "broker", file), "utf8");
      for (const m of text.matchAll(/(?:from|import\()\s*["'](\.[^"']+)["']/g)) {
        const target = path.relative(ROOT, path.resolve(path.join(ROOT, "broker"), m[1]!));
        if (target.startsWith("centre/")) found.push(`broker/${file} -> ${target}`);
      }
    }
    expect(found).toEqual(["broker/server.ts -> centre/web/console.js"]);
  });
});
