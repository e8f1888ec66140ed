/**
 * The simulated X32 on a real UDP socket (OSC, port 10023 on a real desk).
 *
 * As the desk does (unofficial X32 OSC protocol document, and P.-G. Maillot's X32 emulator):
 * - `/xinfo` -> `/xinfo ,ssss <ip> <name> <model> <firmware>`; `/info`, `/status` likewise;
 * - an address alone is a query, answered with the value to the sender only;
 * - an address with a value sets it, answers nothing, and pushes the change to the OTHER
 *   `/xremote` subscribers (the setter is not echoed);
 * - `/xremote` subscribes the sender (ip:port) to pushes for 10 s; `/meters ,s /meters/1` sends
 *   `/meters/1 ,b <blob>` every `meterIntervalMs` for 10 s; both must be renewed, and both are
 *   timed on the injected clock;
 * - `/-action/goscene ,i N` loads scene N and pushes what changed to every subscriber;
 * - malformed datagrams and unknown addresses are ignored (counted in `stats`).
 * Faults: silent, garbage (a malformed datagram before each one sent), slowMs, unplug/replug
 * (socket closed, same port afterwards), reboot (forgets subscribers, answers nothing for a while).
 */
import type dgram from "node:dgram";
import { EventEmitter } from "node:events";
import { systemClock } from "../../drivers/clock.js";
import type { Clock, Logger, TimerHandle } from "../../drivers/types.js";
import { encodeMessage, decodePacket, type OscArg, type OscMessage } from "../../drivers/x32/osc.js";
import type { CommonFaults } from "../types.js";
import { startUdpEndpoint, type Peer, type UdpEndpoint } from "../udp-endpoint.js";
import { ErrorLog } from "./errors.js";
import { X32Mixer, type ParamValue } from "./mixer.js";
import { malformedPacket } from "./garbage.js";

/** How long /xremote and /meters last without renewal (the desk's 10 s). */
export const SUBSCRIPTION_MS = 10_000;

export interface X32ServerOptions {
  host?: string;
  /** 0 = an ephemeral port (read it from the handle). */
  port: number;
  name?: string;
  model?: string;
  firmware?: string;
  /** The IP /xinfo reports (default: host). */
  ip?: string;
  signalDb?: number;
  scenes?: Record<string, Record<string, number>>;
  meterIntervalMs?: number;
  rebootMs?: number;
  clock?: Clock;
  logger?: Logger;
}

interface Subscription { peer: Peer; until: number }

export interface X32SimStats {
  received: number;
  badPackets: number;
  unknownAddresses: number;
  pushes: number;
  meterPackets: number;
}

export interface X32ServerHandle {
  readonly mixer: X32Mixer;
  readonly faults: CommonFaults;
  readonly host: string;
  readonly port: number;
  readonly errors: readonly Error[];
  readonly stats: X32SimStats;
  /** `subscribe` ({kind: "xremote" | "meters", peer: "ip:port"}) on every (re)subscription, for tests to wait on. */
  readonly events: EventEmitter<{ subscribe: [{ kind: "xremote" | "meters"; peer: string }] }>;
  /** True between `reboot()` and the end of the boot time. */
  readonly booting: boolean;
  /** `ip:port` of live /xremote and /meters subscribers (expired ones dropped). */
  subscribers(): { xremote: string[]; meters: string[] };
  /** A change made on the desk itself: stored and pushed to every /xremote subscriber. Returns how many got it. */
  deskChange(address: string, value: ParamValue): number;
  /** Loads a scene from the desk's surface (pushes to every subscriber). Returns changed parameters, or null. */
  loadScene(n: number): number | null;
  /** Forgets every subscriber and answers nothing for `ms` (default the spec's rebootMs). */
  reboot(ms?: number): void;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
  describe(): string;
}

