import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import net from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import type { Connect } from "../../agent/readiness/hosts.js";
import { DeviceError } from "../../drivers/types.js";

/**
 * A port free on loopback (TCP and UDP) for a server a test starts later by number: Mosquitto,
 * redis-server, a demo in its own process.
 *
 * Not one the kernel picks: a port handed out by listen(0) and released is back in the ephemeral
 * range at once, where any other test's connect() or listen(0) may take it before our server binds
 * it (seen: a demo's simulator failing with EADDRINUSE while three test files ran side by side). So
 * ports come from below the kernel's ephemeral range, in a band of their own per vitest worker
 * (VITEST_POOL_ID), each checked bindable first. Servers started in-process bind 0 instead.
 */
export async function freePort(): Promise<number> {
  const band = portBand();
  if (band === undefined) return kernelPort();
  for (let i = 0; i < BAND_SIZE; i++) {
    const port = band.start + (band.next++ % BAND_SIZE);
    if ((await bindable(port, "tcp")) && (await bindable(port, "udp"))) return port;
  }
  throw new Error(`no free port in ${band.start}..${band.start + BAND_SIZE - 1}`);
}

const BAND_SIZE = 500;
const BANDS_FROM = 20_000;
let band: { start: number; next: number } | null | undefined;

/** This worker's band, or undefined when the bands would reach the ephemeral range. */
function portBand(): { start: number; next: number } | undefined {
  if (band !== undefined) return band ?? undefined;
  const pool = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? "1");
  const start = BANDS_FROM + ((Number.isInteger(pool) && pool > 0 ? pool - 1 : process.pid) % 24) * BAND_SIZE;
  let ephemeralFrom = 32_768;
  try {
    ephemeralFrom = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
  } catch {
    // No /proc (not Linux): assume the IANA range starts above ours.
    ephemeralFrom = 49_152;
  }
  band = start + BAND_SIZE <= ephemeralFrom ? { start, next: 0 } : null;
  return band ?? undefined;
}

function bindable(port: number, proto: "tcp" | "udp"): Promise<boolean> {
  return new Promise((resolve) => {
    if (proto === "udp") {
      const s = createSocket("udp4");
      s.once("error", () => (s.close(), resolve(false)));
      s.bind(port, "127.0.0.1", () => s.close(() => resolve(true)));
      return;
    }
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host: "127.0.0.1", exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function kernelPort(): Promise<number> {
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
