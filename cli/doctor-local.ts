/**
 * The checks of `roomgate doctor` that look at the gateway itself: the Node runtime, the state
 * directory (format, room for the outbox), secret files, every serial port and every network device.
 *
 * Serial ports are checked without opening them: opening a port toggles DTR, which resets an Arduino
 * (the Firmata GPIO board) and can disturb a device mid-session. "Held by another process" is found
 * by reading /proc/PID/fd of every process: the agent (or the demo) holding its own ports is how it
 * should be; anything else (ModemManager, a terminal program) is what breaks the agent.
 */
import { constants, type Stats } from "node:fs";
import { access, readFile, readdir, readlink, realpath, stat, statfs } from "node:fs/promises";
import dgram from "node:dgram";
import net from "node:net";
import path from "node:path";
import type { SiteConfig } from "../config/site.js";
import { STATE_FORMAT_VERSION, readStateFormat } from "../agent/state-format.js";

export type CheckStatus = "pass" | "warn" | "fail" | "skip";

/** One line of the doctor's report. `fix` says what to do when it is not a pass. */
export interface CheckResult {
  id: string;
  status: CheckStatus;
  message: string;
  fix?: string;
}

/** What the checks may be given instead of the real thing, for tests. */
export interface DoctorEnv {
  /** The gateway's clock (ms epoch): the clock check compares it with the broker's. */
  now(): number;
  /** Where the process table is (default /proc). */
  procDir: string;
  /** Deadline of every network probe, ms. */
  timeoutMs: number;
}

const result = (id: string, status: CheckStatus, message: string, fix?: string): CheckResult => (fix === undefined ? { id, status, message } : { id, status, message, fix });
const errCode = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

const MIN_NODE: readonly [number, number] = [20, 19];

export function checkNode(version = process.versions.node, execPath = process.execPath): CheckResult {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  if (!ok) return result("node", "fail", `Node ${version} (${execPath}) is older than ${MIN_NODE.join(".")}`, "run roomgate through the bundle's runtime: /opt/roomgate/current/bin/roomgate");
  if (major % 2 === 1) return result("node", "warn", `Node ${version} is not an LTS release`, "use the bundle's Node 24 LTS (/opt/roomgate/current/bin/roomgate)");
  return result("node", "pass", `Node ${version} (${execPath})`);
}

/** The state directory: its format is one this agent reads, it is writable, and its disk has room for the outbox. */
export async function checkStateDir(stateDir: string, outboxMaxBytes: number): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  let existing = path.resolve(stateDir);
  while (!(await exists(existing))) existing = path.dirname(existing);
  try {
    const format = await readStateFormat(stateDir);
    if (format !== undefined && format > STATE_FORMAT_VERSION) {
      out.push(result("state", "fail", `${stateDir} is state format ${format}, from a newer roomgate (this one reads up to ${STATE_FORMAT_VERSION})`, "install that newer bundle again; its outbox and alarms are kept"));
    } else {
      await access(existing, constants.W_OK);
      const what = format === undefined ? "empty or absent (made at the agent's first start)" : format === 0 ? "unversioned (migrated at the agent's next start)" : `format ${format}`;
      out.push(result("state", "pass", `${stateDir}: ${what}, writable`));
    }
  } catch (err) {
    out.push(result("state", "fail", `${stateDir}: ${(err as Error).message}`, `make it writable by the service user (chown -R roomgate:roomgate ${stateDir}; systemd's StateDirectory= does it for the service)`));
  }
  const fs = await statfs(existing);
  const free = fs.bavail * fs.bsize;
  // The outbox at its byte bound, plus a compaction's copy of it, plus room for the broker store and logs.
  const need = 2 * outboxMaxBytes + 64 * 1024 * 1024;
  const msg = `${mib(free)} free on the disk of ${stateDir} (the outbox may need ${mib(need)})`;
  out.push(free >= need ? result("disk", "pass", msg) : result("disk", "fail", msg, "free space on that disk (old journals: journalctl --vacuum-size=100M), or lower broker.outboxMaxBytes"));
  return out;
}

