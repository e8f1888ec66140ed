/**
 * The MDC chain behind a TCP port (1515 on a real display; 127.0.0.1 port 0 in tests).
 * Each connection frames its own bytes. With `secured` on, the port behaves like secured-protocol
 * firmware: it greets every connection with `MDCSTART<<TLS>>` and then waits for TLS, so plain
 * MDC requests get no answer. Unplug closes the listener and every connection; replug listens
 * again on the same port.
 */
import net from "node:net";
import { MdcFrameSplitter } from "../../drivers/samsung-mdc/framer.js";
import type { MdcChain } from "./chain.js";
import type { ErrorLog } from "./errors.js";

/** The banner of secured firmware, written out here (not imported) so a driver bug cannot hide. */
export const SECURED_BANNER = Buffer.from("MDCSTART<<TLS>>", "latin1");

export interface TcpEndpoint {
  readonly port: number;
  readonly plugged: boolean;
  secured: boolean;
  /** Live connections (for tests). */
  readonly connections: number;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpEndpoint(chain: MdcChain, host: string, port: number, errors: ErrorLog): Promise<TcpEndpoint> {
  const sockets = new Set<net.Socket>();
  let secured = false;
  let server: net.Server | undefined;
  let boundPort = port;

  function onConnection(socket: net.Socket): void {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("error", (err) => errors.add(err, "socket error"));
    socket.once("close", () => sockets.delete(socket));
    if (secured) {
      socket.write(SECURED_BANNER);
      socket.on("data", () => undefined); // waits for a TLS ClientHello that a plain client never sends
      return;
    }
    const splitter = new MdcFrameSplitter("request");
    socket.on("data", (chunk: Buffer) => {
      for (const frame of splitter.push(chunk)) {
        try {
          chain.request(frame, (bytes) => {
            if (!socket.destroyed) socket.write(bytes);
          });
        } catch (err) {
          errors.add(err, "display failed on a request"); // a model bug must not take the process down
        }
      }
    });
  }

  async function listen(): Promise<void> {
    const s = net.createServer(onConnection);
    s.on("error", (err) => errors.add(err, "server error"));
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen({ host, port: boundPort }, () => {
        s.off("error", reject);
        resolve();
      });
    });
    boundPort = (s.address() as net.AddressInfo).port;
    server = s;
  }

  async function dropAll(): Promise<void> {
    chain.cancelPending();
    await Promise.all(
      [...sockets].map((sock) => new Promise<void>((resolve) => {
        if (sock.destroyed) return resolve();
        sock.once("close", () => resolve());
        sock.destroy();
      })),
    );
  }

  async function unplug(): Promise<void> {
    const s = server;
    server = undefined;
    const closed = s ? new Promise<void>((resolve) => s.close(() => resolve())) : Promise.resolve();
    await dropAll();
    await closed;
  }

  await listen();
  let closing: Promise<void> | undefined;
  return {
    get port() {
      return boundPort;
    },
    get plugged() {
      return server !== undefined;
    },
    get connections() {
      return sockets.size;
    },
    get secured() {
      return secured;
    },
    set secured(on: boolean) {
      if (on === secured) return;
      secured = on;
      // The display restarts its MDC server when the setting changes: clients must reconnect.
      void dropAll();
    },
    unplug,
    async replug() {
      if (server !== undefined) return;
      await listen();
    },
    close() {
      closing ??= unplug();
      return closing;
    },
  };
}
