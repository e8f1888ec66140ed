/**
 * The two brokers under test, each in its own process, with the same users and ACLs:
 * - the broker file (agents with role agent bound to their site, operators on all sites, one
 *   monitor), validated with the real schema, loaded by aedes-broker.ts with the real loader;
 * - the Mosquitto password and ACL files generated from that same file by broker/mosquitto-policy.ts
 *   (what `roomgate broker acl --mosquitto` writes), and a mosquitto.conf with Mosquitto's default
 *   logging (not `log_type all`, which would log every message and cost CPU a deployment does not pay).
 *
 * Hashes: every bench user has the same password, so one scrypt hash and one `$7$` hash are computed
 * (2,000 distinct hashes at production cost would take minutes before the run starts); each CONNECT
 * still runs one full KDF in the broker, so the connect cost is that of distinct hashes.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { mosquittoPolicy } from "../../broker/mosquitto-policy.js";
import { hashPassword, mosquittoHash, nodeScrypt, parseScryptHash, verifyPassword, DEFAULT_PBKDF2_ITERATIONS, DEFAULT_SCRYPT, type ScryptParams } from "../../broker/password.js";
import { writePrivateFile } from "../../broker/users.js";
import { brokerConfigSchema, type BrokerConfig, type BrokerUser } from "../../config/broker.js";
import { BROKER_ENV } from "../../cli/node-flags.js";
import { BenchChild, projectRoot, track } from "../lib/processes.js";
import { agentUser, MONITOR_USER, operatorUser, siteId } from "./payloads.js";

export type KdfName = "production" | "light";
export interface Kdf {
  name: KdfName;
  scrypt: ScryptParams;
  pbkdf2Iterations: number;
}

export const KDFS: Record<KdfName, Kdf> = {
  production: { name: "production", scrypt: DEFAULT_SCRYPT, pbkdf2Iterations: DEFAULT_PBKDF2_ITERATIONS },
  // About 2 ms per check for each broker on this machine's CPU (scrypt 2^10 ~ PBKDF2-SHA512 x 4000).
  light: { name: "light", scrypt: { N: 1024, r: 8, p: 1 }, pbkdf2Iterations: 4000 },
};

export interface PolicyFiles {
  brokerFile: string;
  passwd: string;
  acl: string;
  password: string;
  users: number;
  /** One verification of each hash in this process, ms: what each CONNECT costs its broker. */
  kdfCheckMs: { scrypt: number; pbkdf2: number };
}

export async function writePolicy(dir: string, agents: number, operators: number, kdf: Kdf): Promise<PolicyFiles> {
  const password = randomBytes(18).toString("base64url");
  const hash = await hashPassword(password, kdf.scrypt);
  const mosq = await mosquittoHash(password, kdf.pbkdf2Iterations);
  const users: Record<string, BrokerUser> = {};
  for (let i = 0; i < agents; i++) users[agentUser(siteId(i))] = { role: "agent", site: siteId(i), password: hash, mosquittoPassword: mosq };
  for (let i = 0; i < operators; i++) users[operatorUser(i)] = { role: "operator", sites: "*", password: hash, mosquittoPassword: mosq };
  users[MONITOR_USER] = { role: "monitor", sites: "*", password: hash, mosquittoPassword: mosq };
  const config: BrokerConfig = brokerConfigSchema.parse({ logLevel: "info", users });
  const brokerFile = path.join(dir, "broker.yaml");
  await writePrivateFile(brokerFile, `${JSON.stringify(config)}\n`); // JSON is YAML
  const files = { passwd: path.join(dir, "passwd"), acl: path.join(dir, "acl") };
  const policy = mosquittoPolicy(config, files, brokerFile);
  if (policy.missing.length > 0) throw new Error(`users without a Mosquitto hash: ${policy.missing.join(", ")}`);
  await writePrivateFile(files.passwd, policy.passwd);
  await writePrivateFile(files.acl, policy.acl);

  let t = performance.now();
  await verifyPassword(parseScryptHash(hash), Buffer.from(password), nodeScrypt);
  const scryptMs = performance.now() - t;
  t = performance.now();
  await mosquittoHash(password, kdf.pbkdf2Iterations);
  const pbkdf2Ms = performance.now() - t;
  return { brokerFile, ...files, password, users: Object.keys(users).length, kdfCheckMs: { scrypt: scryptMs, pbkdf2: pbkdf2Ms } };
}

export interface BrokerUnderTest {
  name: "aedes" | "mosquitto";
  pid: number;
  host: string;
  port: number;
  version: string;
  /** The last lines it logged, for error messages. */
  tail(): string;
  /** aedes only: its process.memoryUsage() and its store's counters, now. */
  stats?(): Promise<BrokerStats>;
  /** aedes only: writes a V8 heap snapshot to `file` (stops the broker while it runs). */
  heapSnapshot?(file: string, timeoutMs: number): Promise<BrokerStats>;
  /** aedes only: starts a CPU profile; `stop` writes it to `file` (.cpuprofile). */
  cpuProfile?: { start(): Promise<BrokerStats>; stop(file: string): Promise<BrokerStats> };
  stop(): Promise<void>;
}

export interface BrokerStats {
  memory: NodeJS.MemoryUsage;
  store: Record<string, unknown>;
}

