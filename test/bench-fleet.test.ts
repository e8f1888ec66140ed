/**
 * The fleet bench (bench/fleet.ts) in a tiny configuration, as a reader would run it: the compiled
 * bench (dist/, built by `npm test`) against both brokers, each in its own process. Its numbers must
 * be sane (every health message sent in the window counted at the monitor, every command answered,
 * latency percentiles present) and it must leave no process behind.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { describeWith, toolPath } from "./helpers/tools.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bench = path.join(root, "dist/bench/fleet.js");

interface Run {
  broker: { name: string; pid: number };
  connect: { attempted: number; connected: number };
  steady: {
    connectionsHeld: number;
    connectionsExpected: number;
    dropped: number;
    messagesInPerSec: number;
    messagesOutPerSec: number;
    health: { sent: number; received: number; lost: number };
    stateSent: number;
    deliveryMs: { n: number; p50: number; p99: number; max: number };
    commands: { sent: number; received: number; answered: number; roundTripMs: { n: number; p50: number; p99: number } };
    cpu: { brokerPct: number; seconds: number };
    rss: { brokerMaxMb: number; samples: number };
  };
}

interface BenchJson {
  runs: Record<string, Run>;
  params: Record<string, unknown>;
  cpuProfile?: Record<string, { busyPct: number; groups: Array<{ group: string; pct: number }> }>;
}

/** Runs the bench to its exit (it bounds itself: warm-up + duration + drain); resolves with its JSON line. */
function runBench(args: string[]): Promise<{ code: number | null; json: BenchJson; stderr: string }> {
  return new Promise((resolve, reject) => {
    // The bench starts the Mosquitto the registry found (on PATH), not the one at its default path.
    const env = { ...process.env, ROOMGATE_MOSQUITTO: toolPath("mosquitto") };
    const child = spawn(process.execPath, [bench, ...args], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      const line = stdout.trim().split("\n").at(-1) ?? "";
      try {
        resolve({ code, json: JSON.parse(line) as BenchJson, stderr });
      } catch (err) {
        reject(new Error(`no JSON line from the bench (exit ${code}): ${(err as Error).message}\nstdout: ${stdout}\nstderr: ${stderr}`));
      }
    });
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
};

describeWith("mosquitto")("bench/fleet, tiny", () => {
  const profiles = mkdtempSync(path.join(tmpdir(), "roomgate-fleet-prof-"));
  it("counts every message it sends, answers every command, and leaves no process behind", async () => {
    // 5 agents x 2 devices, health and state every second, 10 commands/s: 10 health messages a second.
    const { code, json, stderr } = await runBench([
      "--agents", "5", "--devices", "2", "--health-s", "1", "--state-s", "1", "--commands", "10", "--operators", "2",
      "--warmup", "1", "--duration", "3", "--drain", "1", "--kdf", "light", "--workers", "2", "--broker", "both", "--json-only",
      "--cpu-profile", profiles,
    ]);
    expect(code, stderr).toBe(0);
    expect(Object.keys(json.runs)).toEqual(["aedes", "mosquitto"]);
    // The aedes broker's window, profiled (Mosquitto is not Node): a file, and its summary by package.
    expect(readdirSync(profiles)).toEqual([expect.stringMatching(/^aedes-\d+\.cpuprofile$/)]);
    // Which packages the samples land in depends on sampling (a tiny load gives the profiler few busy
    // samples); that every busy sample is charged to one group, and the groups add up, does not.
    const groups = json.cpuProfile?.aedes?.groups ?? [];
    expect(groups.length).toBeGreaterThan(0);
    const total = groups.reduce((a, g) => a + g.pct, 0); // each rounded to 0.1 %
    expect(total).toBeGreaterThan(98);
    expect(total).toBeLessThan(102);
    expect(json.cpuProfile!.aedes!.busyPct).toBeGreaterThan(0);
    rmSync(profiles, { recursive: true, force: true });
    for (const r of Object.values(json.runs)) {
      const s = r.steady;
      expect(r.connect.connected).toBe(5);
      expect(s.connectionsHeld).toBe(s.connectionsExpected); // 5 agents + monitor + 2 operators
      expect(s.connectionsExpected).toBe(8);
      expect(s.dropped).toBe(0);
      // 3 s x 10 health/s = 30. Messages count by when they were sent, so on a loaded machine a tick
      // late at one edge of the window and on time at the other moves a slot or two across it (32 state
      // messages were seen in a full run); what must hold exactly is that the monitor got every one.
      expect(s.health.sent).toBeGreaterThanOrEqual(27);
      expect(s.health.sent).toBeLessThanOrEqual(33);
      expect(s.health.received).toBe(s.health.sent);
      expect(s.stateSent).toBeGreaterThanOrEqual(27);
      expect(s.stateSent).toBeLessThanOrEqual(33);
      expect(s.deliveryMs.n).toBe(s.health.received);
      for (const v of [s.deliveryMs.p50, s.deliveryMs.p99, s.deliveryMs.max]) expect(v).toBeGreaterThan(0);
      expect(s.deliveryMs.p50).toBeLessThanOrEqual(s.deliveryMs.p99);
      // 3 s x 10 commands/s
      expect(s.commands.sent).toBeGreaterThanOrEqual(27);
      expect(s.commands.sent).toBeLessThanOrEqual(33);
      expect(s.commands.answered).toBe(s.commands.sent);
      expect(s.commands.roundTripMs.n).toBe(s.commands.answered);
      expect(s.commands.roundTripMs.p99).toBeGreaterThan(0);
      // in: health + state + commands + (response, audit event, state) per command; out: health, commands, responses
      expect(s.messagesInPerSec).toBeGreaterThan(40);
      expect(s.messagesOutPerSec).toBeGreaterThan(25);
      // The CPU figures cover the time between two /proc snapshots taken when the bench wakes at the
      // window's edges: about the 3 s window, less a late wake-up on a loaded machine (2.86 s was seen).
      expect(s.cpu.seconds).toBeGreaterThan(2.5);
      expect(s.cpu.seconds).toBeLessThan(3.5);
      expect(s.cpu.brokerPct).toBeGreaterThanOrEqual(0);
      expect(s.rss.samples).toBeGreaterThan(0);
      expect(s.rss.brokerMaxMb).toBeGreaterThan(1);
      expect(alive(r.broker.pid)).toBe(false);
    }
  }, 90_000);
});
