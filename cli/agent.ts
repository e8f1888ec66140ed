import { loadSiteConfig } from "../config/load-site.js";
import { createLogger } from "../agent/logger.js";
import { Agent } from "../agent/agent.js";
import { checkDevices } from "../agent/drivers.js";
import { nextBootSeq } from "../agent/boot-seq.js";
import { prepareStateDir } from "../agent/state-format.js";
import { lockStateDir } from "../agent/state-lock.js";
import { Watchdog } from "../agent/watchdog.js";
import { HeapTrim } from "../agent/heap-trim.js";
import { systemClock } from "../drivers/clock.js";
import { packageVersion } from "./version.js";
import { untilSignal } from "./args.js";
import { parseCommand } from "./spec.js";
import { agentSpec } from "./specs/site.js";

export function defaultStateDir(): string {
  return process.env.ROOMGATE_STATE_DIR ?? ".roomgate";
}

export async function agentCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(agentSpec, argv);
  const config = await loadSiteConfig(values.config);
  await checkDevices(config, values.config);
  const logger = createLogger({ level: config.agent.logLevel, name: "roomgate-agent" });
  const stateDir = values["state-dir"] ?? defaultStateDir();
  // Before anything reads it: an upgrade may have left an older layout (agent/state-format.ts).
  await prepareStateDir(stateDir, logger);
  // One agent per site and state directory: a second one would share the outbox (agent/state-lock.ts).
  const lock = lockStateDir(stateDir, config.site, "stop it first (systemctl stop roomgate-agent), or give this one its own --state-dir");
  process.once("exit", () => lock.release());
  const bootSeq = await nextBootSeq(stateDir, config.site);
  const opts: ConstructorParameters<typeof Agent>[0] = { config, logger, version: packageVersion(), bootSeq, stateDir };
  if (values.broker) opts.brokerUrl = values.broker;
  // The last net: one device's bug must not take the site down. Logged with its stack, never silent.
  process.on("unhandledRejection", (reason) => {
    logger.error({ err: reason instanceof Error ? reason.stack : String(reason) }, "unhandled rejection");
  });
  const agent = new Agent(opts);
  // Fed from the event loop from now on: a stuck loop is restarted by systemd (WatchdogSec in the unit).
  const watchdog = new Watchdog({ env: process.env, pid: process.pid, clock: systemClock, logger });
  watchdog.start();
  // The gateway's flags give the agent V8's gc (cli/node-flags.ts): agent/heap-trim.ts says why it uses it.
  const trim = new HeapTrim({ clock: systemClock, logger });
  trim.start();
  await agent.start();
  await untilSignal();
  trim.stop();
  watchdog.stop();
  await agent.stop();
  lock.release();
  return 0;
}