/**
 * Node flags for the broker: none, as `roomgate broker` runs, with its environment (BROKER_ENV,
 * cli/node-flags.ts; ROOMGATE_BENCH_BROKER_PLAIN_ENV=1 leaves it out); ROOMGATE_BENCH_BROKER_NODE_FLAGS
 * (space-separated) to compare other flags, e.g. `--max-semi-space-size=1`.
 */
function brokerNodeFlags(): string[] {
  return (process.env.ROOMGATE_BENCH_BROKER_NODE_FLAGS ?? "").split(" ").filter((f) => f !== "");
}

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), "aedes-broker.js");

export async function startAedes(files: PolicyFiles, dataDir?: string): Promise<BrokerUnderTest> {
  const args = [ENTRY, "--config", files.brokerFile, ...(dataDir !== undefined ? ["--data-dir", dataDir] : [])];
  // stdin piped: the broker exits when it closes, i.e. when the bench dies.
  const env = process.env.ROOMGATE_BENCH_BROKER_PLAIN_ENV === "1" ? process.env : { ...process.env, ...BROKER_ENV };
  const child = spawn(process.execPath, [...brokerNodeFlags(), ...args], { stdio: ["pipe", "pipe", "pipe"], env });
  const bench = new BenchChild("aedes", child);
  try {
    const line = await bench.waitForLog((l) => l.msg === "broker listening", "broker listening", 60_000);
    const pkg = JSON.parse(readFileSync(path.join(projectRoot, "node_modules", "aedes", "package.json"), "utf8")) as { version: string };
    let nextId = 1;
    const ask = async (command: string, timeoutMs: number): Promise<BrokerStats> => {
      const id = String(nextId++);
      const answer = bench.waitForLog((l) => l.id === id, command, timeoutMs);
      const [what, ...rest] = command.split(" ");
      child.stdin!.write(`${[what, id, ...rest].join(" ")}\n`);
      const l = await answer;
      return { memory: l.memory as NodeJS.MemoryUsage, store: (l.store ?? {}) as Record<string, unknown> };
    };
    return {
      name: "aedes", pid: bench.pid, host: "127.0.0.1", port: Number(line.port), version: `aedes ${pkg.version}`,
      tail: () => bench.tail(),
      stats: () => ask("stats", 10_000),
      heapSnapshot: (file, timeoutMs) => ask(`heap ${file}`, timeoutMs),
      cpuProfile: { start: () => ask("profile-start", 10_000), stop: (file) => ask(`profile-stop ${file}`, 120_000) },
      stop: async () => void (await bench.stop(10_000)),
    };
  } catch (err) {
    await bench.stop();
    throw err;
  }
}

/** Debian's Mosquitto, unless ROOMGATE_MOSQUITTO names another binary (the tests pass the one on their PATH). */
export const MOSQUITTO_BIN = process.env.ROOMGATE_MOSQUITTO || "/usr/sbin/mosquitto";

/**
 * Mosquitto on 127.0.0.1:`port` with the bench's users and ACLs (`files`), or open to anonymous
 * clients with `files` "anonymous" (bench/command-latency's clients log in with no user).
 */
export async function startMosquitto(files: PolicyFiles | "anonymous", dir: string, port: number, dataDir?: string): Promise<BrokerUnderTest> {
  const conf = path.join(dir, "mosquitto.conf");
  const lines = [
    `listener ${port} 127.0.0.1`,
    ...(files === "anonymous" ? ["allow_anonymous true"] : ["allow_anonymous false", `password_file ${files.passwd}`, `acl_file ${files.acl}`]),
    ...(dataDir !== undefined ? ["persistence true", `persistence_location ${dataDir.endsWith("/") ? dataDir : `${dataDir}/`}`] : ["persistence false"]),
    "log_dest stderr",
    // Mosquitto's default log types (a line per connect and disconnect, none per message).
    "log_type error",
    "log_type warning",
    "log_type notice",
    "log_type information",
    // aedes' listener sets TCP_NODELAY (broker/server.ts); give Mosquitto the same, or Nagle alone
    // would decide the latency comparison.
    "set_tcp_nodelay true",
    // Started as root, Mosquitto drops to user "mosquitto", which cannot read the 0600 policy files.
    ...(process.getuid?.() === 0 ? ["user root"] : []),
  ];
  writeFileSync(conf, `${lines.join("\n")}\n`);
  const child = spawn(MOSQUITTO_BIN, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  track(child);
  const tail: string[] = [];
  let version = "mosquitto";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mosquitto did not start within 30 s: ${tail.join(" | ")}`)), 30_000);
    let buf = "";
    child.stderr!.on("data", (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split("\n");
      buf = parts.pop() ?? "";
      for (const l of parts) {
        tail.push(l);
        if (tail.length > 30) tail.shift();
        const m = /mosquitto version (\S+) running/.exec(l);
        if (m) {
          version = `mosquitto ${m[1]}`;
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${MOSQUITTO_BIN}: ${err.message}`));
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`mosquitto exited with ${code}: ${tail.join(" | ")}`));
    });
  });
  return {
    name: "mosquitto", pid: child.pid!, host: "127.0.0.1", port, version,
    tail: () => tail.slice(-10).join(" | "),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.kill("SIGTERM");
      await exited;
      clearTimeout(killer);
    },
  };
}
