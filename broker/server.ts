/**
 * The central broker: aedes behind our listeners (TCP, TLS, HTTP with WebSocket and /metrics), with
 * a persistent store, limits, and optionally a Redis cluster.
 *
 * Users, roles and ACLs come with the `auth` option (broker/auth.ts: scrypt passwords, ACLs from
 * broker/acl.ts). Without it the broker is anonymous and open to everyone, as the demo and most tests
 * want, and says so loudly in the log. `hooks` installs raw aedes hooks instead (or on top).
 * Every connection is read through a GuardedConnection (packet size, rate); connection and
 * subscription counts are checked in the auth hooks (limits.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { Aedes } from "aedes";
import mqttPacket from "mqtt-packet";
import type { AedesOptions, Client } from "aedes";
import { hostname } from "node:os";
import { brokerLimitsSchema, brokerSecurityEventsSchema, type BrokerHttpListener, type BrokerLimits, type BrokerSecurityEvents, type BrokerTlsListener } from "../config/broker.js";
import { systemClock } from "../drivers/clock.js";
import type { Clock, Logger } from "../drivers/types.js";
import { createBrokerAuth, type BrokerAuth, type BrokerAuthOptions } from "./auth.js";
import { FleetView } from "./fleet-view.js";
import { GuardedConnection, type ConnectionInfo, type ListenerKind } from "./guard.js";
// The console has one home, centre/web (the centre serves it with its history pages); the broker
// mounts its live pages for a lab or the demo without a centre. The one arrow from broker/ to centre/.
import { mountConsole } from "../centre/web/console.js";
import { ClientLimits, emptyLimitCounts, LimitLog, type LimitCounts } from "./limits.js";
import { listenHttp, listenTcp, listenTls, type HttpListening, type Listening } from "./listeners.js";
import { createMetrics, type BrokerMetrics } from "./metrics.js";
import { holdUntilConnected } from "./connack-first.js";
import { ackAfterStore } from "./puback-after-store.js";
import { dedupeStoredCopies, useExactDedupe } from "./exact-dedupe.js";
import { openStore, type PersistenceChoice } from "./persistence.js";
import { SecurityEvents } from "./security-events.js";

export interface BrokerHooks {
  preConnect?: Aedes["preConnect"];
  authenticate?: Aedes["authenticate"];
  authorizePublish?: Aedes["authorizePublish"];
  authorizeSubscribe?: Aedes["authorizeSubscribe"];
}

export interface BrokerOptions {
  host?: string;
  /** 0 picks a free port (tests). Default 1883. `false`: no plain-TCP listener. */
  port?: number | false;
  tls?: BrokerTlsListener;
  /** The console is served unless `console: false` (the file's default is true). */
  http?: Omit<BrokerHttpListener, "console"> & { console?: boolean };
  logger: Logger;
  /** Users and anonymous access (the broker file's `users` / `anonymous`). */
  auth?: Omit<BrokerAuthOptions, "logger" | "admit" | "allowSubscription" | "certCNOf" | "onRefusal">;
  limits?: Partial<BrokerLimits>;
  /** Refusals and denials on $SYS/roomgate/v1/security (security-events.ts); on by default with `auth`. */
  securityEvents?: Partial<BrokerSecurityEvents>;
  /** Default memory (tests); `roomgate broker` defaults to level (on disk). */
  persistence?: PersistenceChoice;
  /** Where a level store without its own dir lives ({stateDir}/broker). */
  stateDir?: string;
  hooks?: BrokerHooks;
  aedes?: AedesOptions;
  clock?: Clock;
  /** How long to wait for the store (Redis) at start. Default 15 s. */
  storeTimeoutMs?: number;
}

