/**
 * The central broker: aedes on TCP.
 *
 * Users, roles and ACLs come with the `auth` option (broker/auth.ts: scrypt passwords, ACLs from
 * broker/acl.ts). Without it the broker is anonymous and open to everyone, as the demo and most tests
 * want, and says so loudly in the log. `hooks` installs raw aedes hooks instead (or on top).
 */
import net from "node:net";
import type { AddressInfo } from "node:net";
import { Aedes } from "aedes";
import type { AedesOptions } from "aedes";
import type { Logger } from "../drivers/types.js";
import { createBrokerAuth, type BrokerAuth, type BrokerAuthOptions } from "./auth.js";

export interface BrokerHooks {
  preConnect?: Aedes["preConnect"];
  authenticate?: Aedes["authenticate"];
  authorizePublish?: Aedes["authorizePublish"];
  authorizeSubscribe?: Aedes["authorizeSubscribe"];
}

export interface BrokerOptions {
  host?: string;
  /** 0 picks a free port (tests). Default 1883. */
  port?: number;
  logger: Logger;
  /** Users and anonymous access (the broker file's `users` / `anonymous`). */
  auth?: Omit<BrokerAuthOptions, "logger">;
  hooks?: BrokerHooks;
  aedes?: AedesOptions;
}

export interface RunningBroker {
  readonly port: number;
  readonly host: string;
  readonly url: string;
  readonly aedes: Aedes;
  /** Present with the `auth` option: verified users and the denial counters. */
  readonly auth: BrokerAuth | undefined;
  /** Stops accepting, disconnects every client, closes aedes. Idempotent. */
  close(): Promise<void>;
}

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const log = opts.logger;
  const aedes = await Aedes.createBroker({
    // Client ids like `roomgate-agent-district-07` exceed MQTT 3.1's 23 characters.
    maxClientsIdLength: 128,
    drainTimeout: 30_000,
    ...opts.aedes,
  });
  const auth = opts.auth ? createBrokerAuth({ ...opts.auth, logger: log.child({ part: "auth" }) }) : undefined;
  const hooks: BrokerHooks = { ...auth?.hooks, ...opts.hooks };
  if (hooks.preConnect) aedes.preConnect = hooks.preConnect;
  if (hooks.authenticate) aedes.authenticate = hooks.authenticate;
  if (hooks.authorizePublish) aedes.authorizePublish = hooks.authorizePublish;
  if (hooks.authorizeSubscribe) aedes.authorizeSubscribe = hooks.authorizeSubscribe;
  if (!hooks.authenticate || opts.auth?.anonymous === true) {
    log.warn(
      { anonymous: true },
      "ANONYMOUS ACCESS: clients without a username may connect, publish and subscribe to everything; for demos and labs only, never on the government network",
    );
  }

  aedes.on("clientError", (client, err) => log.warn({ client: client?.id, err: err.message }, "mqtt client error"));
  aedes.on("connectionError", (client, err) => log.warn({ client: client?.id, err: err.message }, "mqtt connection error"));
  aedes.on("client", (client) => log.debug({ client: client.id }, "mqtt client connected"));
  aedes.on("clientDisconnect", (client) => log.debug({ client: client.id }, "mqtt client disconnected"));

  // noDelay: small MQTT packets must not wait for Nagle's algorithm (tens of ms per command).
  const server = net.createServer({ noDelay: true }, (socket) => aedes.handle(socket));
  const sockets = new Set<net.Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", (err) => log.debug({ err: err.message }, "broker socket error"));
  });
  const host = opts.host ?? "0.0.0.0";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 1883, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (err) => log.error({ err: err.message }, "broker listener error"));
  const port = (server.address() as AddressInfo).port;
  const shownHost = host === "0.0.0.0" ? "127.0.0.1" : host;
  log.info({ host, port }, "broker listening");

  let closing: Promise<void> | undefined;
  return {
    port,
    host,
    url: `mqtt://${shownHost}:${port}`,
    aedes,
    auth,
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        await serverClosed;
        log.info({ port }, "broker stopped");
      })();
      return closing;
    },
  };
}
