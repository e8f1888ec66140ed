/**
 * Reachability and round-trip time of a network host the room needs (the conference bridge, a
 * gatekeeper): TCP connections to a port it serves, timed from the attempt to the handshake.
 *
 * Why TCP and not ICMP ping: the agent runs unprivileged and Node has no ICMP sockets; a TCP connect
 * needs no privilege, passes the same firewalls the session's traffic does, and proves the service
 * listens, which a ping does not. The handshake is one network round trip, so its time is the RTT.
 */
import net from "node:net";
import type { Clock } from "../../drivers/types.js";
import { DeviceError } from "../../drivers/types.js";
import type { HostCheck } from "../../config/readiness.js";
import type { ReadinessItem } from "../../drivers/readiness.js";

/** One timed connection: resolves with the connect time in ms, rejects with a DeviceError. */
export type Connect = (host: string, port: number, timeoutMs: number) => Promise<number>;

/** The real probe: a TCP connection, closed as soon as it is up. */
export function tcpConnect(clock: Clock): Connect {
  return (host, port, timeoutMs) =>
    new Promise((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const socket = net.connect({ host, port });
      const done = (err: DeviceError | null) => {
        clock.clearTimeout(timer);
        socket.removeAllListeners();
        socket.on("error", () => undefined); // a late error after destroy has nobody to tell
        socket.destroy();
        if (err) reject(err);
        else resolve(Number(process.hrtime.bigint() - t0) / 1e6);
      };
      const timer = clock.setTimeout(() => done(new DeviceError("timeout", `no TCP answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
      socket.once("connect", () => done(null));
      socket.once("error", (e: NodeJS.ErrnoException) => done(new DeviceError("not_connected", `${host}:${port}: ${e.code ?? e.message}`, { errno: e.code })));
    });
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Probes a host `count` times and judges the median against its thresholds. */
export async function checkHost(id: string, h: HostCheck, connect: Connect): Promise<ReadinessItem> {
  const name = `${id} (${h.host}:${h.port}) reachable, RTT <= ${h.maxRttMs} ms`;
  const base = { key: "rtt", name, expected: { maxRttMs: h.maxRttMs, ...(h.warnRttMs !== undefined ? { warnRttMs: h.warnRttMs } : {}) } };
  const times: number[] = [];
  for (let i = 0; i < h.count; i++) {
    try {
      times.push(await connect(h.host, h.port, h.timeoutMs));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const fix = `check the network path to ${h.host} (cable, VLAN, firewall) and that the service on port ${h.port} runs`;
      return { ...base, result: "fail", code: "unreachable", message, fix, actual: null };
    }
  }
  const median = round([...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!);
  const actual = { rttMs: median, samples: times.map(round) };
  const slowFix = `the path to ${h.host} is slow: check the link's load and quality with the network team`;
  if (median > h.maxRttMs) return { ...base, result: "fail", code: "slow_host", message: `RTT ${median} ms is above ${h.maxRttMs} ms`, fix: slowFix, actual };
  if (h.warnRttMs !== undefined && median > h.warnRttMs) {
    return { ...base, result: "warn", code: "slow_host", message: `RTT ${median} ms is above ${h.warnRttMs} ms (warn)`, fix: slowFix, actual };
  }
  return { ...base, result: "pass", message: `RTT ${median} ms`, actual };
}
