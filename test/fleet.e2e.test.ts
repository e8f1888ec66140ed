/**
 * The operators' board (issue 10): three sites on one real broker. One is ready, one has a dead
 * conference-bridge link, one agent has gone (its retained agent/state says offline). `roomgate
 * fleet check --all` finds all three from the retained agent topics, asks each, waits until its
 * deadline, and prints one board with the site that did not answer marked.
 */
import { execFile } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { Agent } from "../agent/agent.js";
import { siteConfigSchema } from "../config/site.js";
import { startHostSimulator } from "../simulators/host.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";

const root = fileURLToPath(new URL("..", import.meta.url));
let broker: RunningBroker;
let bridge: Awaited<ReturnType<typeof startHostSimulator>>;
let deadPort: number;
const agents: Agent[] = [];

function roomgate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, ROOMGATE_BROKER: broker.url, ROOMGATE_USER: "op-centre", NO_COLOR: "1" };
    execFile(process.execPath, [path.join(root, "dist/cli/main.js"), ...args], { cwd: root, env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

function site(id: string, bridgePort: number) {
  return siteConfigSchema.parse({
    site: id,
    broker: { url: broker.url },
    rooms: { hall: { profile: { hosts: { bridge: { host: "127.0.0.1", port: bridgePort, count: 1, timeoutMs: 500 } } } } },
  });
}

beforeAll(async () => {
  const logger = memoryLogger();
  broker = await startBroker({ host: "127.0.0.1", port: 0, logger });
  bridge = await startHostSimulator("127.0.0.1", 0);
  deadPort = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const watch = await Watcher.connect(broker.url, "roomgate/v1/+/agent/state");
  for (const [id, port] of [["commune-a", bridge.port], ["commune-b", deadPort], ["commune-c", bridge.port]] as const) {
    const a = new Agent({ config: site(id, port), logger, version: "0.0.0-test", bootSeq: 1, mqttBackoff: { initialMs: 50, maxMs: 300 } });
    await a.start();
    await watch.waitFor((m) => m.topic === `roomgate/v1/${id}/agent/state` && m.json.state === "online", 5000, `${id} online`);
    agents.push(a);
  }
  // commune-c's gateway goes away: a clean stop leaves agent/state "offline" retained.
  await agents.pop()!.stop();
  await watch.waitFor((m) => m.topic === "roomgate/v1/commune-c/agent/state" && m.json.state === "offline", 5000, "commune-c offline");
  await watch.close();
}, 30_000);

afterAll(async () => {
  for (const a of agents) await a.stop();
  await bridge?.close();
  await broker?.close();
});

describe("roomgate fleet check", () => {
  it("--all --json: every site from the retained agent topics; the one that did not answer is marked", async () => {
    const run = await roomgate(["fleet", "check", "--all", "--json", "--deadline", "3000"]);
    const board = JSON.parse(run.stdout);
    expect(board.sites).toEqual([
      { site: "commune-a", overall: "pass", failing: [] },
      { site: "commune-b", overall: "fail", failing: ["bridge.rtt (unreachable)"] },
      { site: "commune-c", overall: "no answer", failing: [], note: "agent offline" },
    ]);
    expect(run.code).toBe(1);
  });

  it("prints the board as a table for people; --sites asks only those", async () => {
    const run = await roomgate(["fleet", "check", "--sites", "commune-a,commune-b", "--deadline", "3000"]);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^SITE +OVERALL +FAILING$/);
    expect(lines[1]).toMatch(/^commune-a +PASS +-$/);
    expect(lines[2]).toMatch(/^commune-b +FAIL +bridge\.rtt \(unreachable\)$/);
    expect(run.stdout).toContain("2 sites: 1 pass, 0 warn, 1 fail, 0 without a report");
    expect(run.stdout).not.toContain("commune-c");
  });
});