export interface RunningBroker {
  readonly port: number;
  readonly host: string;
  /** mqtt://host:port of the TCP listener (or mqtts:// of the TLS one when there is no TCP). */
  readonly url: string;
  readonly tls: Listening | undefined;
  readonly http: HttpListening | undefined;
  readonly aedes: Aedes;
  /** Present with the `auth` option: verified users and the denial counters. */
  readonly auth: BrokerAuth | undefined;
  readonly limitCounts: LimitCounts;
  readonly clientLimits: ClientLimits;
  readonly metrics: BrokerMetrics;
  readonly fleet: FleetView;
  /** `memory`, `level DIR`, `redis host:port`. */
  readonly store: string;
  /** The store's counters (bench/fleet prints them). */
  storeStats(): Record<string, number>;
  /** Stops accepting, disconnects every client, closes aedes and the store. Idempotent. */
  close(): Promise<void>;
}

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  // mqtt-packet's writer (aedes writes every packet with it) makes a 2-byte Buffer for each of the
  // 65,536 packet identifiers at its first write and keeps them: 6 MB of the broker's heap at the
  // fleet load (docs/performance.md), to save one tiny allocation per packet written.
  mqttPacket.writeToStream.cacheNumbers = false;
  const log = opts.logger;
  const clock = opts.clock ?? systemClock;
  const limits = brokerLimitsSchema.parse(opts.limits ?? {});
  const store = await openStore(opts.persistence ?? { type: "memory" }, log.child({ part: "store" }), opts.stateDir ?? ".roomgate");
  let aedes: Aedes;
  try {
    aedes = await withTimeout(
      Aedes.createBroker({
        // Client ids like `roomgate-agent-district-07` exceed MQTT 3.1's 23 characters.
        maxClientsIdLength: 128,
        drainTimeout: 30_000,
        ...store.aedes,
        ...opts.aedes,
      }),
      opts.storeTimeoutMs ?? 15_000,
      clock,
      `the broker's store (${store.description}) did not answer`,
    );
  } catch (err) {
    await store.close();
    throw err;
  }
  const limitCounts = emptyLimitCounts();
  const limitLog = new LimitLog(log.child({ part: "limits" }), clock, limitCounts);
  const clientLimits = new ClientLimits(limits, limitLog);
  const infoOf = (client: Client): ConnectionInfo | undefined => (client.conn instanceof GuardedConnection ? client.conn.info : undefined);
  const security = securityEventsOf(aedes, opts.securityEvents, clock, log.child({ part: "security" }));
  const onRefusal = security === undefined ? undefined : refusalReporter(security, infoOf);
  const auth = opts.auth
    ? createBrokerAuth({
        ...opts.auth,
        logger: log.child({ part: "auth" }),
        certCNOf: (client) => infoOf(client)?.certCN,
        admit: (client, username) => clientLimits.admit(client, username),
        allowSubscription: (client, filter, who) => clientLimits.allowSubscription(client, filter, who),
        ...(onRefusal ? { onRefusal } : {}),
      })
    : undefined;
  const hooks: BrokerHooks = { ...auth?.hooks, ...opts.hooks };
  if (hooks.preConnect) aedes.preConnect = hooks.preConnect;
  if (hooks.authenticate) aedes.authenticate = hooks.authenticate;
  if (hooks.authorizePublish) aedes.authorizePublish = hooks.authorizePublish;
  if (hooks.authorizeSubscribe) aedes.authorizeSubscribe = hooks.authorizeSubscribe;
  if (!auth) {
    // Without auth hooks the filter limit still applies.
    const allow = aedes.authorizeSubscribe;
    aedes.authorizeSubscribe = (client, sub, cb) =>
      allow.call(aedes, client, sub, (err, granted) => cb(err, granted && clientLimits.allowSubscription(client, granted.topic, "anonymous") ? granted : null));
  }
  dedupeStoredCopies(aedes);
  const anonymous = !hooks.authenticate || opts.auth?.anonymous === true;
  if (anonymous) {
    log.warn(
      { anonymous: true },
      "ANONYMOUS ACCESS: clients without a username may connect, publish and subscribe to everything; for demos and labs only, never on the government network",
    );
  }
  aedes.on("unsubscribe", (filters, client) => clientLimits.unsubscribed(client, filters));
  aedes.on("clientError", (client, err) => log.warn({ client: client?.id, err: err.message }, "mqtt client error"));
  aedes.on("connectionError", (client, err) => log.warn({ client: client?.id, err: err.message }, "mqtt connection error"));
  aedes.on("client", (client) => log.debug({ client: client.id }, "mqtt client connected"));
  aedes.on("clientDisconnect", (client) => log.debug({ client: client.id }, "mqtt client disconnected"));

  const fleet = new FleetView(log.child({ part: "fleet" }));
  await fleet.start(aedes);

  let open = 0;
  const whoOf = (conn: GuardedConnection): Record<string, unknown> => {
    const client = (conn as unknown as { client?: Client }).client;
    return { clientId: client?.id ?? undefined, user: client ? auth?.userOf(client) : undefined, remoteAddress: conn.info.remoteAddress, listener: conn.info.listener };
  };
  const accept = (stream: Duplex, info: ConnectionInfo, req?: IncomingMessage) => {
    if (open >= limits.maxConnections) {
      limitLog.hit("max_connections", "all", { remoteAddress: info.remoteAddress, listener: info.listener, open }, "connection refused: the broker holds its maximum of connections");
      stream.destroy();
      return;
    }
    open += 1;
    const conn = new GuardedConnection(stream, info, {
      maxPacketBytes: limits.maxPacketBytes,
      messagesPerSecond: limits.messagesPerSecond,
      burst: limits.burst,
      clock,
      onRefused: (c, e) => {
        const who = whoOf(c);
        limitLog.hit(e.code === "too_large" ? "packet_too_large" : "malformed", String(who.user ?? who.remoteAddress), { ...who, bytes: e.bytes }, `connection closed: ${e.message}`);
      },
      onThrottled: (c) => {
        const who = whoOf(c);
        limitLog.hit("rate", String(who.user ?? who.clientId ?? who.remoteAddress), { ...who, messagesPerSecond: limits.messagesPerSecond }, "client over its message rate: reading paused until it is back under");
      },
    });
    conn.once("close", () => (open -= 1));
    conn.on("error", (err) => log.debug({ err: err.message }, "connection error"));
    const client = aedes.handle(conn, req);
    useExactDedupe(client, aedes.id);
    holdUntilConnected(client);
    if (store.durable) ackAfterStore(client, store.durable);
  };

  const listeners: Listening[] = [];
  const closeAll = async () => {
    for (const l of listeners) await l.close();
  };
  let tcp: Listening | undefined;
  let tlsL: Listening | undefined;
  let httpL: HttpListening | undefined;
  const metrics = createMetrics({
    aedes,
    fleet,
    denials: auth?.denials,
    limits: limitCounts,
    clients: () => clientsByRole(aedes, auth, infoOf),
  });
  try {
    if (opts.port !== false) listeners.push((tcp = await listenTcp({ host: opts.host ?? "0.0.0.0", port: opts.port ?? 1883 }, accept, log)));
    if (opts.tls) listeners.push((tlsL = await listenTls(opts.tls, accept, log, clock.now())));
    if (opts.http) {
      listeners.push((httpL = await listenHttp({ ...opts.http, console: opts.http.console !== false }, limits.maxPacketBytes + 64 * 1024, accept, log, clock.now())));
      if (opts.http.metrics) httpL.route("/metrics", metricsRoute(metrics, auth, anonymous, log));
      if (opts.http.console !== false) mountConsole(httpL, {
          mqttUrl: opts.http.websocketPath,
          logins: auth === undefined ? undefined : { users: opts.auth?.users ?? {}, verify: (u, p) => auth.verify(u, p) },
          history: false,
          logger: log.child({ part: "console" }),
        });
    }
  } catch (err) {
    await closeAll();
    security?.stop();
    metrics.stop();
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await store.close();
    throw err;
  }
  const main = tcp ?? tlsL ?? httpL;
  const host = main?.host ?? "0.0.0.0";
  const shownHost = host === "0.0.0.0" ? "127.0.0.1" : host;
  log.info({ store: store.description, limits }, "broker ready");

  let closing: Promise<void> | undefined;
  return {
    port: main?.port ?? 0,
    host,
    url: tcp ? `mqtt://${shownHost}:${tcp.port}` : tlsL ? `mqtts://${shownHost}:${tlsL.port}` : `ws://${shownHost}:${httpL?.port ?? 0}${opts.http?.websocketPath ?? ""}`,
    tls: tlsL,
    http: httpL,
    aedes,
    auth,
    limitCounts,
    clientLimits,
    metrics,
    fleet,
    store: store.description,
    storeStats: () => store.stats(),
    close() {
      closing ??= (async () => {
        const listenersClosed = closeAll();
        security?.stop();
        await fleet.stop(aedes);
        metrics.stop();
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        await listenersClosed;
        await store.close();
        log.info({ port: main?.port }, "broker stopped");
      })();
      return closing;
    },
  };
}

