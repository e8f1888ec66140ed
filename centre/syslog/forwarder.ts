/**
 * Syslog to the security operations centre: reads the agents' events and the broker's security
 * events over MQTT and forwards audit records, alarms, agents lost and refusals to every configured
 * collector as RFC 5424, each collector through its own durable queue (queue.ts, sender.ts).
 *
 * MQTT: its own client id and persistent session (clean=false, QoS 1), subscribed to
 * `roomgate/v1/+/event`, `roomgate/v1/+/agent/state` and `$SYS/roomgate/v1/security`. A message is
 * acknowledged (PUBACK) only once what it becomes is fsync'd in every collector's queue, so a crash
 * at any point loses nothing: the broker sends an unacknowledged message again. When a queue cannot
 * be written (disk full), the connection is dropped without the acknowledgement and tried again
 * with backoff; the broker keeps the session's messages meanwhile.
 *
 * Started by startCentre (centre/centre.ts) from the centre file's syslog section, as the recorder's
 * user; its queues in {stateDir}/syslog/{collector}. Usage:
 *   const fwd = createSyslogForwarder({ config, broker: { url, username, password }, stateDir, logger, clock });
 *   await fwd.start();  ...  fwd.status();  ...  await fwd.stop();
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import path from "node:path";
import mqtt, { type IPublishPacket, type MqttClient } from "mqtt";
import { collectorPort, facilityCode, type SyslogConfig } from "../../config/syslog.js";
import { systemClock } from "../../drivers/clock.js";
import { Backoff } from "../../drivers/transport/backoff.js";
import type { Clock, Logger, TimerHandle } from "../../drivers/types.js";
import { SyslogQueue, type QueueOptions } from "./queue.js";
import { BROKER_SECURITY_TOPIC, droppedRecord, readMessage, toSyslogMessage, type MessageOptions, type SyslogRecord } from "./records.js";
import { CollectorSender, type SenderOptions, type SenderStatus } from "./sender.js";

/** The recorder's login (the centre file's broker section): the forwarder connects as the same user. */
export interface BrokerLogin {
  /** mqtt://, mqtts://, ws:// or wss:// */
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** PEM: the CA of an mqtts:// or wss:// broker. */
  ca?: Buffer | undefined;
  keepaliveSec?: number | undefined;
}

export interface SyslogForwarderOptions {
  /** The `syslog` section, parsed, its TLS paths absolute (resolveSyslogPaths). */
  config: SyslogConfig;
  broker: BrokerLogin;
  /** Queues live in {stateDir}/syslog/{collector}/. */
  stateDir: string;
  logger: Logger;
  clock?: Clock;
  /** Tests: a fault-injecting connection to the collectors. */
  connect?: SenderOptions["connect"];
  /** Tests: a fault-injecting queue (a full disk). */
  openQueue?: (dir: string, o: QueueOptions) => SyslogQueue;
  random?: () => number;
}

export interface SyslogForwarderStatus {
  mqtt: "connected" | "disconnected";
  /** MQTT messages read, turned into syslog, not for the SOC, or unreadable (logged). */
  counts: { received: number; forwarded: number; skipped: number; invalid: number; duplicates: number };
  /** Why the last message could not be queued (disk), until one is queued again. */
  queueError: string | undefined;
  collectors: SenderStatus[];
}

export interface SyslogForwarder {
  /**
   * Opens the queues (cutting a torn tail), starts delivering, connects to the broker; resolves once
   * the subscriptions are answered (a refused one is logged, not fatal), rejects when the first
   * connection fails (refused login, no broker), with everything it opened closed again.
   */
  start(): Promise<void>;
  /** Disconnects from the broker, stops delivering (what is queued stays on disk). Idempotent. */
  stop(): Promise<void>;
  status(): SyslogForwarderStatus;
}

export const FILTERS = ["roomgate/v1/+/event", "roomgate/v1/+/agent/state", BROKER_SECURITY_TOPIC] as const;

/** HOSTNAME: the configured one, or this machine's name made PRINTUSASCII. */
function defaultHostname(): string {
  return osHostname().replace(/[^\x21-\x7e]/g, "_").slice(0, 255) || "roomgate-centre";
}

