/**
 * The checks of `roomgate doctor` that look at the broker, from the gateway: reachable over TCP, its
 * TLS certificate valid for the agent's trust settings and not near expiry, the agent's credentials
 * accepted, and the gateway's clock against the broker's.
 *
 * Credentials: a real MQTT CONNECT with the site file's user, password and TLS files, but with a
 * client id of its own (`roomgate-doctor-...`): taking the agent's id would throw the running agent
 * off the broker and publish its last will. roomgate's broker verifies the password before it looks
 * at the client id, so CONNACK 2 (identifier rejected: the agent user may only use the agent's id)
 * also proves the password; Mosquitto does not bind ids and answers 0.
 *
 * Clock: MQTT carries no server time. The broker's HTTP listener (WebSocket, /metrics, console) sends
 * an HTTP `Date` header with every answer, from the broker machine's clock; `--time-url` points at it
 * (default http://BROKER-HOST:8080/; any HTTP server of the centre with a synced clock does, e.g.
 * beside Mosquitto). The Date header has one-second resolution, so the offset is taken against the
 * middle of that second and of the round trip, and only a skew beyond that uncertainty counts.
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import mqtt from "mqtt";
import type { SiteConfig } from "../config/site.js";
import { tcpProbe, type CheckResult, type DoctorEnv } from "./doctor-local.js";

/** Beyond this the ONVIF cameras' WS-Security timestamps and the log times at the centre go wrong. */
export const MAX_CLOCK_SKEW_MS = 5000;
/** A certificate expiring sooner than this is a warning. */
export const CERT_WARN_DAYS = 30;

interface BrokerTarget {
  url: string;
  host: string;
  port: number;
  secure: boolean;
  tls: { ca?: Buffer; cert?: Buffer; key?: Buffer };
}

async function target(config: SiteConfig): Promise<BrokerTarget> {
  const u = new URL(config.broker.url);
  const secure = u.protocol === "mqtts:";
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const files: BrokerTarget["tls"] = {};
  const t = config.broker.tls;
  if (t?.caFile) files.ca = await readFile(t.caFile);
  if (t?.certFile) files.cert = await readFile(t.certFile);
  if (t?.keyFile) files.key = await readFile(t.keyFile);
  return { url: config.broker.url, host, port: u.port === "" ? (secure ? 8883 : 1883) : Number(u.port), secure, tls: files };
}

export async function checkBroker(config: SiteConfig, env: DoctorEnv): Promise<CheckResult[]> {
  const b = await target(config);
  const reach = await tcpProbe("broker.reach", b.host, b.port, env);
  if (reach.status === "fail") {
    reach.fix = `check broker.url (${b.url}), the WAN link and that the centre's firewall lets this gateway reach TCP ${b.port}`;
    return [reach, { id: "broker.login", status: "skip", message: "broker not reachable" }];
  }
  const out = [reach];
  if (b.secure) {
    const cert = await checkCertificate(b, env);
    out.push(cert);
    if (cert.status === "fail") return [...out, { id: "broker.login", status: "skip", message: "no TLS connection" }];
  }
  out.push(await checkLogin(config, b, env));
  return out;
}

function checkCertificate(b: BrokerTarget, env: DoctorEnv): Promise<CheckResult> {
  const id = "broker.tls";
  return new Promise((resolve) => {
    const opts: tls.ConnectionOptions = { host: b.host, port: b.port, rejectUnauthorized: true, ...b.tls };
    if (!net.isIP(b.host)) opts.servername = b.host;
    const sock = tls.connect(opts);
    const done = (r: CheckResult) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(env.timeoutMs, () => done({ id, status: "fail", message: `no TLS handshake with ${b.host}:${b.port} within ${env.timeoutMs} ms`, fix: "is the port the broker's TLS listener (8883)?" }));
    sock.once("secureConnect", () => {
      const cert = sock.getPeerCertificate();
      const days = Math.floor((Date.parse(cert.valid_to) - env.now()) / 86_400_000);
      const who = `certificate of ${cert.subject?.CN ?? b.host} (issued by ${cert.issuer?.CN ?? "?"})`;
      if (days < 0) done({ id, status: "fail", message: `${who} expired on ${cert.valid_to}`, fix: "renew the broker's certificate (docs/broker.md)" });
      else if (days < CERT_WARN_DAYS) done({ id, status: "warn", message: `${who} expires in ${days} days (${cert.valid_to})`, fix: "renew the broker's certificate before then (docs/broker.md)" });
      else done({ id, status: "pass", message: `${who} is trusted, valid until ${cert.valid_to} (${days} days)` });
    });
    sock.once("error", (err) => {
      const code = (err as NodeJS.ErrnoException).code ?? err.message;
      done({ id, status: "fail", message: `TLS with ${b.host}:${b.port} refused: ${code} (${err.message})`, fix: tlsFix(code, b.host) });
    });
  });
}

