/**
 * The plumbing every TCP simulator endpoint shares, as `startSerialLine` and `startSshEndpoint` are
 * for their links: a listener whose port is kept across unplug/replug (port 0 picks one, once), the
 * connections it accepted, unplug (the listener goes and every connection is cut: the agent sees
 * the peer vanish, then connection refused), replug on the same port, a close that unplugs once,
 * and every socket or server error kept in the endpoint's log, never thrown. What the device says
 * on a connection stays with each simulator.
 */
import net from "node:net";
import type { ErrorSink } from "./serial-endpoint.js";

export interface TcpListenerOptions {
  host: string;
  /** 0: a port the kernel picks, kept for replug. */
  port: number;
  errors: ErrorSink;
  /** Names the link in the error log ("telnet" logs "telnet socket error"). */
  label?: string;
  /**
   * A new connection, its error handler attached; `open` is how many were open before it. Return
   * `false` to refuse it (the simulator ends it): a refused connection is not counted.
   */
  onConnection(socket: net.Socket, open: number): boolean | void;
  /** Every time the connections are cut (unplug, drop), after they are: drop what was pending for them. */
  onDrop?(): void;
}

export interface TcpListener {
  readonly port: number;
  readonly plugged: boolean;
  /** Connections open now. */
  readonly connections: number;
  /** The listener goes and every connection is cut; resolves once all are closed. */
  unplug(): Promise<void>;
  /** Listens again on the same port (nothing when plugged). */
  replug(): Promise<void>;
  /** Cuts every connection but keeps listening (a device restarting its server). */
  drop(): Promise<void>;
  /** Unplugs, once; a second call waits for the first. */
  close(): Promise<void>;
}

export async function startTcpListener(opts: TcpListenerOptions): Promise<TcpListener> {
  const prefix = opts.label ? `${opts.label} ` : "";
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let bound = opts.port;

  function onConnection(socket: net.Socket): void {
    socket.on("error", (err) => opts.errors.add(err, `${prefix}socket error`));
    socket.setNoDelay(true);
    if (opts.onConnection(socket, sockets.size) === false) return;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  }

  async function listen(): Promise<void> {
    const s = net.createServer(onConnection);
    s.on("error", (err) => opts.errors.add(err, `${prefix}server error`));
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen({ host: opts.host, port: bound }, () => {
        s.off("error", reject);
        resolve();
      });
    });
    bound = (s.address() as net.AddressInfo).port;
    server = s;
  }

  function drop(): Promise<void> {
    const all = [...sockets].map(
      (sock) =>
        new Promise<void>((resolve) => {
          if (sock.destroyed) return resolve();
          sock.once("close", () => resolve());
          sock.destroy();
        }),
    );
    opts.onDrop?.();
    return Promise.all(all).then(() => undefined);
  }

  async function unplug(): Promise<void> {
    const s = server;
    server = undefined;
    const closed = s ? new Promise<void>((resolve) => s.close(() => resolve())) : Promise.resolve();
    await drop();
    await closed;
  }

  await listen();
  let closing: Promise<void> | undefined;
  return {
    get port() {
      return bound;
    },
    get plugged() {
      return server !== undefined;
    },
    get connections() {
      return sockets.size;
    },
    unplug,
    async replug() {
      if (server === undefined) await listen();
    },
    drop,
    close() {
      closing ??= unplug();
      return closing;
    },
  };
}
