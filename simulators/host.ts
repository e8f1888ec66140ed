/**
 * A stand-in for a network host a room needs (the conference bridge): a TCP listener on the host's
 * address and port, so the readiness host check has something real to connect to. `unplug` takes
 * it off the network (connections are refused), `replug` brings it back. It speaks nothing: the
 * check only times the TCP handshake.
 *
 * `silent`, `garbage` and `slow` are refused, not pretended: the kernel answers the handshake, so a
 * user-space listener on loopback can neither delay nor drop it (a full accept queue only turns into
 * SYN retransmissions of 1 s, 3 s, ... or a time-out). A slow path to the host is a slow network, so
 * the tests give the agent a slower one (test/helpers/net.ts, slowLink).
 */
import net from "node:net";
import type { CommonFaults, SimHandle } from "./types.js";

function cannot(what: string): never {
  throw new Error(`the host stand-in cannot ${what}: the kernel answers its TCP handshake; use unplug for a host that is down`);
}

/** The common fault switches, always off; setting one throws (`roomgate sim` answers "refused: ..."). */
const noFaults: CommonFaults = {
  get silent() {
    return false;
  },
  set silent(_: boolean) {
    cannot("go silent");
  },
  get garbage() {
    return false;
  },
  set garbage(_: boolean) {
    cannot("send garbage");
  },
  get slowMs() {
    return 0;
  },
  set slowMs(_: number) {
    cannot("answer slowly");
  },
};

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
    faults: noFaults,
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
