import { startBroker } from "../broker/server.js";
import { loadBrokerConfig } from "../config/load.js";
import { createLogger } from "../agent/logger.js";
import { parse, portArg, untilSignal } from "./args.js";

export async function brokerCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { port: { type: "string" }, host: { type: "string" }, config: { type: "string" } });
  const file = values.config ? await loadBrokerConfig(values.config) : undefined;
  const logger = createLogger({ level: file?.logLevel ?? "info", name: "roomgate-broker" });
  const tcp = file?.listeners.tcp;
  const broker = await startBroker({
    host: values.host ?? tcp?.host ?? "0.0.0.0",
    port: portArg(values.port, tcp?.port ?? 1883),
    logger,
  });
  await untilSignal();
  await broker.close();
  return 0;
}
