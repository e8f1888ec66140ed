/**
 * The demo's centre in a worker thread of the demo's process (cli/demo-centre.ts starts it): PGlite
 * runs WebAssembly on the thread that calls it, and its first start (initdb) takes seconds of CPU,
 * which on the demo's own thread would stall the broker, the agent and the simulators meanwhile.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createLogger, type LogLevel } from "../agent/logger.js";
import { startCentre, type RunningCentre } from "../centre/centre.js";
import { centreRetentionSchema } from "../config/centre.js";
import { systemClock } from "../drivers/clock.js";
import type { DemoCentreSetup, FromDemoCentre, ToDemoCentre } from "./demo-centre.js";

const setup = workerData as DemoCentreSetup;
const port = parentPort!;
let centre: RunningCentre | undefined;

port.on("message", (m: ToDemoCentre) => {
  if (m.type !== "stop") return;
  void (async () => {
    await centre?.stop();
    port.postMessage({ type: "stopped" } satisfies FromDemoCentre);
    port.close();
  })();
});

try {
  centre = await startCentre({
    stateDir: setup.stateDir, database: { type: "pglite" }, retention: centreRetentionSchema.parse({}),
    // No user name: the demo broker lets anonymous clients read everything (with --users too).
    broker: { url: setup.brokerUrl, clientId: "roomgate-demo-centre" },
    logger: createLogger({ level: setup.logLevel as LogLevel, name: "roomgate-demo-centre", destination: 2 }),
    clock: systemClock, version: setup.version,
  });
  if (setup.reportCommits) {
    centre.recorder.onCommit((msgs) => port.postMessage({ type: "commit", msgs: msgs.map((x) => ({ topic: x.topic, payload: x.payload.toString("utf8") })) } satisfies FromDemoCentre));
  }
  port.postMessage({ type: "up", dir: centre.dir } satisfies FromDemoCentre);
} catch (err) {
  port.postMessage({ type: "failed", message: (err as Error).message } satisfies FromDemoCentre);
  port.close();
}
