/**
 * `roomgate broker`: run the broker; `broker passwd` adds or changes a user of the broker file;
 * `broker acl --mosquitto` writes the same policy for Mosquitto. Their options: cli/specs/broker.ts.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { startBroker } from "../broker/server.js";
import { StartError } from "../broker/listeners.js";
import { StoreError, type PersistenceChoice } from "../broker/persistence.js";
import { defaultStateDir } from "./agent.js";
import { hashPassword, mosquittoHash } from "../broker/password.js";
import { mosquittoPolicy } from "../broker/mosquitto-policy.js";
import { readBrokerFile, setUser, writePrivateFile } from "../broker/users.js";
import type { BrokerRole } from "../config/broker.js";
import { loadBrokerConfig } from "../config/load.js";
import { createLogger } from "../agent/logger.js";
import { portArg, untilSignal, UsageError } from "./args.js";
import { parseCommand } from "./spec.js";
import { brokerAclSpec, brokerPasswdSpec, brokerSpec } from "./specs/broker.js";

export async function brokerCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(brokerSpec, argv);
  if (values.memory && values["data-dir"] !== undefined) throw new UsageError("--memory and --data-dir exclude each other");
  if (values.cluster !== undefined && !/^rediss?:\/\/\S+$/.test(values.cluster)) throw new UsageError(`--cluster: expected redis://HOST:PORT[/DB], got "${values.cluster}"`);
  const file = values.config ? await loadBrokerConfig(values.config) : undefined;
  const users = file?.users ?? {};
  const anonymous = values.anonymous === true || file?.anonymous === true;
  // No one could connect: say so now rather than refusing every client later.
  if (Object.keys(users).length === 0 && !anonymous) {
    throw new UsageError("the broker has no users: add some with `roomgate broker passwd --config FILE USER --role ...`, or allow anonymous access (`anonymous: true` in the file, or --anonymous) for a lab");
  }
  const logger = createLogger({ level: file?.logLevel ?? "info", name: "roomgate-broker" });
  const listeners = file?.listeners;
  const tcp = listeners?.tcp;
  const cluster = values.cluster ?? file?.cluster?.redis;
  const persistence: PersistenceChoice = cluster !== undefined
    ? { type: "redis", url: cluster }
    : values.memory
      ? { type: "memory" }
      : values["data-dir"] !== undefined
        ? { type: "level", dir: values["data-dir"] }
        : (file?.persistence ?? { type: "level" });
  if (persistence.type === "memory") logger.warn("persistence: memory; retained messages and sessions are lost when the broker stops");
  const consoleOn = listeners?.http?.console === true && values["no-console"] !== true;
  let broker;
  try {
    broker = await startBroker({
      host: values.host ?? tcp?.host ?? "0.0.0.0",
      port: tcp?.enabled === false && values.port === undefined ? false : portArg(values.port, tcp?.port ?? 1883),
      ...(listeners?.tls ? { tls: listeners.tls } : {}),
      ...(listeners?.http ? { http: { ...listeners.http, console: consoleOn } } : {}),
      ...(file ? { limits: file.limits, securityEvents: file.securityEvents } : {}),
      persistence,
      stateDir: defaultStateDir(),
      logger,
      auth: { users, anonymous },
    });
  } catch (err) {
    if (err instanceof StartError || err instanceof StoreError) throw new UsageError(err.message);
    throw err;
  }
  process.stderr.write(`roomgate broker: ${broker.url}${broker.tls ? `, mqtts on ${broker.tls.port}` : ""}${broker.http ? `, ${broker.http.secure ? "https" : "http"} on ${broker.http.port}${consoleOn ? " (console at /console/)" : ""}` : ""}; store ${broker.store}\n`);
  await untilSignal();
  await broker.close();
  return 0;
}

const ROLES: readonly BrokerRole[] = ["agent", "operator", "monitor", "admin", "recorder"];

/** `roomgate broker passwd` (its arguments after `passwd`). */
export async function passwdCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(brokerPasswdSpec, argv);
  const file = values.config;
  const user = positionals[0]!;
  const role = values.role;
  if (role !== undefined && !(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role: expected one of ${ROLES.join(", ")}, got "${role}"`);
  const sites = values.sites === undefined ? undefined : values.sites === "*" ? ("*" as const) : values.sites.split(",").map((s) => s.trim()).filter(Boolean);

  const before = await readBrokerFile(file);
  // Check the change before asking for a password (a missing --role or --site fails fast).
  setUser(before, file, user, { role: role as BrokerRole | undefined, site: values.site, sites, password: PLACEHOLDER_HASH });
  const password = await readPassword(`Password for ${user}: `);
  const hash = await hashPassword(password);
  const mosq = values.mosquitto ? await mosquittoHash(password) : undefined;
  const { text, created } = setUser(before, file, user, { role: role as BrokerRole | undefined, site: values.site, sites, password: hash, mosquittoPassword: mosq });
  await writePrivateFile(file, text);
  process.stderr.write(`${created ? "added" : "changed"} user ${user} in ${file}${mosq ? " (with its Mosquitto hash)" : ""}\n`);
  return 0;
}

// A well-formed hash nobody's password matches; only used to validate the change before prompting.
const PLACEHOLDER_HASH = `scrypt$16384$8$1$${Buffer.alloc(16).toString("base64")}$${Buffer.alloc(32).toString("base64")}`;

/**
 * Reads a password from stdin, never from argv (it would show in `ps` and shell history).
 * A terminal: prompt on stderr, no echo, typed twice. A pipe: its first line (scripts, tests).
 */
async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  let password: string;
  if (stdin.isTTY) {
    password = await readHidden(prompt);
    const again = await readHidden("Again: ");
    if (again !== password) throw new UsageError("the two passwords differ");
  } else {
    password = await readFirstLine(stdin);
  }
  if (password === "") throw new UsageError("empty password");
  return password;
}

function readFirstLine(stream: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const done = () => {
      stream.off("data", onData);
      stream.off("end", done);
      stream.off("error", reject);
      stream.pause();
      resolve(buf.split(/\r?\n/)[0] ?? "");
    };
    const onData = (d: Buffer) => {
      buf += d.toString("utf8");
      if (buf.includes("\n")) done();
    };
    stream.on("data", onData);
    stream.once("end", done);
    stream.once("error", reject);
  });
}

function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (err?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (d: Buffer) => {
      for (const ch of d.toString("utf8")) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return finish();
        if (ch === "\u0003") return finish(new UsageError("interrupted"));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

/** `roomgate broker acl` (its arguments after `acl`). */
export async function aclCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(brokerAclSpec, argv);
  const config = await loadBrokerConfig(values.config);
  const out = values.out === undefined ? undefined : path.resolve(values.out);
  const paths = { passwd: path.join(out ?? ".", "passwd"), acl: path.join(out ?? ".", "acl") };
  const policy = mosquittoPolicy(config, paths, values.config);
  if (policy.missing.length > 0) {
    const msg = `no Mosquitto hash for ${policy.missing.join(", ")}: run \`roomgate broker passwd --mosquitto --config ${values.config} USER\` for each`;
    if (!values["allow-missing"]) {
      process.stderr.write(`roomgate: ${msg} (or --allow-missing to leave them out)\n`);
      return 1;
    }
    process.stderr.write(`warning: ${msg}; they cannot log in to Mosquitto\n`);
  }
  if (out === undefined) {
    // Without --out: the ACL only (no hashes on a terminal).
    process.stdout.write(policy.acl);
    return 0;
  }
  await mkdir(out, { recursive: true, mode: 0o700 });
  await writePrivateFile(paths.passwd, policy.passwd);
  await writePrivateFile(paths.acl, policy.acl);
  await writePrivateFile(path.join(out, "roomgate.conf"), policy.conf);
  process.stderr.write(`wrote ${paths.passwd}, ${paths.acl} and ${path.join(out, "roomgate.conf")} (include it from mosquitto.conf)\n`);
  return 0;
}
