/**
 * Loading the site file: YAML -> zod -> typed config, or a ConfigError (code `bad_config`) whose
 * message names the file, the dotted path, what was expected and the line. config/load.ts adds the
 * broker's file; the agent imports this module alone, so it does not hold the broker file's zod
 * schemas in memory (docs/performance.md).
 */
import { constants } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from "yaml";
import type { z } from "zod";
import { ConfigError, configErrorMap, secretMasker, zodIssuesToConfigIssues, type ConfigIssue } from "./issues.js";
import { siteConfigSchema, type SiteConfig } from "./site.js";

export { ConfigError, type ConfigIssue } from "./issues.js";

/**
 * Parses and validates a site file's text. Pure: `passwordFile` is checked but not read
 * (loadSiteConfig reads it). `fileName` only labels messages.
 */
export function parseSiteConfig(text: string, fileName: string): SiteConfig {
  return parseWith(siteConfigSchema, text, fileName);
}

/**
 * Reads and validates a site file. `broker.passwordFile` is resolved relative to the site file and
 * read: the result carries `broker.password` and the absolute `broker.passwordFile`.
 */
export async function loadSiteConfig(path: string): Promise<SiteConfig> {
  const config = await withBrokerTlsPaths(withDeviceSecretPaths(parseSiteConfig(await readText(path), path), path), path);
  const { passwordFile } = config.broker;
  if (passwordFile === undefined) return config;
  const absolute = resolve(dirname(path), passwordFile);
  let secret: string;
  try {
    secret = await readFile(absolute, "utf8");
  } catch (err) {
    throw new ConfigError(path, [{ path: "broker.passwordFile", message: `cannot read ${absolute} (${errCode(err)})` }]);
  }
  // A trailing newline is an editor's, not part of the password.
  const password = secret.replace(/\r?\n$/, "");
  if (password === "") {
    throw new ConfigError(path, [{ path: "broker.passwordFile", message: `${absolute} is empty` }]);
  }
  return { ...config, broker: { ...config.broker, password, passwordFile: absolute } };
}

/**
 * `broker.tls` files are written relative to the site file; the session reads them at every connect,
 * so hand it absolute paths, and refuse now (naming the key) a file it could never read.
 */
async function withBrokerTlsPaths(config: SiteConfig, sitePath: string): Promise<SiteConfig> {
  const tls = config.broker.tls;
  if (tls === undefined) return config;
  const out: NonNullable<SiteConfig["broker"]["tls"]> = {};
  for (const key of ["caFile", "certFile", "keyFile"] as const) {
    const file = tls[key];
    if (file === undefined) continue;
    const absolute = resolve(dirname(sitePath), file);
    try {
      await access(absolute, constants.R_OK);
    } catch (err) {
      throw new ConfigError(sitePath, [{ path: `broker.tls.${key}`, message: `cannot read ${absolute} (${errCode(err)})` }]);
    }
    out[key] = absolute;
  }
  return { ...config, broker: { ...config.broker, tls: out } };
}

/**
 * A device's `options.passwordFile` (ONVIF cameras, ...), its SNMP secret files (`communityFile`,
 * `authKeyFile`, `privKeyFile`, `trapCommunityFile`) and `transport.passwordFile` (SSH) are
 * written relative to the site file, like the broker's; the driver or transport reads them, so hand
 * them the absolute path.
 */
function withDeviceSecretPaths(config: SiteConfig, sitePath: string): SiteConfig {
  const absolute = (file: unknown): string | undefined => (typeof file !== "string" || isAbsolute(file) ? undefined : resolve(dirname(sitePath), file));
  const devices = Object.fromEntries(
    Object.entries(config.devices).map(([id, dev]) => {
      let out = dev;
      // passwordFile (ONVIF); the switch's SNMP community and v3 keys (drivers/snmp-switch).
      for (const key of ["passwordFile", "communityFile", "authKeyFile", "privKeyFile", "trapCommunityFile"]) {
        const inOptions = absolute((dev.options as Record<string, unknown>)[key]);
        if (inOptions !== undefined) out = { ...out, options: { ...out.options, [key]: inOptions } };
      }
      // An SSH transport's password file (codecs): read by the transport at every connect.
      const inTransport = absolute((dev.transport as { passwordFile?: unknown }).passwordFile);
      if (inTransport !== undefined) out = { ...out, transport: { ...out.transport, passwordFile: inTransport } as typeof dev.transport };
      return [id, out];
    }),
  );
  return { ...config, devices };
}

/** Where a dotted path sits in a file (1-based line and column), for checks made after loading. */
export type Locate = (path: readonly PropertyKey[], atKey?: boolean) => { line: number; column: number } | undefined;

/**
 * A locator for a site file already loaded: checks made later (drivers' options and readiness
 * profiles, agent/drivers.ts) name the line too. A file that cannot be read again locates nothing.
 */
export async function fileLocator(path: string): Promise<Locate> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    // Only positions are lost: the issues themselves are still reported.
    void err;
    return () => undefined;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  return (p, atKey = false) => positionOf(doc, lineCounter, p, atKey);
}

/** A config file's text, or a ConfigError naming the file. */
export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new ConfigError(path, [{ path: "", message: `cannot read the file (${errCode(err)})` }]);
  }
}

export function errCode(err: unknown): string {
  if (err !== null && typeof err === "object" && "code" in err && typeof err.code === "string") return err.code;
  return err instanceof Error ? err.message : String(err);
}

/** YAML text -> `schema`'s output, or a ConfigError naming the file, each path and its line. */
export function parseWith<S extends z.ZodType>(schema: S, text: string, fileName: string): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  // YAML's own messages quote source text, which may be a password: mask those values.
  const mask = secretMasker(text);
  if (doc.errors.length > 0) {
    const issues: ConfigIssue[] = doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return { path: "", message: mask(`YAML syntax: ${e.message.split("\n")[0]}`), line: pos.line, column: pos.col };
    });
    throw new ConfigError(fileName, issues);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const message = mask(`YAML: ${err instanceof Error ? err.message : String(err)}`).split("\n")[0]!;
    throw new ConfigError(fileName, [{ path: "", message }]);
  }
  if (data === null || data === undefined) {
    throw new ConfigError(fileName, [{ path: "", message: "the file is empty; expected a map (key: value)" }]);
  }
  const result = schema.safeParse(data, { error: configErrorMap });
  if (result.success) return result.data;
  const locate = (path: readonly PropertyKey[], atKey: boolean) => positionOf(doc, lineCounter, path, atKey);
  throw new ConfigError(fileName, zodIssuesToConfigIssues(result.error.issues, data, locate));
}

/**
 * Line/column of the deepest node of `path` that exists in the document: the value, or the key
 * itself when `atKey` (an unknown or invalid key) or when the value is missing.
 */
function positionOf(
  doc: Document,
  lc: LineCounter,
  path: readonly PropertyKey[],
  atKey: boolean,
): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined;
  for (const [i, key] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (pair === undefined) break;
      if (isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
      if (atKey && i === path.length - 1) break;
      node = pair.value;
      if (node !== null && typeof node === "object" && "range" in node && Array.isArray(node.range)) {
        offset = node.range[0] as number;
      }
    } else if (isSeq(node) && typeof key === "number") {
      node = node.items[key];
      if (isScalar(node) || isMap(node) || isSeq(node)) offset = node.range?.[0] ?? offset;
    } else break;
  }
  if (offset === undefined) return undefined;
  const { line, col } = lc.linePos(offset);
  return { line, column: col };
}
