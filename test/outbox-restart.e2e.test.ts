/**
 * Never lose an event: an event raised while the broker is away survives `kill -9` of the agent and
 * reaches the centre after restart, once, marked historical.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { startBroker } from "../broker/server.js";
import type { RunningBroker } from "../broker/server.js";
import { startViscaSimulator } from "../simulators/visca/index.js";
import type { UdpCameraHandle } from "../simulators/visca/index.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";
import { freePort } from "./helpers/net.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "dist/cli/main.js");
const SITE = "commune-31";
const T = `roomgate/v1/${SITE}`;

/** Starts `roomgate agent`; resolves once a log line matches. */
function agentUntil(config: string, stateDir: string, match: (line: Record<string, any>) => boolean, what: string) {
  const child = spawn(process.execPath, [cli, "agent", "--config", config, "--state-dir", stateDir], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let buf = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const seen = new Promise<ChildProcess>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent: no ${what} within 15 s\n${buf.slice(-2000)}\n${err}`)), 15_000);
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split("\n")) {
        if (!line.startsWith("{")) continue;
        if (match(JSON.parse(line))) {
          clearTimeout(timer);
          resolve(child);
          return;
        }
      }
    });
    child.once("exit", (code) => reject(new Error(`agent exited ${code}\n${buf}\n${err}`)));
  });
  return { child, seen };
}

describe("the outbox across kill -9", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "roomgate-outbox-e2e-"));
  const children: ChildProcess[] = [];
  let broker: RunningBroker | undefined;
  let cam: UdpCameraHandle | undefined;
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await broker?.close();
    await cam?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("delivers an event raised during a broker outage after the agent was killed and restarted", async () => {
    const port = await freePort();
    broker = await startBroker({ host: "127.0.0.1", port, logger: memoryLogger() });
    cam = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0 });
    const config = path.join(dir, "site.yaml");
    writeFileSync(config, [
      `site: ${SITE}`, "region: [province, district-02]",
      `broker: { url: "mqtt://127.0.0.1:${port}" }`,
      "agent: { pollIntervalMs: 200, logLevel: info }",
      "devices:",
      "  cam:",
      "    kind: camera", "    protocol: visca",
      `    transport: { type: udp, host: 127.0.0.1, port: ${cam.port} }`,
      "    options: { ackTimeoutMs: 300, inquiryTimeoutMs: 300 }",
      "",
    ].join("\n"));
    const state = path.join(dir, "state");

    const first = agentUntil(config, state, (l) => l.msg === "health changed" && l.health?.status === "ok", "health ok");
    children.push(first.child);
    await first.seen;

    // The link to the centre goes down, then the camera goes silent: the agent owes that event.
    await broker.close();
    cam.faults.silent = true;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no unreachable health within 15 s")), 15_000);
      first.child.stdout!.on("data", (d: Buffer) => {
        if (/"msg":"health changed"/.test(d.toString()) && /"status":"unreachable"/.test(d.toString())) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // The event and its log line can fall in the same millisecond as this: `ts <= killedAt` below.
    const killedAt = Date.now();
    const exited = new Promise((resolve) => first.child.once("exit", resolve));
    first.child.kill("SIGKILL");
    await exited;

    // The centre comes back (empty), then the agent is restarted with the same state dir.
    broker = await startBroker({ host: "127.0.0.1", port, logger: memoryLogger() });
    const w = await Watcher.connect(broker.url, `${T}/event`);
    try {
      const second = agentUntil(config, state, (l) => l.msg === "agent started", "start");
      children.push(second.child);
      await second.seen;
      const owed = await w.waitFor(
        (m) => m.json?.type === "health" && m.json.historical === true && m.json.data.status === "unreachable" && m.json.ts <= killedAt,
        15_000,
        "the owed unreachable event",
      );
      expect(owed.json.device).toBe("cam");
      // The new agent's own, live report of the silent camera comes after the history...
      const live = await w.waitFor((m) => m.json?.type === "health" && m.json.historical === undefined && m.json.data.status === "unreachable", 15_000, "live event");
      expect(w.seen.indexOf(live)).toBeGreaterThan(w.seen.indexOf(owed));
      // ...and the owed one arrived exactly once.
      const copies = w.seen.filter((m) => m.json?.type === "health" && m.json.ts === owed.json.ts && m.json.data.status === "unreachable");
      expect(copies).toHaveLength(1);
      second.child.kill("SIGTERM");
    } finally {
      await w.close();
    }
  }, 60_000);
});
