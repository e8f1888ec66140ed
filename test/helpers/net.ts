import net from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import type { Connect } from "../../agent/readiness/hosts.js";
import { DeviceError } from "../../drivers/types.js";

/** A TCP port free on loopback right now (the kernel picks it). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/**
 * A network path to the rooms' hosts `latencyMs()` slower than loopback, for the agent's host probe
 * (a slow WAN to the conference bridge). A TCP handshake on loopback is answered by the kernel at
 * once, so no simulator can be slow at it: the path is. Each connect waits the extra round trip,
 * then makes the real connection; the time reported is the whole. A path slower than the probe's
 * time-out times out, as a real one would.
 */
export function slowLink(connect: Connect, latencyMs: () => number): Connect {
  return async (host, port, timeoutMs) => {
    const extra = latencyMs();
    if (extra >= timeoutMs) {
      await delay(timeoutMs);
      throw new DeviceError("timeout", `no TCP answer from ${host}:${port} within ${timeoutMs} ms`);
    }
    if (extra > 0) await delay(extra);
    return extra + (await connect(host, port, timeoutMs - extra));
  };
}
