/**
 * A throw-away redis-server for the cluster tests (Debian's redis-server): loopback only, a free
 * port, no persistence. Ready when it says so on stdout (bounded wait); stopped with SIGTERM. The
 * binary is the one on PATH (test/helpers/tools.ts): gate tests with describeWith("redis-server").
 */
import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "./net.js";
import { toolPath } from "./tools.js";

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** `port`: restart one on the port an earlier one had (outage tests). */
export async function startRedis(port?: number): Promise<RedisServer> {
  const redisServer = toolPath("redis-server");
  port ??= await freePort();
  const child: ChildProcess = spawn(redisServer, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${out}`)), 10_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}) before it was ready:\n${out}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
