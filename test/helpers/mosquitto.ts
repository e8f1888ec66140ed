/**
 * A real Mosquitto broker for tests: the second broker the agent must work with unchanged.
 * Ready when Mosquitto says so on stderr (no polling, no sleeps); bounded wait. The binary is the
 * one on PATH (test/helpers/tools.ts): gate tests with describeWith("mosquitto").
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { mosquittoPolicy } from "../../broker/mosquitto-policy.js";
import { writePrivateFile } from "../../broker/users.js";
import type { BrokerConfig } from "../../config/broker.js";
import { freePort } from "./net.js";
import { toolPath } from "./tools.js";

/** A policy to start with (default: anonymous, no ACL). Files as `roomgate broker acl --mosquitto` writes them. */
export interface MosquittoPolicyFiles {
  passwordFile?: string;
  aclFile?: string;
  allowAnonymous?: boolean;
}

export class Mosquitto {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(path.join(tmpdir(), "roomgate-mosq-"));
  /** Everything Mosquitto logged (log_type all): connections, refusals, denied publishes. */
  log = "";
  constructor(
    readonly port: number,
    private readonly policy: MosquittoPolicyFiles = {},
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const mosquitto = toolPath("mosquitto");
    const conf = path.join(this.dir, "mosquitto.conf");
    const p = this.policy;
    const lines = [
      `listener ${this.port} 127.0.0.1`,
      `allow_anonymous ${p.allowAnonymous ?? (p.passwordFile === undefined)}`,
      "persistence false",
      "log_dest stderr",
      "log_type all",
      ...(p.passwordFile ? [`password_file ${p.passwordFile}`] : []),
      ...(p.aclFile ? [`acl_file ${p.aclFile}`] : []),
      // Started as root, Mosquitto drops to user "mosquitto", which cannot read 0600 policy files.
      ...(process.getuid?.() === 0 ? ["user root"] : []),
    ];
    writeFileSync(conf, `${lines.join("\n")}\n`);
    const child = spawn(mosquitto, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    let log = "";
    this.log = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mosquitto did not start within 5 s:\n${log}`)), 5000);
      child.stderr!.on("data", (d: Buffer) => {
        log += d.toString();
        this.log += d.toString();
        if (/mosquitto version \S+ running/.test(log)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`mosquitto exited with ${code}:\n${log}`));
      });
    });
    // The data listener above keeps draining stderr (the pipe never fills) and keeps the log for tests.
    child.stderr!.resume();
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    await exited;
  }

  private cleanups: (() => void)[] = [];
  /** Runs `fn` at dispose(). */
  onDispose(fn: () => void): void {
    this.cleanups.push(fn);
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    for (const fn of this.cleanups.splice(0)) fn();
  }
}

/**
 * Mosquitto started with the policy `roomgate broker acl --mosquitto` generates from `config`
 * (passwd and acl written 0600 in the instance's directory, removed by dispose()).
 */
export async function startMosquittoWithPolicy(config: Pick<BrokerConfig, "users" | "anonymous">): Promise<Mosquitto> {
  const dir = mkdtempSync(path.join(tmpdir(), "roomgate-policy-"));
  const paths = { passwd: path.join(dir, "passwd"), acl: path.join(dir, "acl") };
  const policy = mosquittoPolicy(config, paths);
  if (policy.missing.length > 0) throw new Error(`users without a Mosquitto hash: ${policy.missing.join(", ")}`);
  await writePrivateFile(paths.passwd, policy.passwd);
  await writePrivateFile(paths.acl, policy.acl);
  const mosq = new Mosquitto(await freePort(), { passwordFile: paths.passwd, aclFile: paths.acl, allowAnonymous: config.anonymous === true });
  mosq.onDispose(() => rmSync(dir, { recursive: true, force: true }));
  await mosq.start();
  return mosq;
}
