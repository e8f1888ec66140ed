/**
 * `roomgate reflector` as the centre runs it: the compiled CLI in its own process, probed by the
 * site's link driver over real UDP, sent a malformed packet, and stopped with SIGINT (exit 0, a last
 * summary that counts what it saw). Every wait is on the process's output or a driver event, bounded.
 */
import { spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startDriver, type DriverFixture } from "../drivers/conformance.js";
import { StampDriver, type StampState } from "../drivers/stamp/driver.js";
import { within } from "./helpers/within.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "dist/cli/main.js");

interface Running {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

/** Starts the reflector on a free port; resolves with the port it printed. */
async function startReflectorProcess(args: string[]): Promise<Running & { port: number }> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [cli, "reflector", ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const port = await within(
    new Promise<number>((resolve, reject) => {
      child.stderr!.on("data", (d: Buffer) => {
        err += d.toString();
        const m = /on udp 127\.0\.0\.1:(\d+)/.exec(err);
        if (m) resolve(Number(m[1]));
      });
      void exited.then((code) => reject(new Error(`reflector exited ${code}: ${err}`)));
    }),
    15_000,
    "the reflector's start line",
  );
  return { child, port, exited, out: () => out, err: () => err };
}

describe("roomgate reflector", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("answers a real sender, counts a malformed packet, and stops cleanly on SIGINT with a summary", async () => {
    const r = await startReflectorProcess(["--port", "0", "--host", "127.0.0.1", "--allow", "127.0.0.0/8", "--summary-ms", "0"]);
    cleanups.push(async () => {
      if (r.child.exitCode === null) r.child.kill("SIGKILL");
      await r.exited;
    });
    expect(r.err()).toContain("answering from 127.0.0.0/8; Ctrl-C stops it");

    const fixture = {
      transport: { type: "udp", host: "127.0.0.1", port: r.port },
      options: { intervalMs: 20, windowMs: 2000, timeoutMs: 500, minProbes: 10, reportMs: 0 },
      createDriver: () => new StampDriver(),
    } as unknown as DriverFixture;
    const { driver } = await startDriver(fixture);
    cleanups.push(() => driver.stop());
    expect(driver.health.status).toBe("ok");
    const state = await within(
      new Promise<StampState>((resolve) => {
        const on = (s: Record<string, unknown>): void => {
          if ((s as StampState).repliesReceived < 20) return;
          driver.off("state", on);
          resolve(s as StampState);
        };
        driver.on("state", on);
      }),
      8000,
      "20 replies",
    );
    expect(state).toMatchObject({ lossPct: 0, duplicates: 0, malformed: 0, strangers: 0, quality: "ok" });
    expect(state.rttMs!.p50).toBeLessThan(20);

    // A malformed packet, then a good one from the same socket: once that one is answered, the
    // reflector has counted the first (one socket, in order), before any SIGINT can overtake it.
    const junk = dgram.createSocket("udp4");
    const answered = new Promise<Buffer>((resolve) => junk.once("message", resolve));
    junk.send(Buffer.from("not a probe"), r.port, "127.0.0.1");
    junk.send(Buffer.alloc(44), r.port, "127.0.0.1");
    expect((await within(answered, 5000, "the good packet's reply")).length).toBe(44);
    await new Promise<void>((resolve) => junk.close(() => resolve()));
    await driver.stop();

    r.child.kill("SIGINT");
    expect(await within(r.exited, 10_000, "the reflector's exit")).toBe(0);
    const stopped = /stopped; (\d+) answered, (\d+) malformed, (\d+) refused, (\d+) send errors/.exec(r.err());
    expect(stopped, r.err()).not.toBeNull();
    expect(Number(stopped![1])).toBeGreaterThanOrEqual(20);
    expect(stopped!.slice(2).map(Number)).toEqual([1, 0, 0]);
    const summary = r.out().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { msg?: string; total?: Record<string, number> }).find((l) => l.msg === "reflector summary");
    expect(summary?.total).toMatchObject({ malformed: 1, refused: 0 });
  });

  it("says why it cannot listen on a taken port, and exits 1", async () => {
    const taken = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => taken.bind(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = taken.address().port;
    const child = spawn(process.execPath, [cli, "reflector", "--port", String(port), "--host", "127.0.0.1"], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const code = await within(new Promise<number | null>((resolve) => child.once("exit", resolve)), 15_000, "the reflector's exit");
    expect(code).toBe(1);
    expect(err).toContain(`cannot listen on udp 127.0.0.1:${port}: UDP port ${port} is taken (another reflector?): choose another with --port`);
  });
});
