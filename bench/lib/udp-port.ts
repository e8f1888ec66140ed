import { createSocket } from "node:dgram";
import net from "node:net";

/**
 * A UDP port free now on loopback, for a listener another process binds later (the agent's trap
 * port). The kernel picks it; a bench runs alone, so the window in which someone else takes it is
 * not worth more machinery (tests use test/helpers/net.ts freePort instead).
 */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    s.once("error", reject);
    s.bind(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (the same caveat). */
export async function freeTcpPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => srv.listen(0, "127.0.0.1", resolve).once("error", reject));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
