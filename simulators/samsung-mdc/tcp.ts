/**
 * The MDC chain behind a TCP port (1515 on a real display; 127.0.0.1 port 0 in tests).
 * Each connection frames its own bytes. With `secured` on, the port behaves like secured-protocol
 * firmware: it greets every connection with `MDCSTART<<TLS>>` and then waits for TLS, so plain
 * MDC requests get no answer. Unplug closes the listener and every connection; replug listens
 * again on the same port.
 */
import type { Socket } from "node:net";
import { MdcFrameSplitter } from "../../drivers/samsung-mdc/framer.js";
import { startTcpListener } from "../tcp-endpoint.js";
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
  let secured = false;

  function onConnection(socket: Socket): void {
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

  const listener = await startTcpListener({ host, port, errors, onConnection, onDrop: () => chain.cancelPending() });
  return {
    get port() {
      return listener.port;
    },
    get plugged() {
      return listener.plugged;
    },
    get connections() {
      return listener.connections;
    },
    get secured() {
      return secured;
    },
    set secured(on: boolean) {
      if (on === secured) return;
      secured = on;
      // The display restarts its MDC server when the setting changes: clients must reconnect.
      void listener.drop();
    },
    unplug: () => listener.unplug(),
    replug: () => listener.replug(),
    close: () => listener.close(),
  };
}
