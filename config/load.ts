/**
 * Loading the site and broker files: YAML -> zod -> typed config, or a ConfigError (code `bad_config`)
 * whose message names the file, the dotted path, what was expected and the line. The site file's
 * half is config/load-site.ts (what the agent loads).
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { brokerConfigSchema, type BrokerConfig } from "./broker.js";
import { centreConfigSchema, type CentreConfig } from "./centre.js";
import { ConfigError } from "./issues.js";
import { errCode, parseWith, readText } from "./load-site.js";
import { resolveSyslogPaths } from "./syslog.js";

export * from "./load-site.js";
export { brokerJsonSchema, centreJsonSchema, siteJsonSchema } from "./json-schema.js";

export function parseBrokerConfig(text: string, fileName: string): BrokerConfig {
  return parseWith(brokerConfigSchema, text, fileName);
}

export function parseCentreConfig(text: string, fileName: string): CentreConfig {
  return parseWith(centreConfigSchema, text, fileName);
}

/** A centre file with its secrets read: what `roomgate centre` runs with. */
export interface LoadedCentreConfig extends CentreConfig {
  /** Absolute; the file's stateDir resolved against it, else undefined (the caller's default applies). */
  stateDir?: string;
  secrets: { brokerPassword?: string; brokerCa?: Buffer; databasePassword?: string };
}

/**
 * Reads and validates a centre file: paths resolved relative to it, the broker's and the database's
 * password files read (a trailing newline dropped), the broker's CA read. Each failure names the key.
 */
export async function loadCentreConfig(path: string): Promise<LoadedCentreConfig> {
  const config = parseCentreConfig(await readText(path), path);
  const rel = (file: string) => resolve(dirname(path), file);
  const secrets: LoadedCentreConfig["secrets"] = {};
  const read = async (key: string, file: string): Promise<Buffer> => {
    try {
      return await readFile(rel(file));
    } catch (err) {
      throw new ConfigError(path, [{ path: key, message: `cannot read ${rel(file)} (${errCode(err)})` }]);
    }
  };
  const password = async (key: string, file: string): Promise<string> => {
    const text = (await read(key, file)).toString("utf8").replace(/\r?\n$/, "");
    if (text === "") throw new ConfigError(path, [{ path: key, message: `${rel(file)} is empty` }]);
    return text;
  };
  if (config.broker.passwordFile !== undefined) secrets.brokerPassword = await password("broker.passwordFile", config.broker.passwordFile);
  if (config.broker.caFile !== undefined) secrets.brokerCa = await read("broker.caFile", config.broker.caFile);
  if (config.database.type === "postgres" && config.database.passwordFile !== undefined) {
    secrets.databasePassword = await password("database.passwordFile", config.database.passwordFile);
  }
  const { stateDir, syslog, ...rest } = config;
  return {
    ...rest,
    ...(stateDir === undefined ? {} : { stateDir: rel(stateDir) }),
    // The collectors' TLS files, relative to the centre file like every other path in it.
    ...(syslog === undefined ? {} : { syslog: resolveSyslogPaths(syslog, dirname(path)) }),
    secrets,
  };
}

/**
 * Reads and validates a broker file. Certificate, key and store paths are resolved relative to the
 * broker file (the result carries absolute paths); the files themselves are read by the broker.
 */
export async function loadBrokerConfig(path: string): Promise<BrokerConfig> {
  const config = parseBrokerConfig(await readText(path), path);
  const rel = (file: string) => resolve(dirname(path), file);
  const { tls, http } = config.listeners;
  const persistence = config.persistence.type === "level" && config.persistence.dir !== undefined ? { ...config.persistence, dir: rel(config.persistence.dir) } : config.persistence;
  return {
    ...config,
    listeners: {
      ...config.listeners,
      ...(tls ? { tls: { ...tls, certFile: rel(tls.certFile), keyFile: rel(tls.keyFile), ...(tls.caFile ? { caFile: rel(tls.caFile) } : {}) } } : {}),
      ...(http ? { http: { ...http, ...(http.tls ? { tls: { certFile: rel(http.tls.certFile), keyFile: rel(http.tls.keyFile) } } : {}) } } : {}),
    },
    persistence,
  };
}
