/**
 * A throw-away PostgreSQL cluster, for the centre's tests (one per file) and bench/centre-ingest:
 * initdb into a temp dir, the server on the given loopback port (TCP only, its socket directory
 * inside the temp dir), stopped and removed at the end.
 *
 * PostgreSQL refuses to run as root (initdb and postgres both check the effective uid). Tests run as
 * root on CI (.ci/run) and as an ordinary user on a laptop, so: as root, the cluster's directory is
 * given to `nobody` and initdb and postgres are spawned with that uid and gid (Node's spawn sets them
 * and drops the supplementary groups), no runuser or sudo needed; as anyone else, as themselves.
 *
 * `stop()` and `start()` stop and start the same server (same port and data): the centre's outage test.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";

export interface ThrowawayPostgres {
  readonly port: number;
  /** postgres://roomgate@127.0.0.1:PORT/DB (trust authentication on loopback). */
  url(db?: string): string;
  /** A fresh database in the cluster (one per test, or per suite). */
  createDatabase(name: string): Promise<string>;
  /** Runs SQL as the superuser (psql-free, through pg). */
  sql(query: string, db?: string): Promise<Record<string, unknown>[]>;
  /** Fast shutdown (connections cut); resolves when the server has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data; resolves when it accepts connections. */
  start(): Promise<void>;
  dispose(): Promise<void>;
}

const NOBODY = 65534;

export interface ThrowawayOptions {
  /** The server and initdb binaries (Debian: /usr/lib/postgresql/{version}/bin). */
  postgres: string;
  initdb: string;
  port: number;
  /** Server settings beyond the defaults (-c name=value). */
  settings?: Record<string, string>;
}

export async function startThrowawayPostgres(opts: ThrowawayOptions): Promise<ThrowawayPostgres> {
  const { postgres, initdb, port } = opts;
  const root = mkdtempSync(path.join(tmpdir(), "roomgate-pg-"));
  const data = path.join(root, "data");
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot ? { uid: NOBODY, gid: NOBODY } : {};
  if (asRoot) chownSync(root, NOBODY, NOBODY);
  const init = spawnSync(initdb, ["-D", data, "-U", "roomgate", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"], { ...ids, encoding: "utf8", cwd: root });
  if (init.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`initdb failed (as ${asRoot ? "nobody" : userInfo().username}): ${init.stderr || init.stdout}`);
  }
  let server: ChildProcess | undefined;
  let log = "";

  const start = async (): Promise<void> => {
    log = "";
    const child = spawn(postgres, ["-D", data, "-p", String(port), "-k", root, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=50", ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`])], {
      ...ids,
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    server = child;
    child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`postgres did not start within 20 s:\n${log}`)), 20_000);
      const onData = (d: Buffer) => {
        log += d.toString();
        if (log.includes("database system is ready to accept connections")) {
          clearTimeout(timer);
          child.stderr!.off("data", onData);
          child.stderr!.on("data", (more: Buffer) => (log += more.toString()));
          resolve();
        }
      };
      child.stderr!.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`postgres exited (${code}) before it was ready:\n${log}`));
      });
    });
  };

  const stop = async (): Promise<void> => {
    const child = server;
    server = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGINT"); // fast shutdown: active connections are cut, as in an outage
    });
  };

  await start();
  const { default: pg } = await import("pg");
  const url = (db = "postgres") => `postgres://roomgate@127.0.0.1:${port}/${db}`;
  const sql = async (query: string, db = "postgres") => {
    const c = new pg.Client({ connectionString: url(db) });
    await c.connect();
    try {
      return (await c.query(query)).rows as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  };
  return {
    port,
    url,
    sql,
    createDatabase: async (name) => {
      await sql(`create database "${name}"`);
      return url(name);
    },
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
