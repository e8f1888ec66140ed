import { createSocket } from "node:dgram";

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