export function createSyslogForwarder(opts: SyslogForwarderOptions): SyslogForwarder {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const log = opts.logger;
  const dir = path.join(opts.stateDir, "syslog");
  const message: MessageOptions = {
    facility: facilityCode(config.facility),
    hostname: config.hostname ?? defaultHostname(),
    enterpriseId: config.enterpriseId,
    maxMessageBytes: config.maxMessageBytes,
  };
  const counts = { received: 0, forwarded: 0, skipped: 0, invalid: 0, duplicates: 0 };
  const collectors: Array<{ name: string; queue: SyslogQueue; sender: CollectorSender }> = [];
  const lostFile = path.join(dir, "agents-lost.json");
  let lost: Record<string, number> = {};
  let client: MqttClient | undefined;
  let connected = false;
  let stopped = false;
  let queueError: string | undefined;
  let reconnectTimer: TimerHandle | undefined;
  const backoff = new Backoff({ initialMs: 1000, maxMs: 60_000 }, opts.random);
  const invalidLog = new Map<string, { at: number; more: number }>();

  /** Every collector's queue has it on disk, or it throws (and the message is not acknowledged). */
  const queueRecord = (r: SyslogRecord): void => {
    const text = toSyslogMessage(r, message);
    let added = false;
    for (const c of collectors) {
      if (c.queue.append(r.key, text)) {
        added = true;
        c.sender.kick();
      }
    }
    if (added) counts.forwarded += 1;
    else counts.duplicates += 1;
    log.debug({ key: r.key, kind: r.kind, duplicate: !added }, "syslog: queued");
  };

  const noteInvalid = (topic: string, why: string) => {
    counts.invalid += 1;
    // At most one line per topic a minute: an agent sending garbage cannot flood the log.
    const now = clock.now();
    const seen = invalidLog.get(topic);
    if (seen !== undefined && now - seen.at < 60_000) {
      seen.more += 1;
      return;
    }
    if (invalidLog.size > 10_000) invalidLog.clear();
    invalidLog.set(topic, { at: now, more: 0 });
    log.warn({ topic, why, alsoSinceLastLine: seen?.more || undefined }, "syslog: a message on a forwarded topic could not be read; not forwarded");
  };

  /** Throws when a queue cannot be written: the caller drops the connection without acknowledging. */
  const ingest = (packet: IPublishPacket): void => {
    counts.received += 1;
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : Buffer.from(packet.payload);
    const reading = readMessage(packet.topic, payload, packet.retain === true, clock.now(), config.forward);
    if ("skip" in reading) {
      counts.skipped += 1;
      return;
    }
    if ("invalid" in reading) {
      noteInvalid(packet.topic, reading.invalid);
      return;
    }
    if (reading.lost !== undefined) {
      const { site, bootSeq } = reading.lost;
      // The retained will comes again at every subscription: forward each loss once.
      if (lost[site] === bootSeq) {
        counts.duplicates += 1;
        return;
      }
      queueRecord(reading.record);
      lost = { ...lost, [site]: bootSeq };
      writeAtomic(lostFile, `${JSON.stringify(lost)}\n`);
      return;
    }
    queueRecord(reading.record);
  };

  const scheduleReconnect = () => {
    if (stopped || reconnectTimer !== undefined) return;
    const delay = backoff.next();
    reconnectTimer = clock.setTimeout(() => {
      reconnectTimer = undefined;
      if (!stopped) client?.reconnect();
    }, delay);
  };

  /** Connects; `first` learns how the first attempt ended. */
  const connect = (first: (err: Error | undefined) => void) => {
    const b = opts.broker;
    const c: MqttClient = mqtt.connect(b.url, {
      clientId: config.clientId,
      protocolVersion: 4,
      clean: false,
      keepalive: b.keepaliveSec ?? 30,
      reconnectPeriod: 0, // ours: backoff with jitter on the injected clock
      resubscribe: false, // ours, on every connect, checked
      connectTimeout: 10_000,
      ...(b.username !== undefined ? { username: b.username } : {}),
      ...(b.password !== undefined ? { password: b.password } : {}),
      ...(b.ca !== undefined ? { ca: b.ca } : {}),
    });
    client = c;
    let settled = false;
    const settle = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      first(err);
    };
    // MQTT.js calls this for each incoming PUBLISH, one at a time, and writes the PUBACK when `done` is called.
    c.handleMessage = (packet, done) => {
      try {
        ingest(packet as IPublishPacket);
        queueError = undefined;
        done();
      } catch (err) {
        // Not acknowledged: drop the connection so the broker sends it (and what follows) again.
        queueError = err instanceof Error ? err.message : String(err);
        log.error({ topic: (packet as IPublishPacket).topic, err: queueError }, "syslog: cannot queue a message on disk; not acknowledged, the broker keeps it; reconnecting");
        c.stream?.destroy();
      }
    };
    c.on("connect", (connack) => {
      connected = true;
      backoff.reset();
      log.info({ sessionPresent: connack.sessionPresent, clientId: config.clientId }, "syslog forwarder connected to the broker");
      const filters = FILTERS.filter((f) => f !== BROKER_SECURITY_TOPIC || config.forward.brokerSecurity);
      c.subscribe([...filters], { qos: 1 }, (err, granted) => {
        // MQTT.js hands a 0x80 SUBACK over as an error carrying the packet.
        const codes = granted?.map((g) => g.qos) ?? (err as { packet?: { granted?: number[] } } | null | undefined)?.packet?.granted;
        if (codes === undefined) {
          if (err) log.warn({ err: err.message }, "syslog forwarder: subscribing failed; it is tried again at the next connection");
          settle(undefined);
          return;
        }
        filters.forEach((filter, i) => {
          if (codes[i] !== 128) return;
          log.error(
            { filter, user: b.username },
            filter === BROKER_SECURITY_TOPIC
              ? "the broker refused the security events' topic: its user needs the recorder role (or a read rule on it); broker refusals are not forwarded"
              : "subscription refused: its user needs the recorder role, which reads every site's events and agent state",
          );
        });
        settle(undefined);
      });
    });
    c.on("close", () => {
      if (connected) log.warn("syslog forwarder disconnected from the broker; the session keeps its messages");
      connected = false;
      if (!settled) {
        settle(new Error(`cannot connect to the broker ${b.url}: ${lastError ?? "connection closed"}`));
        return;
      }
      scheduleReconnect();
    });
    let lastError: string | undefined;
    c.on("error", (err) => {
      lastError = err.message;
      log.warn({ err: err.message, code: (err as { code?: unknown }).code }, "syslog forwarder: mqtt error");
    });
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (reconnectTimer !== undefined) clock.clearTimeout(reconnectTimer);
    // Forced: no PUBACK goes out for what is half-read; the session keeps what was not acknowledged.
    await client?.endAsync(true);
    connected = false;
    await Promise.all(collectors.map((x) => x.sender.stop()));
    for (const x of collectors) x.queue.close();
  };

  return {
    async start() {
      mkdirSync(dir, { recursive: true });
      lost = readLost(lostFile, log);
      for (const [name, c] of Object.entries(config.collectors)) {
        const clog = log.child({ collector: name });
        const qo: QueueOptions = { maxBytes: c.queue.maxBytes, maxAgeMs: c.queue.maxAgeSec * 1000, clock, logger: clog };
        const queue = opts.openQueue ? opts.openQueue(path.join(dir, name), qo) : new SyslogQueue(path.join(dir, name), qo);
        if (queue.length > 0) clog.info({ pending: queue.length, bytes: queue.bytes }, "syslog queue restored from disk");
        const sender = new CollectorSender({
          name,
          endpoint: { host: c.host, port: collectorPort(c), transport: c.transport, tls: c.tls },
          queue,
          noticeMessage: (n) => toSyslogMessage(droppedRecord(name, n, clock.now()), message),
          batchMaxMessages: c.batchMaxMessages,
          connectTimeoutMs: c.connectTimeoutMs,
          deliveryTimeoutMs: c.deliveryTimeoutMs,
          backoff: c.backoff,
          clock,
          logger: clog,
          ...(opts.connect ? { connect: opts.connect } : {}),
          ...(opts.random ? { random: opts.random } : {}),
        });
        collectors.push({ name, queue, sender });
        sender.start();
      }
      const err = await new Promise<Error | undefined>((resolve) => connect(resolve));
      if (err !== undefined) {
        await stop();
        throw Object.assign(err, { code: "broker_unreachable" });
      }
    },

    stop,

    status() {
      return { mqtt: connected ? "connected" : "disconnected", counts: { ...counts }, queueError, collectors: collectors.map((c) => c.sender.status()) };
    },
  };
}

function readLost(file: string, log: Logger): Record<string, number> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === "number")) as Record<string, number>;
  } catch (err) {
    // Written atomically, so this is not a torn write: say so, and forward losses again rather than never.
    log.warn({ file, err: (err as Error).message }, "agents-lost memory unreadable: a lost agent may be reported once more");
  }
  return {};
}

/** Write-temp, fsync, rename: a crash leaves the old file or the new one, never half of one. */
function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text);
  const fd = openSync(tmp, "r+");
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, file);
}
