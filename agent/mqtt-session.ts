/**
 * The agent's one MQTT connection (MQTT 3.1.1 only: works unchanged against aedes and Mosquitto).
 *
 * Rules (DESIGN.md, STYLE.md rule 6):
 * - Never publish before connected. Retained topics live here and are republished, in the order
 *   they were first set (birth first), after every (re)connect and on `republish()`.
 * - Events and responses are owed to the centre: while the broker is away they wait in a bounded
 *   outbox and are replayed after reconnect with `historical: true`. A message handed to the broker
 *   leaves the outbox only when the broker acknowledged it (QoS 1).
 * - Reconnect with exponential backoff and jitter, same client id (the broker drops the stale session).
 */
import { EventEmitter } from "node:events";
import net from "node:net";
import MqttClientModule from "mqtt/lib/client";
import type { IClientOptions } from "mqtt/lib/client";
import type { Clock, Logger, TimerHandle } from "../drivers/types.js";
import { Backoff } from "../drivers/transport/backoff.js";
import { readTlsFiles, type TlsFiles } from "./tls-files.js";
import { OVERFLOW_EVENT, OutboxLog, type DropCounts, type DropReason } from "./outbox-log.js";

// Only mqtt's client module is loaded (not its websocket/browser stack); its CommonJS build the class as `default`.
// exports the class as `default` (Node hands us module.exports; some loaders unwrap it already).
type MqttClientClass = typeof MqttClientModule.default;
const MqttClient: MqttClientClass =
  typeof MqttClientModule === "function" ? (MqttClientModule as unknown as MqttClientClass) : MqttClientModule.default;
type MqttClientType = InstanceType<MqttClientClass>;

export interface SessionOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** For mqtts://: PEM files read at every connect (a renewed certificate needs no restart). */
  tls?: TlsFiles;
  keepaliveSec: number;
  will: { topic: string; payload: object };
  /** Most messages the outbox holds; beyond it the policy in `makeRoom` drops one. */
  outboxLimit: number;
  /** Most bytes (topic + JSON payload) the outbox holds. Default 32 MiB. */
  outboxMaxBytes?: number;
  /** Messages older than this are dropped rather than sent. Default 7 days. */
  outboxMaxAgeMs?: number;
  /** A fresh event id for the notices the session itself publishes (`outbox.overflow`). */
  eventId?: () => string;
  /**
   * Where owed messages are kept on disk (survives kill -9 and power loss; see outbox-log.ts).
   * Without it the outbox lives in memory only.
   */
  outboxDir?: string;
  /** Where the "events were dropped" notice goes (the site's event topic). */
  eventTopic: string;
  logger: Logger;
  clock: Clock;
  /** Reconnect backoff; defaults 500 ms .. 30 s. */
  backoff?: { initialMs?: number; maxMs?: number };
}

export interface SessionEvents {
  connected: [];
  disconnected: [reason: string];
  message: [topic: string, payload: Buffer];
  /** The outbox became empty (every owed message was acknowledged). */
  drained: [];
}

interface OutboxItem {
  seq: number;
  topic: string;
  payload: Record<string, unknown>;
  historical: boolean;
  /** Clock ms when it was queued (the age bound). */
  at: number;
  bytes: number;
  /** Alarms, command audit records and responses: dropped only when nothing else is left. */
  high: boolean;
}

/** How important an owed message is when the outbox must drop something. */
export type OwedPriority = "high" | "normal";

