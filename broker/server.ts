/**
 * The central broker: aedes on TCP.
 *
 * Authentication and ACLs arrive in a later issue; the hook points are the `hooks` option
 * (authenticate / authorizePublish / authorizeSubscribe), installed on aedes when given, so the
 * broker issue only has to supply them.
 */
import net from "node:net";
import type { AddressInfo } from "node:net";
import { Aedes } from "aedes";
import type { AedesOptions } from "aedes";
import type { Logger } from "../drivers/types.js";

export interface BrokerHooks {
  authenticate?: Aedes["authenticate"];
  authorizePublish?: Aedes["authorizePublish"];
  authorizeSubscribe?: Aedes["authorizeSubscribe"];
}

export interface BrokerOptions {
  host?: string;
  /** 0 picks a free port (tests). Default 1883. */
  port?: number;
  logger: Logger;
  hooks?: BrokerHooks;
  aedes?: AedesOptions;
}

export interface RunningBroker {
  readonly port: number;
  readonly host: string;
  readonly url: string;
  readonly aedes: Aedes;
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
  if (opts.hooks?.authenticate) aedes.authenticate = opts.hooks.authenticate;
  if (opts.hooks?.authorizePublish) aedes.authorizePublish = opts.hooks.authorizePublish;
  if (opts.hooks?.authorizeSubscribe) aedes.authorizeSubscribe = opts.hooks.authorizeSubscribe;

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