export async function startX32Server(options: X32ServerOptions): Promise<X32ServerHandle> {
  const clock = options.clock ?? systemClock;
  const host = options.host ?? "127.0.0.1";
  const identity = {
    ip: options.ip ?? host, name: options.name ?? "X32-SIM", model: options.model ?? "X32", firmware: options.firmware ?? "4.06",
  };
  const errors = new ErrorLog(options.logger, { sim: "x32", link: `udp:${host}:${options.port}` });
  const mixer = new X32Mixer({ ...(options.signalDb !== undefined ? { signalDb: options.signalDb } : {}), ...(options.scenes ? { scenes: options.scenes } : {}) });
  const faults: CommonFaults = { silent: false, garbage: false, slowMs: 0 };
  const stats: X32SimStats = { received: 0, badPackets: 0, unknownAddresses: 0, pushes: 0, meterPackets: 0 };
  const xremote = new Map<string, Subscription>();
  const meters = new Map<string, Subscription>();
  const timers = new Set<TimerHandle>();
  let udp: UdpEndpoint | undefined;
  let booting = false;
  let bootTimer: TimerHandle | undefined;
  let garbageTurn = 0;
  const key = (p: Peer) => `${p.address}:${p.port}`;
  const events = new EventEmitter<{ subscribe: [{ kind: "xremote" | "meters"; peer: string }] }>();

  function transmit(buf: Buffer, peer: Peer): void {
    const s = udp;
    if (s === undefined || !s.plugged || faults.silent || booting) return;
    const out = faults.garbage ? [malformedPacket(garbageTurn++), buf] : [buf];
    for (const b of out) s.send(b, peer);
  }

  function send(buf: Buffer, peer: Peer): void {
    if (faults.slowMs <= 0) return transmit(buf, peer);
    const t = clock.setTimeout(() => {
      timers.delete(t);
      transmit(buf, peer);
    }, faults.slowMs);
    timers.add(t);
  }

  const reply = (peer: Peer, address: string, args: OscArg[]) => send(encodeMessage(address, args), peer);

  function live(subs: Map<string, Subscription>): Subscription[] {
    const now = clock.now();
    for (const [k, s] of subs) if (s.until <= now) subs.delete(k);
    return [...subs.values()];
  }

  function push(address: string, value: ParamValue, except?: string): number {
    let n = 0;
    for (const sub of live(xremote)) {
      if (key(sub.peer) === except) continue;
      send(encodeMessage(address, [value]), sub.peer);
      n++;
    }
    stats.pushes += n;
    return n;
  }

  function sceneLoad(n: number): number | null {
    const changed = mixer.loadScene(n);
    if (changed === null) return null;
    // Assumption: a scene load reaches every subscriber, the loader included (it did not set these values itself).
    for (const [address, v] of changed) push(address, v);
    return changed.length;
  }

  function handle(msg: OscMessage, peer: Peer): void {
    const now = clock.now();
    const a0 = msg.args[0];
    switch (msg.address) {
      case "/xinfo":
        return reply(peer, "/xinfo", [identity.ip, identity.name, identity.model, identity.firmware].map(str));
      case "/info":
        return reply(peer, "/info", ["V2.07", identity.name, identity.model, identity.firmware].map(str));
      case "/status":
        return reply(peer, "/status", ["active", identity.ip, identity.name].map(str));
      case "/xremote":
        xremote.set(key(peer), { peer, until: now + SUBSCRIPTION_MS });
        events.emit("subscribe", { kind: "xremote", peer: key(peer) });
        return;
      case "/unsubscribe":
        xremote.delete(key(peer));
        meters.delete(key(peer));
        return;
      case "/meters":
      case "/renew":
        // Only the input bank is simulated; other banks are ignored (the real desk has /meters/0..16).
        if (a0?.type === "s" && a0.value === "/meters/1" && (msg.address === "/meters" || meters.has(key(peer)))) {
          meters.set(key(peer), { peer, until: now + SUBSCRIPTION_MS });
          events.emit("subscribe", { kind: "meters", peer: key(peer) });
        } else stats.unknownAddresses++;
        return;
      case "/-action/goscene":
        if (a0?.type === "i") sceneLoad(a0.value);
        return;
      case "/-show/prepos/current":
        if (msg.args.length === 0) reply(peer, msg.address, [{ type: "i", value: mixer.currentScene }]);
        return;
    }
    if (!mixer.has(msg.address)) {
      stats.unknownAddresses++;
      return;
    }
    if (msg.args.length === 0) return reply(peer, msg.address, [mixer.get(msg.address)!]);
    if (a0?.type !== "i" && a0?.type !== "f") return;
    const changed = mixer.set(msg.address, a0.value, a0.type);
    if (changed) push(msg.address, changed, key(peer));
  }

  function onMessage(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    stats.received++;
    if (faults.silent || booting) return;
    const decoded = decodePacket(buf);
    if (!decoded.ok) {
      stats.badPackets++;
      return;
    }
    const peer = { address: rinfo.address, port: rinfo.port };
    for (const m of decoded.messages) {
      try {
        handle(m, peer);
      } catch (err) {
        errors.add(err, "mixer failed on a message");
      }
    }
  }

  const meterTimer = clock.setInterval(() => {
    if (!udp?.plugged || faults.silent || booting) return;
    const subs = live(meters);
    if (subs.length === 0) return;
    const blob = encodeMeterBlobLE(mixer.meters1());
    const packet = encodeMessage("/meters/1", [{ type: "b", value: blob }]);
    for (const s of subs) {
      send(packet, s.peer);
      stats.meterPackets++;
    }
  }, options.meterIntervalMs ?? 50);

  let ep: UdpEndpoint;
  try {
    ep = await startUdpEndpoint({ host, port: options.port, errors, onMessage });
  } catch (err) {
    clock.clearInterval(meterTimer);
    throw err;
  }
  udp = ep;
  let closed: Promise<void> | undefined;
  return {
    mixer, faults, host, stats, events,
    get port() {
      return ep.port;
    },
    get errors() {
      return errors.list;
    },
    get booting() {
      return booting;
    },
    subscribers: () => ({ xremote: live(xremote).map((s) => key(s.peer)), meters: live(meters).map((s) => key(s.peer)) }),
    deskChange(address, value) {
      const changed = mixer.set(address, value.value, value.type);
      if (changed === undefined) throw new RangeError(`unknown parameter or wrong type: ${address} ,${value.type}`);
      return changed ? push(address, changed) : 0;
    },
    loadScene: sceneLoad,
    reboot(ms = options.rebootMs ?? 5000) {
      xremote.clear();
      meters.clear();
      booting = true;
      if (bootTimer !== undefined) clock.clearTimeout(bootTimer);
      bootTimer = clock.setTimeout(() => {
        bootTimer = undefined;
        booting = false;
      }, ms);
    },
    unplug: () => ep.unplug(),
    replug: () => ep.replug(),
    close() {
      closed ??= (async () => {
        clock.clearInterval(meterTimer);
        if (bootTimer !== undefined) clock.clearTimeout(bootTimer);
        for (const t of timers) clock.clearTimeout(t);
        await ep.unplug();
      })();
      return closed;
    },
    describe() {
      const state = !ep.plugged ? "unplugged" : booting ? "rebooting" : "listening";
      return `x32 udp ${host}:${ep.port} ${state} xremote=${live(xremote).length} meters=${live(meters).length}`;
    },
  };
}

const str = (value: string): OscArg => ({ type: "s", value });

/** int32 count + float32 values, little-endian (written here by hand, not with the driver's helper). */
function encodeMeterBlobLE(values: readonly number[]): Buffer {
  const b = Buffer.alloc(4 + values.length * 4);
  b.writeInt32LE(values.length, 0);
  values.forEach((v, i) => b.writeFloatLE(v, 4 + i * 4));
  return b;
}
