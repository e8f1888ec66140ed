/**
 * A TCP proxy between the agent and the broker, with the faults a district link really has:
 *
 * - `cut()`: the link goes down. Every current connection is destroyed (both sides) and new ones
 *   are accepted and destroyed at once, until `restore()`.
 * - `blackhole(true)`: the link goes half-open. Connections stay open but nothing is forwarded
 *   either way (bytes, FIN, RST: all swallowed), so only a keepalive or deadline can notice.
 *   A connection that was blackholed stays dead for good (its dropped bytes cannot be put back
 *   into an MQTT stream); `blackhole(false)` lets connections made afterwards through again.
 * - `delay(ms)`: every chunk is held for `ms` before it is forwarded, order kept per direction.
 *
 * Real sockets on 127.0.0.1 (port 0). Delays use the injected clock, so a unit test can drive
 * them with a fake one.
 */
import { EventEmitter } from "node:events";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { systemClock } from "../../drivers/clock.js";
import type { Clock, TimerHandle } from "../../drivers/types.js";

export interface ProxyStats {
  /** Connections accepted and forwarded (not counting refused ones). */
  connections: number;
  /** Connections open right now. */
  active: number;
  /** Connections accepted and destroyed at once while cut. */
  refused: number;
  /** Bytes forwarded agent -> broker and broker -> agent. */
  bytesUp: number;
  bytesDown: number;
  /** Bytes swallowed by the blackhole (both directions). */
  bytesDropped: number;
}

export interface ProxyEvents {
  /** A connection was accepted and is being forwarded (or blackholed). */
  connection: [id: number];
  /** A connection attempt was refused (cut). */
  refused: [];
  /** Both sockets of a connection are gone. */
  closed: [id: number];
  /** The blackhole swallowed a chunk. */
  dropped: [id: number, dir: Direction, bytes: number];
  /** The blackhole swallowed a close of one side (the other side is left open). */
  swallowedClose: [id: number, side: "client" | "upstream"];
  /** A chunk is held by the delay, due in `ms`. */
  held: [id: number, dir: Direction, ms: number];
}

/** `up`: agent -> broker; `down`: broker -> agent. */
export type Direction = "up" | "down";

interface Link {
  id: number;
  client: net.Socket;
  upstream: net.Socket;
  blackholed: boolean;
  /** Per direction: when the last delayed chunk is due (keeps order when the delay changes). */
  dueUp: number;
  dueDown: number;
  timers: Set<TimerHandle>;
}

export interface ProxyOptions {
  /** Where to forward (the broker). */
  target: { host: string; port: number };
  clock?: Clock;
}

export class FaultProxy extends EventEmitter<ProxyEvents> {
  private readonly server: net.Server;
  private readonly target: { host: string; port: number };
  private readonly clock: Clock;
  private readonly links = new Map<number, Link>();
  private nextId = 1;
  private isCut = false;
  private isBlackholed = false;
  private delayMs = 0;
  private readonly counters: ProxyStats = { connections: 0, active: 0, refused: 0, bytesUp: 0, bytesDown: 0, bytesDropped: 0 };
  /** Socket errors seen (resets are expected when we cut; kept for diagnostics, never thrown). */
  readonly errors: Error[] = [];

  private constructor(opts: ProxyOptions) {
    super();
    this.target = opts.target;
    this.clock = opts.clock ?? systemClock;
    this.server = net.createServer({ noDelay: true }, (s) => this.accept(s));
    this.server.on("error", (err) => this.note(err));
  }

