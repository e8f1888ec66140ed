/**
 * The recorder: one persistent MQTT session (clean=false, QoS 1) that reads every site's recorded
 * topics and commits them to the database in batches, acknowledging each message to the broker only
 * once its batch is committed (centre/ingest/acks.ts).
 *
 * When the database does not take a batch (down, full), the recorder keeps its MQTT session, keeps
 * the batch and everything behind it unacknowledged, reports `degraded` on its health topic and tries
 * the same batch again with backoff; once it commits, it catches up. Past `maxBacklog` messages held
 * in memory it stops reading: the broker keeps the rest in the session. A message the database
 * refuses as data (a value PostgreSQL cannot store) is found by retrying the batch one message at a
 * time and quarantined with the database's reason, so one bad message never blocks the others.
 */
import mqtt, { type MqttClient } from "mqtt";
import { topicFilter, type TopicKind } from "../agent/topics.js";
import type { Clock, Logger } from "../drivers/types.js";
import { classifyDbError, dbErrorMessage, type Db, type DbFailure } from "./db/db.js";
import { DeferredAcks, type AckTicket } from "./ingest/acks.js";
import { decode, type Incoming } from "./ingest/decode.js";
import { writeBatch, writeQuarantine, type BatchCounts, type Entry } from "./ingest/writer.js";
import { centreTopics, type CentreHealth } from "./topics.js";

/** The topics the recorder subscribes to, every site (the recorder role's read rules). */
export const RECORDED_KINDS: readonly TopicKind[] = ["agentState", "agentMeta", "deviceHealth", "alarm", "event", "readiness"];

export interface RecorderOptions {
  db: Db;
  broker: { url: string; username?: string; password?: string; ca?: Buffer; clientId?: string; keepaliveSec?: number };
  logger: Logger;
  clock: Clock;
  version: string;
  batchSize?: number;
  maxBacklog?: number;
  /** Backoff of database retries and MQTT reconnects (ms): first delay, longest delay. */
  retryMs?: { first: number; max: number };
  /** How often counters are republished on the health topic while they change. Default 60 s. */
  healthRefreshMs?: number;
}

interface Queued {
  msg: Incoming;
  ticket: AckTicket | undefined;
}

export interface RecorderCounts {
  received: number;
  recorded: number;
  duplicates: number;
  quarantined: number;
  batches: number;
  dbFailures: number;
}

type CommitListener = (entries: readonly Incoming[], counts: BatchCounts) => void;

export class Recorder {
  private client: MqttClient | undefined;
  private acks: DeferredAcks | undefined;
  private readonly queue: Queued[] = [];
  private current: Queued[] = [];
  private readonly blocked: (() => void)[] = [];
  private wake: (() => void) | undefined;
  private abortSleep: (() => void) | undefined;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private reconnectTimer: unknown;
  private refreshTimer: unknown;
  private reconnectDelay: number;
  private health: CentreHealth;
  private lastPublished = "";
  private readonly listeners = new Set<CommitListener>();
  readonly counts: RecorderCounts = { received: 0, recorded: 0, duplicates: 0, quarantined: 0, batches: 0, dbFailures: 0 };
  private readonly batchSize: number;
  private readonly maxBacklog: number;
  private readonly retry: { first: number; max: number };
  private readonly log: Logger;
  readonly healthTopic: string;

  constructor(private readonly opts: RecorderOptions) {
    this.batchSize = opts.batchSize ?? 1000;
    this.maxBacklog = opts.maxBacklog ?? 50_000;
    this.retry = opts.retryMs ?? { first: 500, max: 30_000 };
    this.reconnectDelay = this.retry.first;
    this.log = opts.logger.child({ part: "recorder" });
    this.healthTopic = centreTopics.health(opts.broker.username ?? "recorder");
    this.health = { status: "ok", since: opts.clock.now() };
  }

  /** Messages received and not yet committed (so not acknowledged). */
  get backlog(): number {
    return this.queue.length + this.current.length;
  }

  get status(): CentreHealth {
    return this.healthPayload();
  }

