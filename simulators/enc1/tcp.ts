/**
 * The encryptor's status port on TCP (127.0.0.1 port 0 in tests). Every connection hears the
 * heartbeats, status and alarm lines; a query is answered on the connection that asked.
 * Unplug closes the listener and every connection; replug listens again on the same port.
 */
import net from "node:net";
import type { Enc1Device } from "./device.js";
import type { ErrorLog } from "./errors.js";

export interface TcpEndpoint {
  readonly port: number;
  readonly plugged: boolean;
  readonly connections: number;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpEndpoint(device: Enc1Device, host: string, port: number, errors: ErrorLog): Promise<TcpEndpoint> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let boundPort = port;

  device.sink = (bytes, to) => {
    const targets = to === undefined ? [...sockets] : sockets.has(to as net.Socket) ? [to as net.Socket] : [];
    for (const s of targets) if (!s.destroyed) s.write(bytes);
  };

  function onConnection(socket: net.Socket): void {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("error", (err) => errors.add(err, "socket error"));
    socket.once("close", () => sockets.delete(socket));
    socket.on("data", (chunk: Buffer) => {
      try {
        device.receive(chunk, socket);
      } catch (err) {
        errors.add(err, "device failed on a request"); // a model bug must not take the process down
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

  async function unplug(): Promise<void> {
    const s = server;
    server = undefined;
    const closed = s ? new Promise<void>((resolve) => s.close(() => resolve())) : Promise.resolve();
    await Promise.all(
      [...sockets].map((sock) => new Promise<void>((resolve) => {
        if (sock.destroyed) return resolve();
        sock.once("close", () => resolve());
        sock.destroy();
      })),
    );
    device.resetInput();
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
