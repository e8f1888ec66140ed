/**
 * A STAMP / TWAMP-light reflector behind a bad WAN, on a real UDP socket. The reflection itself is
 * the product's stateless step (drivers/stamp/reflect.ts, as `roomgate reflector` runs it); what a
 * WAN does to packets happens here, around it:
 *
 * - `slowMs`: the reflector itself dwells before answering. Its timestamps show it (T3 − T2), so a
 *   sender's round trip does not grow: STAMP subtracts the reflector's time.
 * - `delayMs`, `jitterMs`: the path holds each reply `delayMs` plus a uniform 0..3 × `jitterMs`
 *   (two such delays differ by `jitterMs` on average: the mean |ΔRTT| a sender measures).
 * - `lossPct`, `duplicatePct`, `reorderPct`: exactly that share of replies is dropped, sent twice, or
 *   held back until the next one has gone (spread evenly, so a test knows what to expect).
 * - `stranger`: after each reply, one that answers a sequence number never sent, and one from
 *   another port.
 * - `garbage`: a short, malformed datagram before each reply; `silent`: nothing at all.
 * - unplug/replug: the socket closed (replies in flight are lost) and bound again on the same port.
 * Timing is on the injected clock; the jitter's randomness comes from `seed`.
 */
import dgram from "node:dgram";
import { EventEmitter } from "node:events";
import { systemClock } from "../../drivers/clock.js";
import { ntpFromMs, SENDER_MIN_SIZE } from "../../drivers/stamp/codec.js";
import { reflect } from "../../drivers/stamp/reflect.js";
import type { Clock, Logger, TimerHandle } from "../../drivers/types.js";
import type { CommonFaults } from "../types.js";
import { startUdpEndpoint, type Peer, type UdpEndpoint } from "../udp-endpoint.js";
import { ErrorLog } from "./errors.js";

