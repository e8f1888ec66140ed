/**
 * The encryptor's status port on TCP (127.0.0.1 port 0 in tests). Every connection hears the
 * heartbeats, status and alarm lines; a query is answered on the connection that asked.
 * Unplug closes the listener and every connection; replug listens again on the same port.
 */
import type { Socket } from "node:net";
import { startTcpListener } from "../tcp-endpoint.js";
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
  const sockets = new Set<Socket>();

  device.sink = (bytes, to) => {
    const targets = to === undefined ? [...sockets] : sockets.has(to as Socket) ? [to as Socket] : [];
    for (const s of targets) if (!s.destroyed) s.write(bytes);
  };

  return startTcpListener({
    host,
    port,
    errors,
    onConnection(socket) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      socket.on("data", (chunk: Buffer) => {
        try {
          device.receive(chunk, socket);
        } catch (err) {
          errors.add(err, "device failed on a request"); // a model bug must not take the process down
        }
      });
    },
    onDrop: () => device.resetInput(),
  });
}
