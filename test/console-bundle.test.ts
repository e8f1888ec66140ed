/**
 * Drift check: the committed console bundle (console/dist/, served by the broker as is) must be
 * exactly what esbuild makes of console/src now. To refresh it: `npm run build:console`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bundleConsole } from "../scripts/build-console.js";

const DIST = new URL("../console/dist/", import.meta.url).pathname;
const HINT = "console/dist is out of date: run `npm run build:console` and commit it";

describe("console/dist", () => {
  it("is the bundle of console/src, and small", async () => {
    const built = await bundleConsole();
    expect(readdirSync(DIST).sort(), HINT).toEqual(Object.keys(built).sort());
    for (const [name, text] of Object.entries(built)) expect(readFileSync(`${DIST}${name}`, "utf8"), `${HINT} (${name})`).toBe(text);
    // mqtt.js's browser build is most of it; a growing bundle should be a decision, not an accident.
    expect(Buffer.byteLength(built["console.js"] ?? "")).toBeLessThan(450_000);
  }, 30_000);
});