function securityEventsOf(aedes: Aedes, options: Partial<BrokerSecurityEvents> | undefined, clock: Clock, log: Logger): SecurityEvents | undefined {
  const o = brokerSecurityEventsSchema.parse(options ?? {});
  if (!o.enabled) return undefined;
  return new SecurityEvents({
    publish: (topic, payload) =>
      aedes.publish({ cmd: "publish", topic, payload, qos: 1, retain: false, dup: false }, (err) => {
        if (err) log.warn({ err: err.message }, "security event not published");
      }),
    broker: o.name ?? (hostname().replace(/[^\x21-\x7e]/g, "_").slice(0, 255) || "roomgate-broker"),
    clock,
    logger: log,
    ratePerSecond: o.ratePerSecond,
    burst: o.burst,
    summaryIntervalMs: o.summaryIntervalSec * 1000,
  });
}

/** Turns auth.ts's refusals into security events, with the connection's address and listener. */
function refusalReporter(security: SecurityEvents, infoOf: (c: Client) => ConnectionInfo | undefined): NonNullable<BrokerAuthOptions["onRefusal"]> {
  return (client, r) => {
    const info = infoOf(client);
    const conn = {
      ...(client.id ? { clientId: client.id } : {}),
      ...(info?.remoteAddress !== undefined ? { remoteAddress: info.remoteAddress } : {}),
      ...(info ? { listener: info.listener } : {}),
    };
    const who = { ...(r.user !== undefined ? { user: r.user } : {}) };
    const source = r.user ?? info?.remoteAddress ?? "unknown";
    if (r.kind === "connect") security.authFailed({ reason: r.reason, ...who, ...(r.unknownUser ? { unknownUser: true } : {}), ...conn }, source);
    else security.aclDenied({ access: r.kind, topic: r.topic, ...who, role: r.role, ...conn }, source);
  };
}

