/**
 * The demo's centre in a worker thread of the demo's process (cli/demo-centre.ts starts it): PGlite
 * runs WebAssembly on the thread that calls it, and its first start (initdb) takes seconds of CPU,
 * which on the demo's own thread would stall the broker, the agent and the simulators meanwhile.
 * Its web pages (the console with History and Availability) are served from here too, beside the
 * record they read, so their queries never hold up the demo's thread either.
 */
import { parentPort, workerData } from "node:worker_threads";
import { createLogger, type LogLevel } from "../agent/logger.js";
import { startCentre, type RunningCentre } from "../centre/centre.js";
import { mqttLogins } from "../centre/web/logins.js";
import { startCentreWeb, type RunningCentreWeb } from "../centre/web/server.js";
import { centreRetentionSchema } from "../config/centre.js";
import { systemClock } from "../drivers/clock.js";
import type { DemoCentreSetup, FromDemoCentre, ToDemoCentre } from "./demo-centre.js";

const setup = workerData as DemoCentreSetup;
const port = parentPort!;
let centre: RunningCentre | undefined;
let web: RunningCentreWeb | undefined;

port.on("message", (m: ToDemoCentre) => {
  if (m.type !== "stop") return;
  void (async () => {
    await web?.close();
    await centre?.stop();
    port.postMessage({ type: "stopped" } satisfies FromDemoCentre);
    port.close();
  })();
});

try {
  const logger = createLogger({ level: setup.logLevel as LogLevel, name: "roomgate-demo-centre", destination: 2 });
  centre = await startCentre({
    stateDir: setup.stateDir, database: { type: "pglite" }, retention: centreRetentionSchema.parse({}),
    // No user name: the demo broker lets anonymous clients read everything (with --users too).
    broker: { url: setup.brokerUrl, clientId: "roomgate-demo-centre" },
    logger, clock: systemClock, version: setup.version,
  });
  if (setup.web) {
    const { host, port: webPort, mqttUrl, users } = setup.web;
    // Its port was free at the demo's preflight (or is any free one): if it is taken now, the record goes on without its pages.
    web = await startCentreWeb({
      host, port: webPort, ...(mqttUrl === undefined ? { relay: { broker: setup.brokerUrl } } : { mqttUrl }),
      logins: users === undefined ? undefined : mqttLogins({ url: setup.brokerUrl, users, clock: systemClock, logger }),
      centre, logger, clock: systemClock,
    }).catch((err: unknown) => {
      logger.error({ err: (err as Error).message, port: webPort }, "the centre's web pages could not start: roomgate history still answers");
      return undefined;
    });
  }
  if (setup.reportCommits) {
    centre.recorder.onCommit((msgs) => port.postMessage({ type: "commit", msgs: msgs.map((x) => ({ topic: x.topic, payload: x.payload.toString("utf8") })) } satisfies FromDemoCentre));
  }
  port.postMessage({ type: "up", dir: centre.dir, ...(web ? { consoleUrl: web.consoleUrl } : {}) } satisfies FromDemoCentre);
} catch (err) {
  port.postMessage({ type: "failed", message: (err as Error).message } satisfies FromDemoCentre);
  port.close();
}