const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
const DEFAULT_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export class MqttSession extends EventEmitter<SessionEvents> {
  private readonly opts: SessionOptions;
  private readonly logger: Logger;
  private client: MqttClientType | undefined;
  /** topic -> payload; `null` = clear pending (publish an empty retained payload once connected). */
  private readonly retained = new Map<string, Buffer | null>();
  private readonly outbox: OutboxItem[] = [];
  private readonly log: OutboxLog | undefined;
  private nextSeq = 1;
  private readonly subscriptions = new Set<string>();
  private readonly backoff: Backoff;
  private reconnectTimer: TimerHandle | undefined;
  private stopped = false;
  private flushing = false;
  private connectedFlag = false;
  /** Messages dropped (outbox full, or too old) and not yet reported; persisted in the log. */
  private readonly dropped: DropCounts = { full: 0, age: 0 };
  private outboxBytes = 0;
  /** The message handed to the broker and not yet acknowledged (never dropped under our feet). */
  private inFlight: OutboxItem | undefined;
  private readonly diskErrors = new Set<string>();

  constructor(opts: SessionOptions) {
    super();
    this.opts = opts;
    this.logger = opts.logger.child({ part: "mqtt" });
    this.backoff = new Backoff({ initialMs: opts.backoff?.initialMs ?? 500, maxMs: opts.backoff?.maxMs ?? 30_000 });
    if (opts.outboxDir !== undefined) {
      this.log = new OutboxLog(opts.outboxDir, { onError: (err) => this.diskError(err) });
      if (this.log.truncatedBytes > 0) {
        this.logger.warn({ bytes: this.log.truncatedBytes }, "outbox log had a torn or corrupt tail; cut it off");
      }
      // Owed by an earlier run of the agent: replayed first, as history.
      for (const r of this.log.pending()) {
        const item = { seq: r.seq, topic: r.topic, payload: r.payload, historical: true, at: r.at };
        this.outbox.push({ ...item, bytes: sizeOf(r.topic, r.payload), high: isHigh(r.topic, r.payload) });
        this.outboxBytes += this.outbox.at(-1)!.bytes;
      }
      this.nextSeq = this.log.nextSeq();
      this.dropped.full = this.log.unreported.full;
      this.dropped.age = this.log.unreported.age;
      if (this.outbox.length > 0) this.logger.info({ owed: this.outbox.length }, "outbox restored from disk");
    }
  }

  get connected(): boolean {
    return this.connectedFlag;
  }

  get outboxSize(): number {
    return this.outbox.length;
  }

  /** What the outbox holds, oldest first (for diagnostics and tests). */
  get owed(): ReadonlyArray<{ topic: string; payload: Readonly<Record<string, unknown>> }> {
    return this.outbox.map(({ topic, payload }) => ({ topic, payload }));
  }

  start(): void {
    const u = new URL(this.opts.url);
    const secure = u.protocol === "mqtts:" || u.protocol === "ssl:";
    const host = u.hostname;
    const port = Number(u.port || (secure ? 8883 : 1883));
    // Our own stream builder: Nagle's algorithm off (it alone adds tens of ms to small messages),
    // and only net/tls are loaded (not mqtt's websocket stack).
    const build = () => {
      let socket: net.Socket;
      if (secure) {
        const files = readTlsFiles(this.opts.tls);
        if (files instanceof Error) {
          // Logged once per attempt; the socket fails and the usual backoff retries (the file may come back).
          this.logger.error({ err: files.message }, "cannot read the broker TLS files");
          socket = new net.Socket();
          process.nextTick(() => socket.destroy(files));
          return socket;
        }
        // node:tls, and OpenSSL behind it, is loaded for mqtts:// only: 5 MB of the agent's RSS on Node 24
        // that a site on plain MQTT would carry for nothing (docs/performance.md).
        const tls = process.getBuiltinModule("node:tls");
        socket = tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...files });
      } else {
        socket = net.createConnection({ host, port });
      }
      socket.setNoDelay(true);
      return socket;
    };
    const options: IClientOptions = {
      clientId: this.opts.clientId,
      protocolVersion: 4,
      clean: true,
      keepalive: this.opts.keepaliveSec,
      reconnectPeriod: 0, // we reconnect ourselves, with backoff and jitter
      connectTimeout: 10_000,
      queueQoSZero: false,
      // mqtt-packet otherwise builds a table of 65,536 two-byte Buffers at the first write (6.5 MB of
      // heap, a tenth of the agent's memory on a gateway) to save one tiny allocation per packet.
      writeCache: false,
      will: { topic: this.opts.will.topic, payload: Buffer.from(JSON.stringify(this.opts.will.payload)), qos: 1, retain: true },
    };
    if (this.opts.username !== undefined) options.username = this.opts.username;
    if (this.opts.password !== undefined) options.password = this.opts.password;
    const client = new MqttClient(build, options);
    this.client = client;
    client.on("connect", () => this.onConnect());
    client.on("close", () => this.onClose("closed"));
    client.on("error", (err) => this.logger.warn({ err: err.message, code: (err as { code?: unknown }).code }, "mqtt error"));
    client.on("message", (topic, payload) => this.emit("message", topic, payload));
    this.logger.info({ url: `${u.protocol}//${host}:${port}`, clientId: this.opts.clientId }, "connecting to broker");
  }

  /** Sets (or, with `null`, clears) a retained topic; publishes now if connected. */
  setRetained(topic: string, payload: object | null): void {
    const buf = payload === null ? null : Buffer.from(JSON.stringify(payload));
    if (buf === null) {
      if (!this.retained.has(topic)) return;
      this.retained.set(topic, null);
    } else {
      // Re-setting keeps the original insertion order (birth stays first).
      this.retained.set(topic, buf);
    }
    if (this.connectedFlag) this.publishRetained(topic, buf);
  }

  /**
   * Queues a non-retained message the centre is owed (event, response). Responses, alarm events and
   * command audit events are `high` priority by their topic/type (see isHigh); `priority` overrides.
   */
  publishOwed(topic: string, payload: Record<string, unknown>, priority?: OwedPriority): void {
    this.enqueue(topic, payload, priority === undefined ? isHigh(topic, payload) : priority === "high", true);
  }

  /** `bounded` false: the overflow notice itself may exceed the bound by one rather than drop more. */
  private enqueue(topic: string, payload: Record<string, unknown>, high: boolean, bounded: boolean): void {
    const now = this.opts.clock.now();
    const item: OutboxItem = { seq: this.nextSeq++, topic, payload, historical: !this.connectedFlag, at: now, bytes: sizeOf(topic, payload), high };
    this.expire(now);
    if (bounded) this.makeRoom(item.bytes, now);
    this.onDisk(() => this.log?.append({ seq: item.seq, topic, payload, at: now }));
    this.outbox.push(item);
    this.outboxBytes += item.bytes;
    void this.flush();
  }

  /** Counts of dropped messages not yet reported to the centre. */
  get droppedUnreported(): Readonly<DropCounts> {
    return this.dropped;
  }

  /**
   * The drop policy when the outbox is full (by count or bytes): the oldest ordinary message goes
   * first (health and driver events: the retained topics say the current truth anyway); alarms,
   * command audit and responses go only when nothing ordinary is left, oldest first. The message in
   * flight is never dropped.
   */
  private makeRoom(bytes: number, now: number): void {
    const maxBytes = this.opts.outboxMaxBytes ?? DEFAULT_MAX_BYTES;
    const victims: OutboxItem[] = [];
    const full = (): boolean => this.outbox.length + 1 > this.opts.outboxLimit || this.outboxBytes + bytes > maxBytes;
    while (full()) {
      let i = this.outbox.findIndex((it) => !it.high && it !== this.inFlight);
      if (i < 0) i = this.outbox.findIndex((it) => it !== this.inFlight);
      if (i < 0) break;
      victims.push(...this.outbox.splice(i, 1));
      this.outboxBytes -= victims.at(-1)!.bytes;
    }
    this.recordDrops(victims, "full", now);
  }

  /** Drops messages older than the age bound (oldest are at the head). */
  private expire(now: number): void {
    const maxAge = this.opts.outboxMaxAgeMs ?? DEFAULT_MAX_AGE_MS;
    const victims: OutboxItem[] = [];
    while (this.outbox.length > 0) {
      const head = this.outbox[0]!;
      if (head === this.inFlight || now - head.at <= maxAge) break;
      victims.push(this.outbox.shift()!);
      this.outboxBytes -= head.bytes;
    }
    this.recordDrops(victims, "age", now);
  }

  private recordDrops(victims: OutboxItem[], reason: DropReason, now: number): void {
    if (victims.length === 0) return;
    this.dropped[reason] += victims.length;
    const seq = this.nextSeq++;
    this.onDisk(() => this.log?.drop({ seq, drop: victims.map((v) => v.seq), reason, at: now }));
    this.logger.warn({ dropped: victims.length, reason, topics: [...new Set(victims.map((v) => v.topic))] }, "outbox dropped messages");
  }

  /**
   * A disk that fails (full, read-only, pulled SD card) must not stop the agent: the message stays
   * owed in memory and the failure is logged, once per kind of error.
   */
  private onDisk(op: () => void): void {
    try {
      op();
    } catch (err) {
      this.diskError(err as Error);
    }
  }

  /** Also for the fsyncs and acked marks the log runs off the event loop (outbox-log.ts). */
  private diskError(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code ?? "unknown";
    if (!this.diskErrors.has(code)) {
      this.diskErrors.add(code);
      this.logger.error({ code, err: err.message }, "outbox write failed; keeping owed messages in memory only");
    }
  }

  subscribe(filter: string): void {
    this.subscriptions.add(filter);
    if (this.connectedFlag) this.client?.subscribe(filter, { qos: 1 }, (err) => this.onSubscribed(filter, err));
  }

  /** Republishes every retained topic (the `rebirth` request). */
  republish(): void {
    if (!this.connectedFlag) return;
    for (const [topic, buf] of this.retained) this.publishRetained(topic, buf);
  }

  /**
   * Clean stop: publishes the final retained payload (e.g. `offline`) when connected, waits for
   * the outbox to drain (bounded), then disconnects without triggering the last will.
   */
  async stop(final?: { topic: string; payload: object }, drainMs = 2000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.reconnectTimer !== undefined) this.opts.clock.clearTimeout(this.reconnectTimer);
    const client = this.client;
    if (!client) return;
    if (this.connectedFlag && final) {
      await new Promise<void>((resolve) => {
        client.publish(final.topic, JSON.stringify(final.payload), { qos: 1, retain: true }, () => resolve());
      });
    }
    if (this.connectedFlag && this.outbox.length > 0) {
      // Give the owed messages a bounded chance to reach the broker before we go.
      await new Promise<void>((resolve) => {
        const timer = this.opts.clock.setTimeout(done, drainMs);
        const self = this;
        function done(): void {
          self.opts.clock.clearTimeout(timer);
          self.off("drained", done);
          self.off("disconnected", done);
          resolve();
        }
        this.on("drained", done);
        this.on("disconnected", done);
      });
    }
    // A graceful end needs a live connection; otherwise force it (no will is sent either way:
    // the broker only publishes the will for a connection that dies without DISCONNECT).
    const graceful = this.connectedFlag;
    await new Promise<void>((resolve) => client.end(!graceful, {}, () => resolve()));
    this.connectedFlag = false;
    this.log?.close();
  }

  private onConnect(): void {
    this.connectedFlag = true;
    this.backoff.reset();
    this.logger.info("connected to broker");
    for (const filter of this.subscriptions) {
      this.client?.subscribe(filter, { qos: 1 }, (err) => this.onSubscribed(filter, err));
    }
    for (const [topic, buf] of this.retained) this.publishRetained(topic, buf);
    const now = this.opts.clock.now();
    this.expire(now);
    const { full, age } = this.dropped;
    if (full + age > 0) {
      // Queued like any owed message (on disk too): once it is in the log, the count is reported.
      const id = this.opts.eventId?.();
      const data = { dropped: full + age, full, age };
      this.enqueue(this.opts.eventTopic, { ...(id === undefined ? {} : { id }), ts: now, type: OVERFLOW_EVENT, data }, true, false);
      this.dropped.full = 0;
      this.dropped.age = 0;
    }
    this.emit("connected");
    void this.flush();
  }

  private onClose(reason: string): void {
    const was = this.connectedFlag;
    this.connectedFlag = false;
    // mqtt.js keeps unacknowledged QoS 1 packets for its own resend, but our reconnect() hands it a
    // fresh store: their callbacks would never fire, and the outbox flush, stop() and a graceful
    // end() would wait for them forever. Fail them now: the outbox sends its message again after the
    // reconnect (at-least-once; consumers dedupe by id).
    const client = this.client;
    if (client) for (const id of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(id));
    // Whatever is still owed now reaches the centre after an outage: it is history.
    for (const item of this.outbox) item.historical = true;
    if (was) {
      this.logger.warn({ reason }, "disconnected from broker");
      this.emit("disconnected", reason);
    }
    if (this.stopped || this.reconnectTimer !== undefined) return;
    const delay = this.backoff.next();
    this.logger.debug({ delayMs: delay }, "reconnecting to broker");
    this.reconnectTimer = this.opts.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped) this.client?.reconnect();
    }, delay);
  }

  private onSubscribed(filter: string, err: Error | null | undefined): void {
    if (err) this.logger.error({ filter, err: err.message }, "subscribe failed");
  }

  private publishRetained(topic: string, buf: Buffer | null): void {
    this.client?.publish(topic, buf ?? Buffer.alloc(0), { qos: 1, retain: true }, (err) => {
      if (err) {
        this.logger.warn({ topic, err: err.message }, "retained publish failed; republished on reconnect");
        return;
      }
      if (buf === null && this.retained.get(topic) === null) this.retained.delete(topic);
    });
  }

  /** Sends the outbox in order, one message at a time, removing each when the broker acked it. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.connectedFlag && this.outbox.length > 0) {
        const item = this.outbox[0]!;
        const payload = item.historical ? { ...item.payload, historical: true } : item.payload;
        this.inFlight = item;
        const ok = await new Promise<boolean>((resolve) => {
          this.client?.publish(item.topic, JSON.stringify(payload), { qos: 1, retain: false }, (err) => resolve(!err));
        });
        this.inFlight = undefined;
        if (!ok) {
          // Connection dropped before the ack: keep it, and mark it as replayed from now on.
          item.historical = true;
          break;
        }
        if (this.outbox[0] === item) {
          this.outbox.shift();
          this.outboxBytes -= item.bytes;
          this.onDisk(() => this.log?.ack(item.seq));
        }
        if (this.outbox.length === 0) this.emit("drained");
      }
    } finally {
      this.flushing = false;
    }
  }
}

const sizeOf = (topic: string, payload: Record<string, unknown>): number => topic.length + Buffer.byteLength(JSON.stringify(payload));

/** Responses, alarm events and command audit events are what the centre must not miss. */
function isHigh(topic: string, payload: Record<string, unknown>): boolean {
  if (topic.includes("/res/")) return true;
  const type = payload.type;
  return type === "command" || type === OVERFLOW_EVENT || (typeof type === "string" && type.startsWith("alarm."));
}