function tlsFix(code: string, host: string): string {
  if (code === "CERT_HAS_EXPIRED") return "renew the broker's certificate (docs/broker.md)";
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return `the certificate is not issued for "${host}": use a name in its subjectAltName in broker.url`;
  if (code.includes("VERIFY") || code.includes("SELF_SIGNED") || code.includes("ISSUER")) return "broker.tls.caFile must be the CA that signed the broker's certificate";
  return "check broker.tls (caFile, certFile, keyFile) and that the broker's TLS listener is on this port";
}

function checkLogin(config: SiteConfig, b: BrokerTarget, env: DoctorEnv): Promise<CheckResult> {
  const id = "broker.login";
  const user = config.broker.username;
  const as = user === undefined ? "without a user name" : `as ${user}`;
  const opts: mqtt.IClientOptions = {
    clientId: `roomgate-doctor-${config.site}-${randomBytes(3).toString("hex")}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: env.timeoutMs,
    ...b.tls,
  };
  if (user !== undefined) opts.username = user;
  if (config.broker.password !== undefined) opts.password = config.broker.password;
  const client = mqtt.connect(b.url, opts);
  return new Promise((resolve) => {
    const done = (r: CheckResult) => {
      client.end(true);
      resolve(r);
    };
    client.once("connect", () => done({ id, status: "pass", message: `the broker accepts ${as}` }));
    client.once("error", (err) => {
      const code = (err as { code?: unknown }).code;
      if (code === 2) done({ id, status: "pass", message: `the broker accepts ${as} (and keeps the agent's client id for the agent)` });
      else if (code === 4 || code === 5) {
        const pw = config.broker.passwordFile ?? "broker.passwordFile";
        done({
          id,
          status: "fail",
          message: `the broker refuses ${as}: wrong user or password (CONNACK ${String(code)})`,
          fix: user === undefined ? "the broker wants a user: set broker.username and broker.passwordFile" : `put ${user}'s password in ${pw}; at the centre: roomgate broker passwd --config broker.yaml ${user} --role agent --site ${config.site}`,
        });
      } else done({ id, status: "fail", message: `MQTT login ${as} failed: ${err.message}`, fix: "look at the broker's log for this client" });
    });
    client.once("close", () => done({ id, status: "fail", message: `the broker closed the connection ${as} before answering`, fix: "check the broker's log (limits, certificates)" }));
  });
}

/** The default place to read the broker's clock: its HTTP listener on the default port. */
export function defaultTimeUrl(config: SiteConfig): string {
  const host = new URL(config.broker.url).hostname;
  return `http://${host}:8080/`;
}

export async function checkClock(timeUrl: string, env: DoctorEnv, ca?: Buffer): Promise<CheckResult> {
  const id = "clock";
  const t0 = env.now();
  let date: string | undefined;
  try {
    date = await httpDate(timeUrl, env.timeoutMs, ca);
  } catch (err) {
    return { id, status: "warn", message: `cannot read the broker's clock at ${timeUrl} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, fix: "give --time-url of the broker's HTTP listener (or another HTTP server at the centre); meanwhile check `timedatectl` says synchronized" };
  }
  const t1 = env.now();
  const server = Date.parse(date ?? "");
  if (Number.isNaN(server)) return { id, status: "warn", message: `${timeUrl} sent no usable Date header`, fix: "point --time-url at the broker's HTTP listener" };
  const skew = (t0 + t1) / 2 - (server + 500);
  const slack = 500 + (t1 - t0) / 2;
  const text = `${skew >= 0 ? "+" : "-"}${(Math.abs(skew) / 1000).toFixed(1)} s (±${(slack / 1000).toFixed(1)} s)`;
  if (Math.abs(skew) - slack > MAX_CLOCK_SKEW_MS) {
    return {
      id,
      status: "fail",
      message: `the gateway's clock is ${text} off the broker's (more than ${MAX_CLOCK_SKEW_MS / 1000} s: ONVIF logins and log times fail)`,
      fix: "sync the clock with the centre's NTP server: NTP=... in /etc/systemd/timesyncd.conf, then timedatectl set-ntp true",
    };
  }
  return { id, status: "pass", message: `the gateway's clock is ${text} from the broker's (${timeUrl})` };
}

function httpDate(url: string, timeoutMs: number, ca?: Buffer): Promise<string | undefined> {
  const lib = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method: "HEAD", timeout: timeoutMs, ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      resolve(res.headers.date);
    });
    req.once("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    req.once("error", reject);
    req.end();
  });
}