export interface StampSimOptions {
  host?: string;
  /** 0 = an ephemeral port (read it from the handle). */
  port: number;
  delayMs?: number;
  jitterMs?: number;
  lossPct?: number;
  reorderPct?: number;
  duplicatePct?: number;
  /** Seed of the jitter's random numbers. */
  seed?: number;
  /** What the reflector writes as the Session-Sender TTL (0: not known, as Node cannot read it). */
  ttl?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface StampSimFaults extends CommonFaults {
  delayMs: number;
  jitterMs: number;
  lossPct: number;
  reorderPct: number;
  duplicatePct: number;
  stranger: boolean;
}

export interface StampSimStats {
  received: number;
  /** Datagrams shorter than a test packet: counted, not answered. */
  malformed: number;
  /** Replies sent (a duplicate counts once). */
  reflected: number;
  lost: number;
  duplicated: number;
  reordered: number;
  strangers: number;
  garbage: number;
  silenced: number;
}

export interface StampSimHandle {
  readonly faults: StampSimFaults;
  readonly stats: StampSimStats;
  readonly host: string;
  readonly port: number;
  readonly errors: readonly Error[];
  /** `received` for every datagram that reached the reflector, once it is counted (for tests to wait on). */
  readonly events: EventEmitter<{ received: [{ length: number; from: string }] }>;
  /** All link faults off (delay, jitter, loss, reorder, duplicate, stranger, and the common ones). */
  clean(): void;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
  describe(): string;
}

/** Even spreading: `pct` % of calls answer true, at regular intervals. */
class Share {
  private acc = 0;
  constructor(private readonly pct: () => number) {}
  next(): boolean {
    const p = Math.min(100, Math.max(0, this.pct()));
    if (p <= 0) return false;
    this.acc += p / 100;
    if (this.acc >= 1 - 1e-9) {
      this.acc -= 1;
      return true;
    }
    return false;
  }
}

/** mulberry32: small, seeded, good enough for jitter. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A datagram no reflector would send: shorter than the 41 octets of the shortest reflected packet. */
const GARBAGE = Buffer.from("ZZ\x00\x01junk", "latin1");

export async function startStampServer(options: StampSimOptions): Promise<StampSimHandle> {
  const clock = options.clock ?? systemClock;
  const now = clock.preciseNow ? () => clock.preciseNow!() : () => clock.now();
  const host = options.host ?? "127.0.0.1";
  const errors = new ErrorLog(options.logger, { sim: "stamp", link: `udp:${host}:${options.port}` });
  const faults: StampSimFaults = {
    silent: false, garbage: false, slowMs: 0, stranger: false,
    delayMs: options.delayMs ?? 0, jitterMs: options.jitterMs ?? 0, lossPct: options.lossPct ?? 0,
    reorderPct: options.reorderPct ?? 0, duplicatePct: options.duplicatePct ?? 0,
  };
  const stats: StampSimStats = { received: 0, malformed: 0, reflected: 0, lost: 0, duplicated: 0, reordered: 0, strangers: 0, garbage: 0, silenced: 0 };
  const loss = new Share(() => faults.lossPct);
  const dup = new Share(() => faults.duplicatePct);
  const reorder = new Share(() => faults.reorderPct);
  const rand = random(options.seed ?? 1);
  const timers = new Set<TimerHandle>();
  const events = new EventEmitter<{ received: [{ length: number; from: string }] }>();
  let udp: UdpEndpoint | undefined;
  let foreign: dgram.Socket | undefined;
  let held: { reply: Buffer; peer: Peer; twice: boolean; timer: TimerHandle } | undefined;

  const later = (ms: number, fn: () => void): void => {
    if (ms <= 0) return fn();
    const t = clock.setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  /** From the reflector's port; unplugged meanwhile: lost on the way. */
  const send = (data: Buffer, peer: Peer): void => udp?.send(data, peer);

  function deliver(reply: Buffer, peer: Peer, twice: boolean): void {
    if (faults.garbage) {
      stats.garbage++;
      send(GARBAGE, peer);
    }
    send(reply, peer);
    stats.reflected++;
    if (twice) {
      stats.duplicated++;
      send(reply, peer);
    }
    if (faults.stranger) sendStrangers(reply, peer);
  }

  function sendStrangers(reply: Buffer, peer: Peer): void {
    const unknown = Buffer.from(reply);
    unknown.writeUInt32BE((reply.readUInt32BE(24) ^ 0x80000000) >>> 0, 24); // a sequence number never sent
    unknown.writeUInt32BE(unknown.readUInt32BE(24), 0);
    send(unknown, peer);
    stats.strangers++;
    foreign ??= dgram.createSocket("udp4").on("error", (err) => errors.add(err, "foreign socket error"));
    foreign.send(reply, peer.port, peer.address, (err) => {
      if (err) errors.add(err, "send failed");
    }); // from another port
    stats.strangers++;
  }

  /** The path: loss, delay and jitter, then reorder and duplicates. */
  function onTheWay(reply: Buffer, peer: Peer): void {
    if (loss.next()) {
      stats.lost++;
      return;
    }
    const twice = dup.next();
    const back = reorder.next();
    const hold = faults.delayMs + (faults.jitterMs > 0 ? rand() * 3 * faults.jitterMs : 0);
    later(hold, () => {
      if (back && held === undefined) {
        stats.reordered++;
        // Overtaken by the next reply; if none comes within a second, it goes anyway.
        const timer = clock.setTimeout(() => release(), 1000);
        held = { reply, peer, twice, timer };
        return;
      }
      deliver(reply, peer, twice);
      release();
    });
  }

  function release(): void {
    const h = held;
    if (h === undefined) return;
    held = undefined;
    clock.clearTimeout(h.timer);
    deliver(h.reply, h.peer, h.twice);
  }

  function onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    stats.received++;
    try {
      handle(msg, rinfo);
    } finally {
      events.emit("received", { length: msg.length, from: `${rinfo.address}:${rinfo.port}` });
    }
  }

  function handle(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (faults.silent) {
      stats.silenced++;
      return;
    }
    if (msg.length < SENDER_MIN_SIZE) {
      stats.malformed++;
      return;
    }
    const t2 = now();
    const peer = { address: rinfo.address, port: rinfo.port };
    later(faults.slowMs, () => {
      const r = reflect(msg, { received: ntpFromMs(t2), sent: ntpFromMs(now()), ttl: options.ttl ?? 0 });
      if (!r.ok) {
        stats.malformed++;
        return;
      }
      onTheWay(r.reply, peer);
    });
  }

  async function unbind(): Promise<void> {
    for (const t of timers) clock.clearTimeout(t);
    timers.clear();
    if (held !== undefined) clock.clearTimeout(held.timer);
    held = undefined;
    await ep.unplug();
  }

  const ep = await startUdpEndpoint({ host, port: options.port, errors, onMessage });
  udp = ep;
  let closed: Promise<void> | undefined;
  return {
    faults, stats, host, events,
    get port() {
      return ep.port;
    },
    get errors() {
      return errors.list;
    },
    clean() {
      Object.assign(faults, { silent: false, garbage: false, slowMs: 0, stranger: false, delayMs: 0, jitterMs: 0, lossPct: 0, reorderPct: 0, duplicatePct: 0 });
    },
    unplug: unbind,
    async replug() {
      if (closed === undefined) await ep.replug();
    },
    close() {
      closed ??= (async () => {
        await unbind();
        const f = foreign;
        foreign = undefined;
        if (f !== undefined) await new Promise<void>((resolve) => f.close(() => resolve()));
      })();
      return closed;
    },
    describe() {
      const f = faults;
      const path = `delay=${f.delayMs}ms jitter=${f.jitterMs}ms loss=${f.lossPct}% reorder=${f.reorderPct}% duplicate=${f.duplicatePct}%`;
      return `stamp reflector udp ${host}:${ep.port} ${ep.plugged ? "listening" : "unplugged"} ${path} reflected=${stats.reflected}`;
    },
  };
}
