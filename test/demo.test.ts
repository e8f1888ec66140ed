/**
 * What the README promises a new user: `roomgate demo` comes up with its operator console, a command
 * sent with mosquitto_pub moves a simulated camera and is answered, and Ctrl-C stops it cleanly.
 */
import { execFile, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { Watcher } from "./helpers/mqtt.js";
import { freePort } from "./helpers/net.js";
import { startDemoProcess } from "./helpers/demo-process.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "dist/cli/main.js");
const MOSQUITTO_PUB = ["/usr/bin/mosquitto_pub", "/usr/local/bin/mosquitto_pub"].find((p) => existsSync(p));
const T = "roomgate/v1/district-07";

const suite = MOSQUITTO_PUB || process.env.CI ? describe : describe.skip;

suite("roomgate demo", () => {
  let demo: ChildProcess | undefined;
  const stateDir = mkdtempSync(path.join(tmpdir(), "roomgate-demo-"));
  afterAll(() => {
    if (demo && demo.exitCode === null) demo.kill("SIGKILL");
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("comes up, obeys a mosquitto_pub command with an answer, and stops cleanly on SIGINT", async () => {
    const port = await freePort();
    const { child, out } = await startDemoProcess(process.execPath, [cli, "demo", "--free-ports", "--state-dir", stateDir, "--port", String(port)], {
      cwd: root,
      env: { ...process.env, ROOMGATE_STATE_DIR: stateDir },
    });
    demo = child;
    expect(out).toContain(`mosquitto_pub -h 127.0.0.1 -p ${port}`);
    // The operator console is on the demo's HTTP listener, and says how to log in.
    const consoleUrl = /Operator console: (http:\/\/127\.0\.0\.1:\d+\/console\/)/.exec(out)?.[1];
    expect(consoleUrl, out).toBeDefined();
    expect(out).toContain("any user name (e.g. operator) logs in");
    const page = await fetch(consoleUrl!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>roomgate console</title>");

    const url = `mqtt://127.0.0.1:${port}`;
    const w = await Watcher.connect(url, `${T}/#`);
    try {
      await w.waitFor((m) => m.topic === `${T}/dev/cam-main/health` && m.json.status === "ok", 15_000, "cam-main ok");
      const cmd = JSON.stringify({ id: "readme-1", device: "cam-main", action: "position", args: { pan: 700, tilt: 150 } });
      await new Promise<void>((resolve, reject) =>
        execFile(MOSQUITTO_PUB ?? "mosquitto_pub", ["-h", "127.0.0.1", "-p", String(port), "-t", `${T}/cmd/operator`, "-m", cmd], (e) => (e ? reject(e) : resolve())),
      );
      const res = await w.waitFor((m) => m.topic === `${T}/res/operator` && m.json.id === "readme-1", 10_000, "response");
      expect(res.json.status).toBe("ok");
      const state = await w.waitFor((m) => m.topic === `${T}/dev/cam-main/state` && m.json.state.pan === 700, 10_000, "camera moved");
      expect(state.json.state.tilt).toBe(150);

      const mark = w.seen.length;
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGINT");
      const offline = await w.waitFor((m) => m.topic === `${T}/agent/state` && m.json.state === "offline", 10_000, "offline", mark);
      expect(offline.json.bootSeq).toBe(1);
      expect(await exited).toBe(0);
    } finally {
      await w.close();
    }
  }, 60_000);
});
