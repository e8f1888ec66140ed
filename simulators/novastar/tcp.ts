/**
 * The NovaStar controller on TCP (5200 on real hardware; port 0 = ephemeral in tests). Each
 * connection has its own framer; replies go back on the connection that asked. `unplug` closes the
 * listener and every connection (the agent sees the peer vanish, then connection refused);
 * `replug` listens again on the same port.
 */
import type { Socket } from "node:net";
import type { Logger } from "../../drivers/types.js";
import { NovaFrameSplitter } from "../../drivers/novastar/framer.js";
import { startTcpListener } from "../tcp-endpoint.js";
import { NovastarController, type ControllerOptions, type NovastarFaults } from "./controller.js";
import { ErrorLog } from "./errors.js";

export interface TcpControllerOptions extends ControllerOptions {
  host?: string;
  /** 0 = an ephemeral port (kept for replug). */
  port: number;
  logger?: Logger;
}

export interface TcpControllerHandle {
  readonly controller: NovastarController;
  readonly faults: NovastarFaults;
  readonly host: string;
  readonly port: number;
  readonly errors: readonly Error[];
  /** Requests that arrived with a bad checksum (dropped, as the controller would). */
  readonly badRequests: number;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
  describe(): string;
}

export async function startTcpController(options: TcpControllerOptions): Promise<TcpControllerHandle> {
  const host = options.host ?? "127.0.0.1";
  const controller = new NovastarController(options);
  const errors = new ErrorLog(options.logger, { sim: "novastar", link: `tcp:${host}:${options.port}` });
  let badRequests = 0;

  function onConnection(socket: Socket): void {
    const framer = new NovaFrameSplitter("request");
    framer.onBad = (_bytes, reason) => {
      if (reason === "checksum") badRequests++;
    };
    socket.on("data", (chunk: Buffer) => {
      for (const req of framer.push(chunk)) {
        try {
          controller.handle(req, (bytes) => {
            if (!socket.destroyed) socket.write(bytes, (err) => err && errors.add(err, "write failed"));
          });
        } catch (err) {
          // A model bug must not take the simulator (or the process) down: keep it visible instead.
          errors.add(err, "controller failed on a request");
        }
      }
    });
  }

  const listener = await startTcpListener({ host, port: options.port, errors, onConnection });
  let closed: Promise<void> | undefined;
  return {
    controller,
    faults: controller.faults,
    host,
    get port() {
      return listener.port;
    },
    get errors() {
      return errors.list;
    },
    get badRequests() {
      return badRequests;
    },
    unplug: () => listener.unplug(),
    replug: () => listener.replug(),
    close() {
      closed ??= (async () => {
        controller.close();
        await listener.close();
      })();
      return closed;
    },
    describe() {
      return `novastar tcp ${host}:${listener.port} model ${controller.model.modelId} ${listener.plugged ? "plugged" : "unplugged"}`;
    },
  };
}
