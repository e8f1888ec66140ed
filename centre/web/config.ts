/**
 * The centre file's `web:` section turned into startCentreWeb's options: paths resolved against the
 * centre file, the broker file's users read (roles and sites; its hashes are not used), the logins
 * checked by the broker the centre records from.
 */
import { dirname, resolve } from "node:path";
import type { CentreWeb } from "../../config/centre-web.js";
import { loadBrokerConfig } from "../../config/load.js";
import type { Clock, Logger } from "../../drivers/types.js";
import { mqttLogins } from "./logins.js";
import type { CentreWebOptions } from "./server.js";

export interface WebConfigContext {
  /** The centre file (relative paths are relative to it); undefined: relative to the working directory. */
  file: string | undefined;
  /** The broker the centre records from (centre file's broker.url, or --broker) and its CA. */
  broker: { url: string; ca?: Buffer };
  clock: Clock;
  logger: Logger;
}

export async function webOptionsFromConfig(web: CentreWeb, ctx: WebConfigContext): Promise<Omit<CentreWebOptions, "centre">> {
  const rel = (f: string) => resolve(ctx.file === undefined ? "." : dirname(ctx.file), f);
  const users = web.usersFile === undefined ? undefined : (await loadBrokerConfig(rel(web.usersFile))).users;
  if (web.usersFile === undefined) ctx.logger.warn("web.usersFile is not set: the centre's pages are open to anyone who reaches them (a lab only)");
  return {
    host: web.host,
    port: web.port,
    ...(web.tls ? { tls: { certFile: rel(web.tls.certFile), keyFile: rel(web.tls.keyFile) } } : {}),
    ...(web.mqttUrl === undefined ? {} : { mqttUrl: web.mqttUrl }),
    ...(web.relay ? { relay: { broker: ctx.broker.url, ...(ctx.broker.ca ? { ca: ctx.broker.ca } : {}) } } : {}),
    logins: users === undefined ? undefined : mqttLogins({ url: ctx.broker.url, ...(ctx.broker.ca ? { ca: ctx.broker.ca } : {}), users, clock: ctx.clock, logger: ctx.logger }),
    metrics: web.metrics,
    logger: ctx.logger,
    clock: ctx.clock,
  };
}