/** Secret files (broker password, TLS key, device passwords) must not be readable by every user. */
export async function checkSecrets(config: SiteConfig): Promise<CheckResult> {
  const files = [config.broker.passwordFile, config.broker.tls?.keyFile];
  for (const dev of Object.values(config.devices)) {
    for (const key of ["passwordFile", "communityFile", "authKeyFile", "privKeyFile", "trapCommunityFile"]) {
      const f = (dev.options as Record<string, unknown>)[key];
      if (typeof f === "string") files.push(f);
    }
    // A codec's SSH login (transport.passwordFile) is a password like any other.
    if (dev.transport.type === "ssh" && dev.transport.passwordFile !== undefined) files.push(dev.transport.passwordFile);
  }
  const present = files.filter((f): f is string => f !== undefined);
  const open: string[] = [];
  for (const f of present) if (((await stat(f)).mode & 0o007) !== 0) open.push(f);
  if (present.length === 0) return result("secrets", "pass", "no secret files in the site file");
  if (open.length > 0) {
    return result("secrets", "warn", `readable by every user of this machine: ${open.join(", ")}`, `chown root:roomgate ${open.join(" ")} && chmod 0640 ${open.join(" ")}`);
  }
  return result("secrets", "pass", `${present.length} secret file${present.length === 1 ? "" : "s"}, none readable by other users`);
}

interface Holder {
  pid: number;
  cmd: string;
  /** A roomgate agent, demo or simulator: its holding the port is how it should be. */
  roomgate: string | undefined;
}

/** Which processes hold which device (by real path), from /proc/PID/fd. `hidden`: processes we may not look into. */
async function openFiles(procDir: string): Promise<{ holders: Map<string, Holder[]>; hidden: number }> {
  const holders = new Map<string, Holder[]>();
  let hidden = 0;
  for (const entry of await readdir(procDir)) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let fds: string[];
    try {
      fds = await readdir(path.join(procDir, entry, "fd"));
    } catch (err) {
      // EACCES: another user's process (doctor not run as root); ENOENT: it just exited.
      if (errCode(err) === "EACCES") hidden++;
      continue;
    }
    const targets = new Set<string>();
    for (const fd of fds) {
      const t = await readlink(path.join(procDir, entry, "fd", fd)).catch((e: unknown) => `unreadable:${errCode(e)}`);
      if (t.startsWith("/dev/")) targets.add(t);
    }
    if (targets.size === 0) continue;
    const argv = await cmdline(procDir, pid);
    const holder = { pid, cmd: argv.slice(0, 4).join(" ") || "?", roomgate: roomgateRole(argv) };
    for (const t of targets) holders.set(t, [...(holders.get(t) ?? []), holder]);
  }
  return { holders, hidden };
}

async function cmdline(procDir: string, pid: number): Promise<string[]> {
  // A process that exited meanwhile has no command line: it holds nothing any more.
  const text = await readFile(path.join(procDir, String(pid), "cmdline"), "utf8").catch((e: unknown) => `exited:${errCode(e)}`);
  return text.split("\0").filter(Boolean);
}

/** "roomgate agent" / "roomgate demo" / "roomgate sim", started through the bin, the bundle's wrapper or node. */
function roomgateRole(argv: string[]): string | undefined {
  const i = argv.findIndex((a) => /(^|\/)roomgate$/.test(a) || /(^|\/)dist\/cli\/main\.js$/.test(a));
  const cmd = i >= 0 ? argv[i + 1] : undefined;
  return cmd === "agent" || cmd === "demo" || cmd === "sim" ? `roomgate ${cmd}` : undefined;
}

