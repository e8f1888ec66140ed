/**
 * The stateless STAMP / TWAMP-light Session-Reflector that `roomgate reflector` runs at the centre or
 * beside the MCU: one UDP socket, every test packet answered with reflect.ts (RFC 8762 §4.3, §4.6),
 * nothing kept per sender but counts.
 *
 * - An allow-list of IPv4 networks (`10.20.0.0/16`, or single addresses): anything else is refused,
 *   counted and not answered, so the reflector cannot be used to bounce traffic at strangers.
 * - A datagram shorter than 14 octets is malformed: counted, not answered. Never a crash: socket
 *   errors are logged and counted.
 * - A summary is logged every `summaryMs`: what arrived, was answered, malformed, refused, since the
 *   last summary and in all, and the busiest senders.
 * - Timestamps: T2 as the datagram is handled, T3 just before the reply is sent, from the clock's
 *   sub-millisecond time. Session-Sender TTL is 0: Node cannot read a received datagram's TTL.
 */
import dgram from "node:dgram";
import net from "node:net";
import { systemClock } from "../clock.js";
import type { Clock, Logger, TimerHandle } from "../types.js";
import { ntpFromMs } from "./codec.js";
import { reflect } from "./reflect.js";

/** RFC 8762 §4.1: the default, which needs root (or CAP_NET_BIND_SERVICE). */
export const STAMP_PORT = 862;
/** What `roomgate reflector` binds by default: unprivileged [A]; give the same number to the link's transport.port. */
export const DEFAULT_REFLECTOR_PORT = 8620;
/** Busiest senders named in a summary. */
const TOP_SOURCES = 5;
/** Distinct senders counted one by one per summary period; beyond, they are counted together. */
const MAX_SOURCES = 1000;

export interface ReflectorOptions {
  host?: string;
  port: number;
  /** IPv4 networks (CIDR) or addresses allowed to probe; empty or absent: everyone. */
  allow?: readonly string[];
  /** Log a summary this often (0: only when asked). Default 60 000. */
  summaryMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface ReflectorCounts {
  received: number;
  reflected: number;
  malformed: number;
  refused: number;
  sendErrors: number;
}

export interface ReflectorSummary {
  period: ReflectorCounts;
  total: ReflectorCounts;
  /** The busiest senders of the period, `address: datagrams`. */
  sources: Record<string, number>;
  periodMs: number;
}

export interface ReflectorHandle {
  readonly host: string;
  readonly port: number;
  readonly totals: Readonly<ReflectorCounts>;
  /** The counts since the last summary (which starts a new period), logged. */
  summary(): ReflectorSummary;
  close(): Promise<void>;
}

export class AllowListError extends Error {
  readonly code = "bad_config";
}

/** An allow-list from `10.0.0.0/8`, `192.0.2.7` (a /32), ...; throws AllowListError naming the bad entry. */
export function parseAllowList(entries: readonly string[]): net.BlockList | undefined {
  if (entries.length === 0) return undefined;
  const list = new net.BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    const [address, bits, extra] = entry.split("/");
    const prefix = bits === undefined ? 32 : Number(bits);
    if (extra !== undefined || address === undefined || !net.isIPv4(address) || !Number.isInteger(prefix) || prefix < 0 || prefix > 32 || bits === "") {
      throw new AllowListError(`allow-list entry "${raw}": expected an IPv4 network like 10.20.0.0/16 or an address like 10.20.0.5`);
    }
    list.addSubnet(address, prefix, "ipv4");
  }
  return list;
}

const zero = (): ReflectorCounts => ({ received: 0, reflected: 0, malformed: 0, refused: 0, sendErrors: 0 });

/** Binds and starts reflecting. Rejects with the socket's error (EADDRINUSE, EACCES for ports < 1024). */
export async function startReflector(opts: ReflectorOptions): Promise<ReflectorHandle> {
  const clock = opts.clock ?? systemClock;
  const now = clock.preciseNow ? () => clock.preciseNow!() : () => clock.now();
  const log = opts.logger;
  const allow = parseAllowList(opts.allow ?? []);
  const host = opts.host ?? "0.0.0.0";
  const total = zero();
  let period = zero();
  let periodFrom = clock.now();
  let sources = new Map<string, number>();

  const count = (k: keyof ReflectorCounts): void => {
    total[k]++;
    period[k]++;
  };

  const socket = dgram.createSocket("udp4");
  socket.on("message", (msg, rinfo) => {
    const t2 = now();
    count("received");
    const from = sources.has(rinfo.address) || sources.size < MAX_SOURCES ? rinfo.address : "others";
    sources.set(from, (sources.get(from) ?? 0) + 1);
    if (allow && !allow.check(rinfo.address, "ipv4")) {
      count("refused");
      log?.debug({ from: `${rinfo.address}:${rinfo.port}` }, "test packet from outside the allow-list refused");
      return;
    }
    const r = reflect(msg, { received: ntpFromMs(t2), sent: ntpFromMs(now()) });
    if (!r.ok) {
      count("malformed");
      log?.debug({ from: `${rinfo.address}:${rinfo.port}`, length: msg.length, err: r.error.message }, "malformed test packet");
      return;
    }
    socket.send(r.reply, rinfo.port, rinfo.address, (err) => {
      if (!err) return count("reflected");
      count("sendErrors");
      log?.warn({ to: `${rinfo.address}:${rinfo.port}`, err: err.message }, "reply not sent");
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once("error", onError);
    socket.bind(opts.port, host, () => {
      socket.off("error", onError);
      resolve();
    });
  });
  socket.on("error", (err) => {
    // After bind, a socket error concerns one datagram (or none): logged, counted, never fatal.
    count("sendErrors");
    log?.warn({ err: err.message, code: (err as NodeJS.ErrnoException).code }, "reflector socket error");
  });
  const port = socket.address().port;

  function summary(): ReflectorSummary {
    const top = [...sources].sort((a, b) => b[1] - a[1]).slice(0, TOP_SOURCES);
    const s: ReflectorSummary = { period, total: { ...total }, sources: Object.fromEntries(top), periodMs: clock.now() - periodFrom };
    log?.info(s, "reflector summary");
    period = zero();
    periodFrom = clock.now();
    sources = new Map();
    return s;
  }

  const summaryMs = opts.summaryMs ?? 60_000;
  const timer: TimerHandle | undefined = summaryMs > 0 ? clock.setInterval(() => void summary(), summaryMs) : undefined;
  let closed: Promise<void> | undefined;
  return {
    host,
    port,
    totals: total,
    summary,
    close() {
      closed ??= (async () => {
        if (timer !== undefined) clock.clearInterval(timer);
        await new Promise<void>((resolve) => socket.close(() => resolve()));
      })();
      return closed;
    },
  };
}
