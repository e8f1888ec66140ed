/**
 * A technician already runs `npm start` and starts a second demo: it must not half-start and die on
 * the first busy port, nor take over the first one's state directory; it says what is taken and the
 * line that runs it beside the first. (test/demo.test.ts runs that line: `--free-ports`.)
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { createSocket, type Socket } from "node:dgram";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { relocatedSite } from "./helpers/demo-site.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "dist/cli/main.js");

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: root, env, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe("a second roomgate demo beside a running one", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "roomgate-beside-"));
  const held: (Server | Socket)[] = [];
  let holder: ReturnType<typeof spawn> | undefined;
  let site: Awaited<ReturnType<typeof relocatedSite>>;
  let mqttPort: number;
  let centrePort: number;

  /** Takes what a first demo would hold: the MQTT port, its centre's pages, a TCP and a UDP simulator port, its state lock. */
  beforeAll(async () => {
    site = await relocatedSite(path.join(dir, "pty"));
    writeFileSync(path.join(dir, "site.yaml"), stringify(site));
    const tcp = async (port: number) => {
      const s = createServer();
      await new Promise<void>((resolve) => s.listen(port, "127.0.0.1", resolve));
      held.push(s);
      return (s.address() as { port: number }).port;
    };
    mqttPort = await tcp(0);
    centrePort = await tcp(0); // the first demo's centre pages
    const wall = site.devices["led-wall"]!.transport as { port: number };
    await tcp(wall.port);
    const udp = createSocket("udp4");
    const cam = site.devices["cam-aux"]!.transport as { port: number };
    await new Promise<void>((resolve) => udp.bind(cam.port, "127.0.0.1", resolve));
    held.push(udp);
    // The first demo's agent: a live process named in the site's lock file.
    holder = spawn(process.execPath, ["-e", "process.stdin.resume()"], { stdio: ["pipe", "ignore", "ignore"] });
    await new Promise((resolve) => holder!.once("spawn", resolve));
    const cmdline = readFileSync(`/proc/${holder.pid}/cmdline`, "utf8");
    writeFileSync(path.join(dir, `${site.site}.lock`), JSON.stringify({ pid: holder.pid, cmdline, since: Date.now() }));
  });
  afterAll(async () => {
    holder?.kill("SIGKILL");
    await Promise.all(held.map((h) => new Promise<void>((resolve) => h.close(() => resolve()))));
    rmSync(dir, { recursive: true, force: true });
  });

  it("names every taken port and the state directory's holder, prints the line to run beside it, exits 1, and leaves nothing behind", async () => {
    const wall = site.devices["led-wall"]!.transport as { port: number };
    const cam = site.devices["cam-aux"]!.transport as { port: number };
    const r = await run(["demo", "--config", path.join(dir, "site.yaml"), "--port", String(mqttPort), "--http-port", "0", "--centre-port", String(centrePort), "--state-dir", dir], { ...process.env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("roomgate demo: cannot start, what it needs is taken:");
    expect(r.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${mqttPort}/tcp +the MQTT broker \\(--port N\\): in use`));
    expect(r.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${centrePort}/tcp +the centre's History and Availability pages \\(--centre-port N\\): in use`));
    expect(r.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${wall.port}/tcp +led-wall's simulator: in use`));
    expect(r.stderr).toMatch(new RegExp(`127\\.0\\.0\\.1:${cam.port}/udp +cam-aux's simulator: in use`));
    expect(r.stderr).toContain(`the agent of site district-07 already runs from state directory ${dir} (pid ${holder!.pid}`);
    expect(r.stderr).toContain("npx roomgate demo --free-ports --state-dir .roomgate-2");
    // It refused before starting anything: the other agent's lock is untouched, no pty link was made.
    expect(JSON.parse(readFileSync(path.join(dir, `${site.site}.lock`), "utf8")).pid).toBe(holder!.pid);
    expect(() => readFileSync(path.join(dir, "pty", "cam-main"))).toThrow(/ENOENT/);
  });
});