function clientsByRole(aedes: Aedes, auth: BrokerAuth | undefined, infoOf: (c: Client) => ConnectionInfo | undefined) {
  const counts = new Map<string, { role: string; listener: ListenerKind; count: number }>();
  const clients = (aedes as unknown as { clients: Record<string, Client> }).clients;
  for (const client of Object.values(clients)) {
    const role = auth?.roleOf(client) ?? "anonymous";
    const listener = infoOf(client)?.listener ?? "tcp";
    const key = `${role}/${listener}`;
    const entry = counts.get(key) ?? { role, listener, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  return [...counts.values()];
}

/**
 * GET /metrics: Prometheus text. HTTP basic auth of a monitor or admin user (same scrypt check as
 * MQTT); open only on an anonymous broker.
 */
function metricsRoute(metrics: BrokerMetrics, auth: BrokerAuth | undefined, anonymous: boolean, log: Logger) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (!anonymous || auth !== undefined) {
      const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.headers.authorization ?? "");
      const decoded = m ? Buffer.from(m[1]!, "base64").toString("utf8") : "";
      const colon = decoded.indexOf(":");
      const role = colon > 0 && auth ? await auth.verify(decoded.slice(0, colon), decoded.slice(colon + 1)) : undefined;
      const allowed = role === "monitor" || role === "admin" || (anonymous && m === null);
      if (!allowed) {
        log.warn({ path: "/metrics", user: role ? decoded.slice(0, colon) : undefined, remoteAddress: req.socket.remoteAddress }, "metrics request refused");
        res.writeHead(401, { "www-authenticate": 'Basic realm="roomgate broker metrics"', "content-type": "text/plain; charset=utf-8" }).end("a monitor or admin user is required\n");
        return;
      }
    }
    const { body, contentType } = await metrics.render();
    res.writeHead(200, { "content-type": contentType }).end(req.method === "HEAD" ? undefined : body);
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, clock: Clock, message: string): Promise<T> {
  let timer: ReturnType<Clock["setTimeout"]> | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = clock.setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
    }),
  ]).finally(() => clock.clearTimeout(timer));
}
