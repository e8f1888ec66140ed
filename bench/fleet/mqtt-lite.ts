/**
 * A compact MQTT 3.1.1 client for the fleet bench: mqtt-packet's parser and generator over one net
 * socket and nothing else (no reconnect, no offline queue, no message store), so a few thousand of
 * them fit in one process without the generator becoming the bottleneck. mqtt-packet is the codec
 * aedes and mqtt.js both use (a dependency of both; not one of ours).
 *
 * Rules: QoS 0 and 1 only. Incoming QoS 1 PUBLISHes are acknowledged at once. Outgoing QoS 1
 * PUBLISHes are counted, not tracked one by one: `sent` and `acked` tell how many are in flight and
 * `drained()` waits for all of them. A closed socket is reported once through `onClose`, never thrown.
 */
import net from "node:net";
import { generate, parser, type Packet } from "mqtt-packet";

export interface LiteConnectOptions {
  host: string;
  port: number;
  clientId: string;
  username?: string;
  password?: string;
  keepaliveSec: number;
  will?: { topic: string; payload: string; qos: 0 | 1; retain: boolean };
  /** Deadline for the CONNACK, from the start of the TCP connect. */
  timeoutMs: number;
  /**
   * Collect every write of one event-loop turn into one socket write (cork until setImmediate):
   * for a client that acknowledges thousands of messages a second (the monitor).
   */
  batchWrites?: boolean;
}

/** Why a connect failed: `refused` carries the CONNACK return code (5 = not authorized). */
export class LiteConnectError extends Error {
  constructor(
    readonly code: "refused" | "timeout" | "socket",
    message: string,
    readonly returnCode?: number,
  ) {
    super(message);
  }
}

export class LiteClient {
  /** PUBLISH received from the broker (already acknowledged if QoS 1). */
  onMessage: ((topic: string, payload: Buffer) => void) | undefined;
  /** Called once when the connection ends, with `byUs` true after end()/destroy(). */
  onClose: ((reason: string, byUs: boolean) => void) | undefined;
  /** QoS 1 PUBLISHes written, PUBACKs received. */
  sent = 0;
  acked = 0;
  /** PUBLISHes of any QoS written, and received. */
  published = 0;
  received = 0;

  private nextId = 1;
  private readonly subacks = new Map<number, (granted: number[]) => void>();
  private drainWaiters: (() => void)[] = [];
  private lastWrite = Date.now();
  private pinger: NodeJS.Timeout | undefined;
  private byUs = false;
  private closed = false;
  private error: string | undefined;
  private corked = false;

  private constructor(
    private readonly socket: net.Socket,
    private readonly opts: LiteConnectOptions,
  ) {}