  /** Listens on 127.0.0.1:0 and forwards to `target`. */
  static async start(opts: ProxyOptions): Promise<FaultProxy> {
    const p = new FaultProxy(opts);
    await new Promise<void>((resolve, reject) => {
      p.server.once("error", reject);
      p.server.listen(0, "127.0.0.1", () => {
        p.server.off("error", reject);
        resolve();
      });
    });
    return p;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The URL the agent should use instead of the broker's. */
  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  stats(): ProxyStats {
    return { ...this.counters, active: this.links.size };
  }

  /** Destroys every current connection and refuses new ones until `restore()`. */
  cut(): void {
    this.isCut = true;
    for (const link of [...this.links.values()]) this.destroy(link);
  }

  /** Half-open link: current connections (and, while on, new ones) forward nothing either way. */
  blackhole(on: boolean): void {
    this.isBlackholed = on;
    if (on) for (const link of this.links.values()) link.blackholed = true;
  }

  /** Holds every chunk for `ms` (0 = forward at once). */
  delay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`delay must be >= 0 ms, got ${ms}`);
    this.delayMs = ms;
  }

  /** Ends cut, blackhole (for new connections) and delay. */
  restore(): void {
    this.isCut = false;
    this.isBlackholed = false;
    this.delayMs = 0;
  }

  async close(): Promise<void> {
    this.isCut = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const link of [...this.links.values()]) this.destroy(link);
    await closed;
  }

  private accept(client: net.Socket): void {
    client.on("error", (err) => this.note(err));
    if (this.isCut) {
      this.counters.refused++;
      client.destroy();
      this.emit("refused");
      return;
    }
    const upstream = net.createConnection({ host: this.target.host, port: this.target.port, noDelay: true });
    upstream.on("error", (err) => this.note(err));
    const link: Link = { id: this.nextId++, client, upstream, blackholed: this.isBlackholed, dueUp: 0, dueDown: 0, timers: new Set() };
    this.links.set(link.id, link);
    this.counters.connections++;
    client.on("data", (chunk: Buffer) => this.forward(link, "up", chunk));
    upstream.on("data", (chunk: Buffer) => this.forward(link, "down", chunk));
    // A close on either side ends the link, unless it is blackholed: then the FIN is swallowed too
    // and the other side keeps its socket until it gives up by itself (its keepalive).
    const onClose = (side: net.Socket) => () => {
      const other = side === client ? upstream : client;
      if (!link.blackholed) other.destroy();
      else if (!other.destroyed) this.emit("swallowedClose", link.id, side === client ? "client" : "upstream");
      if (client.destroyed && upstream.destroyed) this.forget(link);
    };
    client.on("close", onClose(client));
    upstream.on("close", onClose(upstream));
    this.emit("connection", link.id);
  }

  private forward(link: Link, dir: Direction, chunk: Buffer): void {
    if (link.blackholed) {
      this.drop(link, dir, chunk);
      return;
    }
    const to = dir === "up" ? link.upstream : link.client;
    const send = (): void => {
      // The blackhole may have opened while the chunk waited.
      if (link.blackholed) {
        this.drop(link, dir, chunk);
        return;
      }
      if (to.destroyed) return;
      to.write(chunk);
      if (dir === "up") this.counters.bytesUp += chunk.length;
      else this.counters.bytesDown += chunk.length;
    };
    if (this.delayMs === 0 && link.timers.size === 0) {
      send();
      return;
    }
    const now = this.clock.now();
    const key = dir === "up" ? "dueUp" : "dueDown";
    const due = Math.max(now + this.delayMs, link[key]);
    link[key] = due;
    const timer = this.clock.setTimeout(() => {
      link.timers.delete(timer);
      send();
    }, due - now);
    link.timers.add(timer);
    this.emit("held", link.id, dir, due - now);
  }

  private drop(link: Link, dir: Direction, chunk: Buffer): void {
    this.counters.bytesDropped += chunk.length;
    this.emit("dropped", link.id, dir, chunk.length);
  }

  private destroy(link: Link): void {
    link.blackholed = false; // a cut is a cut: both sides see it
    link.client.destroy();
    link.upstream.destroy();
    this.forget(link);
  }

  private forget(link: Link): void {
    for (const t of link.timers) this.clock.clearTimeout(t);
    link.timers.clear();
    if (this.links.delete(link.id)) this.emit("closed", link.id);
  }

  private note(err: Error): void {
    if (this.errors.length < 100) this.errors.push(err);
  }
}
