/**
 * Editing the users of a broker file (`roomgate broker passwd`) without losing anything else in it:
 * the YAML Document API keeps comments, key order and formatting of the rest of the file.
 */
import { randomBytes } from "node:crypto";
import { chmod, open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Document, isMap, isSeq, parseDocument } from "yaml";
import type { BrokerRole } from "../config/broker.js";
import { ConfigError, parseBrokerConfig } from "../config/load.js";

export interface UserChange {
  /** Required for a new user; for an existing one, changes its role (and drops fields it no longer has). */
  role?: BrokerRole | undefined;
  site?: string | undefined;
  sites?: string[] | "*" | undefined;
  /** scrypt hash (broker/password.ts). */
  password: string;
  /** Mosquitto `$7$` hash of the same password; absent removes a stale one (it would keep the old password). */
  mosquittoPassword?: string | undefined;
}

/**
 * Returns the broker file's text with user `name` added or changed, validated as a whole
 * (throws ConfigError, code bad_config, naming `fileName`). `text` undefined: a new file.
 */
export function setUser(text: string | undefined, fileName: string, name: string, change: UserChange): { text: string; created: boolean } {
  const doc = text === undefined || text.trim() === "" ? new Document({}) : parseDocument(text);
  if (doc.errors.length > 0) parseBrokerConfig(text ?? "", fileName); // throws the located YAML error
  const at = ["users", name];
  const existing = doc.getIn(at);
  const created = existing === undefined;
  if (!created && !isMap(existing)) throw new ConfigError(fileName, [{ path: `users.${name}`, message: "expected a map" }]);
  const role = change.role ?? (created ? undefined : String(doc.getIn([...at, "role"])));
  if (role === undefined) throw new ConfigError(fileName, [{ path: `users.${name}`, message: "a new user needs --role agent|operator|monitor|admin|recorder" }]);
  doc.setIn([...at, "role"], role);
  if (role === "agent") {
    doc.deleteIn([...at, "sites"]);
    if (change.site !== undefined) doc.setIn([...at, "site"], change.site);
  } else {
    doc.deleteIn([...at, "site"]);
    // Neither has sites: the admin has everything, the recorder reads every site.
    if (role === "admin" || role === "recorder") doc.deleteIn([...at, "sites"]);
    else if (change.sites !== undefined || change.site !== undefined) {
      const sites = change.sites ?? [change.site!];
      const node = doc.createNode(sites);
      if (isSeq(node)) node.flow = true;
      doc.setIn([...at, "sites"], node);
    }
  }
  doc.setIn([...at, "password"], change.password);
  if (change.mosquittoPassword !== undefined) doc.setIn([...at, "mosquittoPassword"], change.mosquittoPassword);
  else doc.deleteIn([...at, "mosquittoPassword"]);
  // lineWidth 0: never fold a long line (a hash) or reflow the user's own lines.
  const out = doc.toString({ lineWidth: 0 });
  parseBrokerConfig(out, fileName); // the result must load; the messages name what is missing (e.g. an agent's site)
  return { text: out, created };
}

/** Reads a broker file, or undefined when it does not exist yet. */
export async function readBrokerFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Replaces a file atomically with mode 0600 (it holds password hashes): a temporary file in the same
 * directory, created 0600, then renamed over the old one, so a crash never leaves half a file.
 */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(text, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await chmod(tmp, 0o600); // umask may have narrowed it, never widened; be explicit anyway
    await rename(tmp, path);
  } catch (err) {
    // The rename error is the one to report; a leftover .tmp (0600) is harmless.
    await unlink(tmp).catch((cleanup: unknown) => Object.assign(err as object, { cleanup }));
    throw err;
  }
}
