/**
 * A stand-in for a network host a room needs (the conference bridge): a TCP listener on the host's
 * address and port, so the readiness host check has something real to connect to. `unplug` takes
 * it off the network (connections are refused), `replug` brings it back. It speaks nothing: the
 * check only times the TCP handshake.
 */
import net from "node:net";
import type { SimHandle } from "./types.js";

export async function startHostSimulator(host: string, port: number): Promise<SimHandle & { readonly port: number }> {
  const sockets = new Set<net.Socket>();
  const errors: Error[] = [];
  let server: net.Server | undefined;
  let bound = port;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((sock) => {
        sockets.add(sock);
        sock.on("error", (e) => errors.length < 20 && errors.push(e));
        sock.on("close", () => sockets.delete(sock));
        sock.end();
      });
      s.once("error", reject);
      s.listen(bound, host, () => {
        bound = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const close = async () => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    protocol: "host",
    faults: { silent: false, garbage: false, slowMs: 0 },
    errors,
    get port() {
      return bound;
    },
    unplug: close,
    replug: async () => {
      if (!server) await listen();
    },
    close,
    describe: () => `tcp ${host}:${bound} ${server ? "listening" : "unplugged"}`,
  };
}
