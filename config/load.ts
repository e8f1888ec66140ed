/**
 * Loading the site and broker files: YAML -> zod -> typed config, or a ConfigError (code `bad_config`)
 * whose message names the file, the dotted path, what was expected and the line. The site file's
 * half is config/load-site.ts (what the agent loads).
 */
import { dirname, resolve } from "node:path";
import { brokerConfigSchema, type BrokerConfig } from "./broker.js";
import { parseWith, readText } from "./load-site.js";

export * from "./load-site.js";
export { brokerJsonSchema, siteJsonSchema } from "./json-schema.js";

export function parseBrokerConfig(text: string, fileName: string): BrokerConfig {
  return parseWith(brokerConfigSchema, text, fileName);
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