export async function checkSerialPorts(config: SiteConfig, env: DoctorEnv): Promise<CheckResult[]> {
  const serial = Object.entries(config.devices).flatMap(([id, d]) => (d.transport.type === "serial" ? [{ id, path: d.transport.path }] : []));
  if (serial.length === 0) return [];
  const { holders, hidden } = await openFiles(env.procDir);
  return Promise.all(
    serial.map(async ({ id, path: p }) => {
      const rid = `serial:${id}`;
      let st: Stats;
      try {
        st = await stat(p);
      } catch (err) {
        const fix = errCode(err) === "ENOENT" ? `plug in the adapter, then find its stable name with \`ls -l /dev/serial/by-id/\` and put it in devices.${id}.transport.path` : `check ${p} (${errCode(err)})`;
        return result(rid, "fail", `${p} is missing (${errCode(err)})`, fix);
      }
      if (!st.isCharacterDevice()) return result(rid, "fail", `${p} is not a serial device`, `devices.${id}.transport.path must name the adapter's tty (e.g. /dev/serial/by-id/...)`);
      try {
        await access(p, constants.R_OK | constants.W_OK);
      } catch (err) {
        return result(rid, "fail", `${p}: no read/write access (${errCode(err)})`, "add the service user to group dialout (usermod -aG dialout roomgate); run doctor as that user: sudo -u roomgate roomgate doctor");
      }
      const real = await realpath(p);
      const others = (holders.get(real) ?? []).filter((h) => !h.roomgate);
      if (others.length > 0) {
        const who = others.map((h) => `pid ${h.pid} (${h.cmd})`).join(", ");
        return result(rid, "fail", `${p} is held by ${who}`, "stop that program; for ModemManager add ENV{ID_MM_DEVICE_IGNORE}=\"1\" to the port's udev rule (deploy/99-roomgate-serial.rules.example)");
      }
      const ours = (holders.get(real) ?? []).filter((h) => h.roomgate !== undefined);
      const use = ours.length > 0 ? `in use by ${ours.map((h) => `${h.roomgate} (pid ${h.pid})`).join(", ")}` : `free${hidden > 0 ? ` (${hidden} processes of other users not inspected: run as root to be sure)` : ""}`;
      if (/^\/dev\/tty(USB|ACM)\d+$/.test(p)) {
        return result(rid, "warn", `${p} is present, readable and ${use}, but its number can change when adapters are replugged`, `use its /dev/serial/by-id/ path (ls -l /dev/serial/by-id/) in devices.${id}.transport.path`);
      }
      return result(rid, "pass", `${p} is present, readable and ${use}`);
    }),
  );
}

/** TCP, HTTP and SSH devices: a TCP connection to the port. UDP has no handshake: the route to it is all we can test. */
export async function checkNetworkDevices(config: SiteConfig, env: DoctorEnv): Promise<CheckResult[]> {
  const checks = Object.entries(config.devices).flatMap(([id, d]) => {
    const t = d.transport;
    if (t.type === "tcp" || t.type === "http" || t.type === "ssh") return [tcpProbe(`device:${id}`, t.host, t.port, env)];
    if (t.type === "udp") return [udpRoute(`device:${id}`, t.host, t.port)];
    return [];
  });
  return Promise.all(checks);
}

function deviceFix(id: string, host: string, port: number, code: string): string {
  if (code === "ECONNREFUSED") return `${host} answers but nothing listens on port ${port}: check the device's control port setting, or the port in ${id.replace("device:", "devices.")}.transport`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `${host} does not resolve: use the device's IP address`;
  return `check the device is powered and cabled, and its address ${host} (ping ${host})`;
}

/** Connects to host:port and closes at once. */
export function tcpProbe(id: string, host: string, port: number, env: DoctorEnv): Promise<CheckResult> {
  const t0 = env.now();
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (r: CheckResult) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(env.timeoutMs, () => done(result(id, "fail", `${host}:${port} did not answer within ${env.timeoutMs} ms`, deviceFix(id, host, port, "ETIMEDOUT"))));
    sock.once("connect", () => done(result(id, "pass", `${host}:${port} answers (TCP, ${Math.max(0, env.now() - t0)} ms)`)));
    sock.once("error", (err) => done(result(id, "fail", `${host}:${port}: ${errCode(err)}`, deviceFix(id, host, port, errCode(err)))));
  });
}

function udpRoute(id: string, host: string, port: number): Promise<CheckResult> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
    const done = (r: CheckResult) => {
      sock.close();
      resolve(r);
    };
    sock.once("error", (err) => done(result(id, "fail", `${host}:${port}: ${errCode(err)}`, deviceFix(id, host, port, errCode(err)))));
    sock.connect(port, host, () => done(result(id, "pass", `${host}:${port} has a route (UDP has no handshake: the device's health on the broker says whether it answers)`)));
  });
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (err) {
    if (errCode(err) === "ENOENT") return false;
    throw err;
  }
}

const mib = (n: number) => (n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(n / 1024 ** 2)} MiB`);
