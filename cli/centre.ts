/**
 * `roomgate centre`: the recorder at the provincial centre (centre/centre.ts), from a centre file
 * (config/centre.ts) and flags that override it. Its options: cli/specs/centre.ts.
 */
import { readFile } from "node:fs/promises";
import { createLogger } from "../agent/logger.js";
import { startCentre } from "../centre/centre.js";
import { webOptionsFromConfig } from "../centre/web/config.js";
import { startCentreWeb, type RunningCentreWeb } from "../centre/web/server.js";
import { centreConfigSchema, type CentreDatabase } from "../config/centre.js";
import { loadCentreConfig, type LoadedCentreConfig } from "../config/load.js";
import { systemClock } from "../drivers/clock.js";
import { defaultStateDir } from "./agent.js";
import { untilSignal, UsageError } from "./args.js";
import { parseCommand } from "./spec.js";
import { centreSpec } from "./specs/centre.js";
import { packageVersion } from "./version.js";

/** `--database URL` as the file's database setting (a password in it is refused, as in the file). */
export function databaseArg(url: string | undefined, file: CentreDatabase): CentreDatabase {
  if (url === undefined) return file;
  const parsed = centreConfigSchema.shape.database.safeParse({ type: "postgres", url });
  if (!parsed.success) throw new UsageError(`--database: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  return parsed.data;
}

export async function centreCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(centreSpec, argv);
  const file: LoadedCentreConfig = values.config !== undefined ? await loadCentreConfig(values.config) : { ...centreConfigSchema.parse({}), secrets: {} };
  const database = databaseArg(values.database, file.database);
  let password = file.secrets.brokerPassword;
  if (values["password-file"] !== undefined) {
    try {
      password = (await readFile(values["password-file"], "utf8")).replace(/\r?\n$/, "");
    } catch (err) {
      throw new UsageError(`--password-file ${values["password-file"]}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  const stateDir = values["state-dir"] ?? file.stateDir ?? defaultStateDir();
  const logger = createLogger({ level: file.logLevel, name: "roomgate-centre" });
  const brokerUrl = values.broker ?? file.broker.url;
  const centre = await startCentre({
    stateDir,
    database,
    ...(file.secrets.databasePassword === undefined ? {} : { databasePassword: file.secrets.databasePassword }),
    broker: {
      url: brokerUrl,
      username: values.user ?? file.broker.user,
      ...(password === undefined ? {} : { password }),
      ...(file.secrets.brokerCa === undefined ? {} : { ca: file.secrets.brokerCa }),
      ...(file.broker.clientId === undefined ? {} : { clientId: file.broker.clientId }),
      keepaliveSec: file.broker.keepaliveSec,
    },
    retention: file.retention,
    ...(file.syslog === undefined ? {} : { syslog: file.syslog }),
    batchSize: file.batchSize,
    maxBacklog: file.maxBacklog,
    healthRefreshMs: file.healthRefreshSec * 1000,
    logger,
    clock: systemClock,
    version: packageVersion(),
  });
  // The web pages (centre/web), once the record is open: they read it and check logins with the broker it records from.
  let web: RunningCentreWeb | undefined;
  if (file.web !== undefined) {
    try {
      const ctx = { file: values.config, broker: { url: brokerUrl, ...(file.secrets.brokerCa === undefined ? {} : { ca: file.secrets.brokerCa }) }, clock: systemClock, logger };
      web = await startCentreWeb({ ...(await webOptionsFromConfig(file.web, ctx)), centre });
    } catch (err) {
      await centre.stop();
      throw err;
    }
  }
  process.stderr.write(`roomgate centre: recording from ${brokerUrl} into ${centre.db.where}; local API ${centre.api.socketPath}\n`);
  if (web !== undefined) process.stderr.write(`roomgate centre: console, history pages and /metrics at ${web.consoleUrl}\n`);
  await untilSignal();
  await web?.close();
  await centre.stop();
  return 0;
}
