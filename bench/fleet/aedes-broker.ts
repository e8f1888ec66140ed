/**
 * The aedes broker under test, in its own process (so its CPU and RSS are its own in /proc):
 * `node dist/bench/fleet/aedes-broker.js --config FILE [--data-dir DIR]`. It loads the broker file
 * with the production loader and starts broker/server.ts with those users, roles and ACLs, auth on,
 * exactly as `roomgate broker --config FILE` does, on 127.0.0.1 and a free port.
 *
 * It exits when its stdin closes (the bench died) as well as on SIGTERM, so it never outlives the bench.
 * Lines on its stdin ask it for figures, each answered with one log line carrying the same `id`:
 * `stats ID` (process.memoryUsage() and the store's counters), `heap ID FILE` (a V8 heap
 * snapshot written to FILE, which stops the process for as long as that takes), and
 * `profile-start ID` / `profile-stop ID FILE` (a CPU profile of what ran in between, written to FILE
 * as a .cpuprofile: the bench brackets its measured window with them).
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import { createLogger } from "../../agent/logger.js";
import { startBroker, type BrokerOptions, type RunningBroker } from "../../broker/server.js";
import type { BrokerConfig } from "../../config/broker.js";
import { loadBrokerConfig } from "../../config/load.js";
import type { Logger } from "../../drivers/types.js";

/**
 * The options a real deployment passes (cli/broker.ts): the file's users, roles, ACLs and limits,
 * and its store: on disk (LevelDB, the default of `roomgate broker`) in `dataDir`, or in memory when
 * the bench runs without a data dir (as Mosquitto then runs with `persistence false`).
 */
export async function startAedesForBench(config: BrokerConfig, opts: { port: number; dataDir?: string | undefined }, logger: Logger): Promise<RunningBroker> {
  const options: BrokerOptions = {
    host: "127.0.0.1",
    port: opts.port,
    logger,
    auth: { users: config.users ?? {}, anonymous: config.anonymous === true },
    limits: config.limits,
    persistence: opts.dataDir !== undefined ? { type: "level", dir: opts.dataDir } : { type: "memory" },
  };
  return startBroker(options);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: "string" }, "data-dir": { type: "string" } }, strict: true });
  if (values.config === undefined) throw new Error("usage: aedes-broker.js --config FILE [--data-dir DIR]");
  const config = await loadBrokerConfig(values.config);
  const logger = createLogger({ level: config.logLevel, name: "bench-aedes" });
  const broker = await startAedesForBench(config, { port: 0, dataDir: values["data-dir"] }, logger);
  let closing = false;
  const close = (code: number) => {
    if (closing) return;
    closing = true;
    broker.close().then(
      () => process.exit(code),
      (err: unknown) => {
        process.stderr.write(`aedes-broker: close failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => close(0));
  process.on("SIGINT", () => close(0));
  process.stdin.on("end", () => close(0));
  process.stdin.on("close", () => close(0));
  let profiler: Session | undefined;
  const answer = (id: string | undefined, msg: string) => logger.info({ id, memory: process.memoryUsage(), store: broker.storeStats() }, msg);
  createInterface({ input: process.stdin }).on("line", (line) => {
    const [what, id, file] = line.trim().split(" ");
    if (what === "heap" && file !== undefined) v8.writeHeapSnapshot(file);
    if (what === "stats" || what === "heap") answer(id, what === "heap" ? "heap snapshot written" : "stats");
    if (what === "profile-start") {
      profiler = new Session();
      profiler.connect();
      // 1 ms samples (V8's default): enough for a 60 s window, light enough not to move the figures much.
      void profiler.post("Profiler.enable").then(() => profiler!.post("Profiler.start")).then(() => answer(id, "profiling"));
    }
    if (what === "profile-stop" && file !== undefined && profiler !== undefined) {
      const session = profiler;
      profiler = undefined;
      void session.post("Profiler.stop").then(({ profile }) => {
        session.disconnect();
        writeFileSync(file, JSON.stringify(profile));
        answer(id, "profile written");
      });
    }
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`aedes-broker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
