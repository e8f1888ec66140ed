import readline from "node:readline";
import { loadSiteConfig } from "../config/load.js";
import { createLogger } from "../agent/logger.js";
import { startSiteSimulators } from "../simulators/site.js";
import { untilSignal } from "./args.js";
import { parseCommand } from "./spec.js";
import { simSpec } from "./specs/site.js";

export async function simCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(simSpec, argv);
  const config = await loadSiteConfig(values.config);
  const logger = createLogger({ level: "info", name: "roomgate-sim", destination: 2 });
  const sims = await startSiteSimulators(config, logger);
  process.stdout.write(`${await sims.control("status")}\ntype "help" for fault controls; Ctrl-C stops\n`);
  // Fault controls on stdin, when there is one (not under CI or a service manager).
  let rl: readline.Interface | undefined;
  if (process.stdin.isTTY || process.env.ROOMGATE_SIM_STDIN === "1") {
    rl = readline.createInterface({ input: process.stdin });
    rl.on("line", (line) => {
      void sims.control(line).then((answer) => process.stdout.write(`${answer}\n`));
    });
  }
  await untilSignal();
  rl?.close();
  await sims.close();
  return 0;
}
