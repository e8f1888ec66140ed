/**
 * `roomgate centre` as an operator of the provincial centre runs it: the compiled CLI (dist/, built
 * by `npm test`) from a centre file, recording from a broker into PGlite in its state directory. While
 * it runs, `roomgate history` asks it over its local socket; stopped with SIGINT it says so on its
 * health topic and exits 0, and `roomgate history verify` then reads the PGlite files directly.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, it } from "vitest";
import { matrixUsers, passwordOf } from "../broker/acl.cases.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { Site } from "./helpers/centre.js";
import { roomgateInProcess } from "./helpers/cli-inprocess.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";
import { freePort } from "./helpers/net.js";
import { seedCentreRecord } from "./helpers/pglite-template.js";
import { within } from "./helpers/within.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "dist/cli/main.js");
const HEALTH = "roomgate/centre/recorder/health";
const T0 = Date.UTC(2026, 10, 3, 10, 0, 0);

function roomgate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/**
 * Spawns `roomgate centre --config file`; resolves once it has printed `until` on stderr. PGlite's
 * first start (initdb in WebAssembly) is seconds of CPU: on a 2-core machine shared with other test
 * files it took over a minute, so the bound is generous; its stderr is shown if it is not up.
 */
async function startCentreProcess(file: string, until: string): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, [cli, "centre", "--config", file], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  await within(
    new Promise<void>((resolve, reject) => {
      child.stderr!.on("data", () => stderr.includes(until) && resolve());
      child.once("exit", (code) => reject(new Error(`roomgate centre exited ${code}: ${stderr}`)));
    }),
    180_000,
    "roomgate centre up",
  ).catch((err: Error) => {
    child.kill("SIGKILL");
    throw new Error(`${err.message}; its stderr: ${stderr}`);
  });
  return { child, stderr: () => stderr };
}