  /** Called after every commit with the messages it covered. Returns the unsubscribe. */
  onCommit(fn: CommitListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Connects and subscribes; resolves once the broker granted the subscriptions (or rejects on a refused login). */
  async start(): Promise<void> {
    const b = this.opts.broker;
    const client = mqtt.connect(b.url, {
      clientId: b.clientId ?? `roomgate-centre-${b.username ?? "recorder"}`,
      protocolVersion: 4,
      clean: false,
      keepalive: b.keepaliveSec ?? 30,
      reconnectPeriod: 0, // our own backoff with jitter (onClose)
      connectTimeout: 10_000,
      ...(b.username === undefined ? {} : { username: b.username }),
      ...(b.password === undefined ? {} : { password: b.password }),
      ...(b.ca === undefined ? {} : { ca: b.ca }),
      will: { topic: this.healthTopic, payload: Buffer.from(JSON.stringify({ status: "unreachable", code: "lost" } satisfies CentreHealth)), qos: 1, retain: true },
    });
    this.client = client;
    this.acks = new DeferredAcks(client);
    // MQTT.js emits a QoS 1 message, then asks handleMessage, then writes its PUBACK (held by DeferredAcks).
    client.on("message", (topic, payload, packet) => this.receive(topic, payload, packet.retain, packet.qos > 0 ? packet.messageId : undefined));
    // MQTT.js's documented back-pressure hook: it reads the next packet only once this calls back.
    client.handleMessage = (_packet, callback) => {
      if (this.backlog < this.maxBacklog || this.stopping) callback();
      else this.blocked.push(() => callback());
    };
    client.on("error", (err) => this.log.warn({ err: err.message, code: (err as { code?: unknown }).code }, "mqtt error"));
    client.on("close", () => this.onClose());
    client.on("connect", (connack) => {
      this.reconnectDelay = this.retry.first;
      this.log.info({ url: b.url, sessionPresent: connack.sessionPresent }, "connected to the broker");
      this.publishHealth(true);
    });
    await new Promise<void>((resolve, reject) => {
      const ok = () => {
        client.off("error", bad);
        resolve();
      };
      const bad = (err: Error) => {
        client.off("connect", ok);
        this.stopping = true;
        client.end(true);
        reject(Object.assign(new Error(`cannot connect to the broker ${b.url}: ${err.message}`), { code: "broker_unreachable" }));
      };
      client.once("connect", ok);
      client.once("error", bad);
    });
    const filters = Object.fromEntries(RECORDED_KINDS.map((k) => [topicFilter(k), { qos: 1 as const }]));
    const granted = await client.subscribeAsync(filters);
    const refused = granted.filter((g) => g.qos === 128).map((g) => g.topic);
    if (refused.length > 0) {
      this.stopping = true;
      await client.endAsync(true);
      throw Object.assign(new Error(`the broker refused the subscriptions ${refused.join(", ")}: is ${b.username ?? "the user"} a recorder (roomgate broker passwd --role recorder)?`), { code: "acl_refused" });
    }
    this.loop = this.run();
    this.refreshTimer = this.opts.clock.setInterval(() => this.publishHealth(false), this.opts.healthRefreshMs ?? 60_000);
    this.log.info({ filters: Object.keys(filters), database: this.opts.db.where }, "recording");
  }

  /**
   * Stops reading, commits the batch in hand (bounded by `graceMs`), says `unreachable`/`stopped` on
   * the health topic and leaves the session to the broker: what was not committed is not
   * acknowledged, so the broker hands it over at the next start.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopping && this.loop === undefined) return;
    this.stopping = true;
    this.opts.clock.clearInterval(this.refreshTimer as never);
    this.opts.clock.clearTimeout(this.reconnectTimer as never);
    this.wake?.();
    this.abortSleep?.();
    for (const release of this.blocked.splice(0)) release();
    if (this.loop !== undefined) {
      let timer: unknown;
      await Promise.race([this.loop, new Promise<void>((resolve) => (timer = this.opts.clock.setTimeout(resolve, graceMs)))]);
      this.opts.clock.clearTimeout(timer as never);
      this.loop = undefined;
    }
    const client = this.client;
    if (client !== undefined && client.connected) {
      this.health = { ...this.health, status: "unreachable", code: "stopped", message: "roomgate centre stopped", since: this.opts.clock.now() };
      await client.publishAsync(this.healthTopic, JSON.stringify(this.healthPayload()), { qos: 1, retain: true }).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, "could not say stopped"));
    }
    // Not a forced end: DISCONNECT, so the broker keeps the session and does not publish the will.
    await client?.endAsync(false);
  }

  private receive(topic: string, payload: Buffer, retain: boolean, messageId: number | undefined): void {
    // Held even while stopping: a held PUBACK is never sent, so the broker redelivers it to the next start.
    const ticket = messageId === undefined ? undefined : this.acks!.hold(messageId);
    if (this.stopping) return;
    this.queue.push({ msg: { topic, payload, receivedAt: this.opts.clock.now(), retain }, ticket });
    this.counts.received++;
    this.wake?.();
  }

  private onClose(): void {
    // Held messages belong to the old connection: the broker redelivers them on the next one.
    const live = (q: Queued) => q.ticket === undefined || this.acks!.live(q.ticket);
    const before = this.queue.length;
    const keep = this.queue.filter(live);
    this.queue.splice(0, this.queue.length, ...keep);
    if (before !== keep.length) this.log.info({ dropped: before - keep.length }, "connection lost: uncommitted messages left to the broker to redeliver");
    for (const release of this.blocked.splice(0)) release();
    if (this.stopping) return;
    const delay = Math.round(this.reconnectDelay * (0.5 + Math.random() / 2));
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, this.retry.max);
    this.log.warn({ inMs: delay }, "broker connection closed; reconnecting");
    this.reconnectTimer = this.opts.clock.setTimeout(() => {
      if (!this.stopping) this.client?.reconnect();
    }, delay);
  }

  private async run(): Promise<void> {
    let backoff = this.retry.first;
    while (!this.stopping) {
      if (this.current.length === 0) {
        if (this.queue.length === 0) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
          continue;
        }
        this.current = this.queue.splice(0, this.batchSize);
      }
      // A batch held across a reconnect: the broker redelivers what the old connection did not acknowledge.
      this.current = this.current.filter((q) => q.ticket === undefined || this.acks!.live(q.ticket));
      if (this.current.length === 0) continue;
      const failure = await this.commit(this.current);
      if (failure === undefined) {
        backoff = this.retry.first;
        this.current = [];
        this.unblock();
        continue;
      }
      this.counts.dbFailures++;
      this.degrade(failure.kind, failure.message);
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, this.retry.max);
    }
  }

  /** Commits `batch` (or the part of it not yet committed); undefined on success, else why not. */
  private async commit(batch: Queued[]): Promise<{ kind: DbFailure; message: string } | undefined> {
    const entries: Entry[] = batch.map((q) => ({ msg: q.msg, item: decode(q.msg) }));
    try {
      const counts = await this.opts.db.transaction((tx) => writeBatch(tx, entries));
      this.committed(batch, counts);
      return undefined;
    } catch (err) {
      const kind = classifyDbError(err);
      if (kind !== "data") return { kind, message: dbErrorMessage(err) };
      this.log.warn({ err: dbErrorMessage(err), size: batch.length }, "the database refused a batch as data: committing it one message at a time to find the culprit");
    }
    // One at a time: each committed (and acknowledged) in order; one refused as data goes to quarantine.
    while (batch.length > 0) {
      const q = batch[0]!;
      const entry = entries[entries.length - batch.length]!;
      try {
        const counts = await this.opts.db.transaction((tx) => writeBatch(tx, [entry]));
        this.committed([q], counts);
      } catch (err) {
        const kind = classifyDbError(err);
        if (kind !== "data") return { kind, message: dbErrorMessage(err) };
        const site = entry.item.kind === "quarantine" ? entry.item.site : entry.item.site;
        try {
          await this.opts.db.transaction((tx) => writeQuarantine(tx, [{ msg: q.msg, site, reason: "database_refused", detail: dbErrorMessage(err) }]));
        } catch (again) {
          return { kind: classifyDbError(again), message: dbErrorMessage(again) };
        }
        this.log.warn({ topic: q.msg.topic, err: dbErrorMessage(err) }, "message quarantined: the database refused it");
        this.committed([q], { recorded: 0, duplicates: 0, quarantined: 1 });
      }
      batch.shift();
    }
    return undefined;
  }

  private committed(batch: Queued[], counts: BatchCounts): void {
    for (const q of batch) if (q.ticket !== undefined) this.acks!.release(q.ticket);
    this.counts.recorded += counts.recorded;
    this.counts.duplicates += counts.duplicates;
    this.counts.quarantined += counts.quarantined;
    this.counts.batches++;
    if (counts.quarantined > 0) this.log.warn({ quarantined: counts.quarantined }, "messages quarantined (roomgate history quarantine)");
    if (this.health.status !== "ok") {
      this.log.info({ backlog: this.backlog - batch.length }, "the database takes rows again: catching up");
      this.health = { status: "ok", since: this.opts.clock.now() };
      this.publishHealth(true);
    }
    const msgs = batch.map((q) => q.msg);
    for (const fn of this.listeners) fn(msgs, counts);
  }

  private degrade(kind: DbFailure, message: string): void {
    const code = kind === "full" ? "database_full" : kind === "data" ? "database_refused" : "database_down";
    if (this.health.status === "degraded" && this.health.code === code) return;
    this.log.error({ err: message, backlog: this.backlog }, "the database does not take rows: holding every message unacknowledged");
    this.health = { status: "degraded", code, message, since: this.opts.clock.now() };
    this.publishHealth(true);
  }

  private unblock(): void {
    while (this.blocked.length > 0 && this.backlog < this.maxBacklog) this.blocked.shift()!();
  }

  /** A backoff; only stop() cuts it short (new messages must not make the recorder hammer a database that is down). */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.opts.clock.setTimeout(() => {
        this.abortSleep = undefined;
        resolve();
      }, ms);
      this.abortSleep = () => {
        this.opts.clock.clearTimeout(t);
        this.abortSleep = undefined;
        resolve();
      };
    });
  }

  private healthPayload(): CentreHealth {
    return {
      ...this.health,
      ts: this.opts.clock.now(),
      database: this.opts.db.kind,
      backlog: this.backlog,
      recorded: this.counts.recorded,
      duplicates: this.counts.duplicates,
      quarantined: this.counts.quarantined,
      version: this.opts.version,
    };
  }

  /** Publishes the health (retained) on change, or with `force`; a refresh only when counters moved. */
  private publishHealth(force: boolean): void {
    const client = this.client;
    if (client === undefined || !client.connected || this.stopping) return;
    const payload = this.healthPayload();
    const { ts: _ts, ...compare } = payload;
    void _ts;
    const key = JSON.stringify(compare);
    if (!force && key === this.lastPublished) return;
    this.lastPublished = key;
    client.publish(this.healthTopic, JSON.stringify(payload), { qos: 1, retain: true }, (err) => {
      if (err) this.log.warn({ err: err.message }, "could not publish the centre's health");
    });
  }
}