  /** Opens the socket, sends CONNECT and resolves on CONNACK 0 with the time it took (ms). */
  static connect(opts: LiteConnectOptions): Promise<{ client: LiteClient; connackMs: number }> {
    const started = performance.now();
    const socket = net.createConnection({ host: opts.host, port: opts.port, noDelay: true });
    const client = new LiteClient(socket, opts);
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: LiteConnectError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.byUs = true;
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new LiteConnectError("timeout", `no CONNACK within ${opts.timeoutMs} ms`)), opts.timeoutMs);
      client.onConnack = (returnCode) => {
        if (returnCode !== 0) return fail(new LiteConnectError("refused", `CONNACK return code ${returnCode}`, returnCode));
        settled = true;
        clearTimeout(timer);
        client.startPinger();
        resolve({ client, connackMs: performance.now() - started });
      };
      socket.once("close", () => fail(new LiteConnectError("socket", `closed before CONNACK${client.error ? `: ${client.error}` : ""}`)));
      client.wire();
      const connect: Packet = {
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clientId: opts.clientId,
        clean: true,
        keepalive: opts.keepaliveSec,
        ...(opts.username !== undefined ? { username: opts.username } : {}),
        ...(opts.password !== undefined ? { password: Buffer.from(opts.password) } : {}),
        ...(opts.will ? { will: { ...opts.will, payload: Buffer.from(opts.will.payload) } } : {}),
      };
      client.write(connect);
    });
  }

  private onConnack: ((returnCode: number) => void) | undefined;

  private wire(): void {
    const p = parser({ protocolVersion: 4 });
    p.on("packet", (packet: Packet) => this.onPacket(packet));
    p.on("error", (err: Error) => {
      this.error = `bad packet from broker: ${err.message}`;
      this.socket.destroy();
    });
    this.socket.on("data", (chunk: Buffer) => p.parse(chunk));
    this.socket.on("error", (err) => {
      this.error = err.message;
    });
    this.socket.on("close", () => {
      this.closed = true;
      if (this.pinger) clearInterval(this.pinger);
      for (const w of this.drainWaiters.splice(0)) w();
      this.onClose?.(this.error ?? "closed by the broker", this.byUs);
    });
  }

  private onPacket(packet: Packet): void {
    switch (packet.cmd) {
      case "connack":
        this.onConnack?.(packet.returnCode ?? 0);
        return;
      case "publish":
        this.received += 1;
        if (packet.qos === 1) this.write({ cmd: "puback", messageId: packet.messageId! });
        this.onMessage?.(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
        return;
      case "puback":
        this.acked += 1;
        if (this.acked >= this.sent) for (const w of this.drainWaiters.splice(0)) w();
        return;
      case "suback": {
        const done = this.subacks.get(packet.messageId!);
        this.subacks.delete(packet.messageId!);
        // 3.1.1: a number per filter (mqtt-packet types it loosely for v5 reason codes).
        done?.((packet.granted as unknown[]).map((g) => (typeof g === "number" ? g : 128)));
        return;
      }
      default:
        return; // pingresp; nothing else is expected on a 3.1.1 client with QoS <= 1
    }
  }

  private id(): number {
    const id = this.nextId;
    this.nextId = id === 65535 ? 1 : id + 1;
    return id;
  }

  private write(packet: Packet): void {
    if (this.closed) return;
    this.lastWrite = Date.now();
    if (this.opts.batchWrites && !this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(generate(packet));
  }

  /** Keepalive: a PINGREQ when nothing was written for half the keepalive. */
  private startPinger(): void {
    if (this.opts.keepaliveSec === 0) return;
    const halfMs = (this.opts.keepaliveSec * 1000) / 2;
    this.pinger = setInterval(() => {
      if (Date.now() - this.lastWrite >= halfMs) this.write({ cmd: "pingreq" });
    }, halfMs);
    this.pinger.unref();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  get inFlight(): number {
    return this.sent - this.acked;
  }

  publish(topic: string, payload: string | Buffer, qos: 0 | 1, retain: boolean): void {
    if (this.closed) return;
    this.published += 1;
    if (qos === 1) {
      this.sent += 1;
      this.write({ cmd: "publish", topic, payload, qos, retain, dup: false, messageId: this.id() });
    } else {
      this.write({ cmd: "publish", topic, payload, qos, retain, dup: false });
    }
  }

  /** Resolves with the granted QoS per filter (128 = refused). */
  subscribe(filters: readonly string[], qos: 0 | 1): Promise<number[]> {
    const messageId = this.id();
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error("subscribe on a closed connection"));
      this.subacks.set(messageId, resolve);
      this.write({ cmd: "subscribe", messageId, subscriptions: filters.map((topic) => ({ topic, qos })) });
    });
  }

  /** Resolves when every QoS 1 PUBLISH written so far is acknowledged (or the connection closed). */
  drained(): Promise<void> {
    if (this.acked >= this.sent || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** DISCONNECT (no will) and close; resolves once the socket is closed. */
  end(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.byUs = true;
    const closed = new Promise<void>((resolve) => this.socket.once("close", () => resolve()));
    this.write({ cmd: "disconnect" });
    this.socket.end();
    // A broker that never closes its side must not hold the bench: destroy after a bound.
    const timer = setTimeout(() => this.socket.destroy(), 2000);
    return closed.finally(() => clearTimeout(timer));
  }

  destroy(): void {
    this.byUs = true;
    this.socket.destroy();
  }
}