// The two centres (each its own broker, files and ports) run at once: the first start's initdb is
// CPU, the rest mostly waits on processes and MQTT.
describe.concurrent("roomgate centre, as a command", () => {
  describe("roomgate centre", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-centre-cmd-"));
    const file = path.join(dir, "centre.yaml");
    let broker: RunningBroker;
    let w: Watcher;
    let centre: ChildProcess;

    beforeAll(async () => {
      broker = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger() });
      // Counters republished every second, so the test can wait for them on MQTT.
      writeFileSync(file, `broker:\n  url: ${broker.url}\n  user: recorder\nstateDir: state\nhealthRefreshSec: 1\nlogLevel: warn\n`);
      w = await Watcher.connect(broker.url, [HEALTH]);
    });
    afterAll(async () => {
      if (centre && centre.exitCode === null) centre.kill("SIGKILL");
      await w?.close();
      await broker?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("records what the agents publish, answers roomgate history while it runs, and stops on SIGINT", async ({ expect }) => {
      const started = await startCentreProcess(file, "roomgate centre: recording from");
      centre = started.child;
      const stderr = started.stderr();
      expect(stderr).toContain(`recording from ${broker.url} into pglite ${path.join(dir, "state", "centre", "pgdata")}`);
      await w.waitFor((m) => m.topic === HEALTH && m.json?.status === "ok", 15_000, "the centre ok");

      const s = new Site("district-11", 4);
      for (const m of [s.command(T0, "op-lan", "led-wall", "input.select"), s.command(T0 + 60_000, "op-lan", "cam-main", "preset.recall"), s.command(T0 + 120_000, "op-mai", "led-wall", "blank.set")]) {
        await w.publish(m.topic, m.payload);
      }
      await w.waitFor((m) => m.topic === HEALTH && m.json?.recorded >= 3, 20_000, "3 rows recorded");

      // While the centre runs, history goes through its socket (PGlite is one process).
      const audit = await roomgate(["history", "audit", "--config", file, "--csv"]);
      expect(audit.code, audit.stderr).toBe(0);
      expect(audit.stdout.split("\r\n").filter(Boolean).slice(1).map((l) => l.split(",").slice(3, 6).join(" "))).toEqual([
        "op-lan led-wall input.select", "op-lan cam-main preset.recall", "op-mai led-wall blank.set",
      ]);

      const mark = w.seen.length;
      const exited = new Promise<number | null>((resolve) => centre.once("exit", (code) => resolve(code)));
      centre.kill("SIGINT");
      const stopped = await w.waitFor((m) => m.topic === HEALTH && m.json?.code === "stopped", 15_000, "stopped", mark);
      expect(stopped.json).toMatchObject({ status: "unreachable", recorded: 3 });
      expect(await exited).toBe(0);

      // No centre now: the files are read directly.
      const verify = await roomgate(["history", "verify", "--config", file]);
      expect(verify.stdout).toMatch(/^district-11: intact, 3 rows \(1\.\.3\)/);
      expect(verify.code).toBe(0);
    }, 300_000);

    it("refuses a database URL that is not PostgreSQL's, or holds a password, before connecting", async ({ expect }) => {
      // The compiled CLI's start, exit codes and stderr are the first test's; this is the command's own check.
      const other = await roomgateInProcess(["centre", "--config", file, "--database", "mysql://db/roomgate"]);
      expect(other.code).toBe(2);
      expect(other.stderr).toContain("--database: expected postgres://USER@HOST[:PORT]/DB");
      const secret = await roomgateInProcess(["centre", "--config", file, "--database", "postgres://rec:hunter2@db/roomgate"]);
      expect(secret.code).toBe(2);
      expect(secret.stderr).toContain("write no password in the URL");
      expect(secret.stderr).not.toContain("hunter2");
    });
  });

  describe("roomgate centre with a web section", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-centre-web-cmd-"));
    const file = path.join(dir, "centre.yaml");
    let broker: RunningBroker;
    let w: Watcher;
    let centre: { child: ChildProcess; stderr: () => string } | undefined;

    beforeAll(async () => {
      const users = await matrixUsers();
      broker = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger(), http: { host: "127.0.0.1", port: 0, websocketPath: "/mqtt", metrics: false, console: false }, auth: { users, anonymous: true } });
      // The broker file the users were made with: the centre reads their roles and sites from it, the broker checks passwords.
      writeFileSync(path.join(dir, "broker.yaml"), stringify({ users }));
      writeFileSync(path.join(dir, "rec.password"), `${passwordOf("rec")}\n`);
      const web = { port: await freePort(), usersFile: "broker.yaml", mqttUrl: `ws://127.0.0.1:${broker.http!.port}/mqtt` };
      // A centre that ran before (the first describe's is a first start, initdb included): this one is about the web section.
      await seedCentreRecord(path.join(dir, "state"));
      writeFileSync(file, stringify({ broker: { url: broker.url, user: "rec", passwordFile: "rec.password" }, stateDir: "state", healthRefreshSec: 1, logLevel: "warn", web }));
      w = await Watcher.connect(broker.url, [HEALTH.replace("recorder", "rec")]); // anonymous: full access, as the test's agent
    });
    afterAll(async () => {
      if (centre && centre.child.exitCode === null) centre.child.kill("SIGKILL");
      await w?.close();
      await broker?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("serves the history API at the URL it prints, to a login the broker accepts, and closes it on SIGINT", async ({ expect }) => {
      centre = await startCentreProcess(file, "history pages and /metrics at");
      const consoleUrl = /console, history pages and \/metrics at (http:\/\/127\.0\.0\.1:\d+\/console\/)/.exec(centre.stderr())?.[1];
      expect(consoleUrl, centre.stderr()).toBeDefined();
      const s = new Site("s1", 4);
      const m = s.command(T0, "op-1", "cam", "preset.recall");
      await w.publish(m.topic, m.payload);
      await w.waitFor((x) => x.topic === HEALTH.replace("recorder", "rec") && x.json?.recorded >= 1, 20_000, "1 row recorded");

      const audit = `${consoleUrl}api/history/audit?since=2026-11-01`;
      const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}` });
      const ok = await fetch(audit, { headers: basic("op-1", passwordOf("op-1")) });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { site: string; user: string; action: string }[]).map((r) => `${r.site} ${r.user} ${r.action}`)).toEqual(["s1 op-1 preset.recall"]);
      expect((await fetch(audit)).status).toBe(401);
      expect((await fetch(audit, { headers: basic("op-1", "not-the-password") })).status).toBe(401);
      const page = await fetch(consoleUrl!);
      expect(await page.text()).toContain(`<meta name="roomgate-mqtt-url" content="ws://127.0.0.1:${broker.http!.port}/mqtt" />`);

      const exited = new Promise<number | null>((resolve) => centre!.child.once("exit", (code) => resolve(code)));
      centre.child.kill("SIGINT");
      expect(await exited).toBe(0);
      await expect(fetch(audit)).rejects.toThrow();
    }, 300_000);
  });
});
