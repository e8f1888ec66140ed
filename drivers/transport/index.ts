/**
 * Builds transports from a spec. Each kind is loaded with a dynamic import, so a site without
 * serial devices never loads serialport and its native binding (the agent must stay < 64 MB RSS).
 */
import type { Clock, Logger } from "../types.js";
import { TransportError, type BackoffOptions, type Transport } from "./types.js";

export { TransportError };
export type { HttpEndpoint } from "./http.js";
export type { BackoffOptions, Transport, TransportKind, TransportState, TransportStatus } from "./types.js";

export type TransportSpec =
  | {
      type: "serial";
      path: string;
      baudRate: number;
      dataBits?: 5 | 6 | 7 | 8;
      parity?: "none" | "even" | "odd";
      stopBits?: 1 | 2;
    }
  | { type: "tcp"; host: string; port: number }
  | { type: "udp"; host: string; port: number; localPort?: number; localAddress?: string }
  | { type: "http"; host: string; port: number; path?: string; tls?: boolean }
  | { type: "ssh"; host: string; port: number; username: string; password?: string | undefined; passwordFile?: string | undefined; hostFingerprint?: string | undefined; keepaliveMs?: number | undefined };

export interface CreateTransportDeps {
  clock: Clock;
  logger: Logger;
  backoff?: BackoffOptions;
}

/**
 * A transport for `spec`, constructed but not opened. Rejects with a TransportError `bad_config`
 * when the spec (or the backoff options) can never work.
 */
export async function createTransport(spec: TransportSpec, deps: CreateTransportDeps): Promise<Transport> {
  switch (spec.type) {
    case "serial": {
      const { SerialTransport } = await import("./serial.js");
      const { type: _type, ...opts } = spec;
      return new SerialTransport(opts, deps);
    }
    case "tcp": {
      const { TcpTransport } = await import("./tcp.js");
      return new TcpTransport({ host: spec.host, port: spec.port }, deps);
    }
    case "udp": {
      const { UdpTransport } = await import("./udp.js");
      const { type: _type, ...opts } = spec;
      return new UdpTransport(opts, deps);
    }
    case "http": {
      const { HttpEndpoint } = await import("./http.js");
      const { type: _type, ...opts } = spec;
      return new HttpEndpoint(opts);
    }
    case "ssh": {
      const { SshTransport } = await import("./ssh.js");
      const { type: _type, ...opts } = spec;
      return new SshTransport(definedOnly(opts), deps);
    }
    default: {
      const type = (spec as { type?: unknown }).type;
      throw new TransportError("bad_config", `transport.type: expected serial|tcp|udp|http|ssh; got ${String(type)}`);
    }
  }
}

export interface SerialPortEntry {
  path: string;
  manufacturer?: string;
}

/** What serialport's `SerialPort.list()` returns, reduced to what we use. */
export type SerialLister = () => Promise<Array<{ path: string; manufacturer?: string | undefined }>>;

/**
 * The serial ports of this machine, for `roomgate` setup screens. serialport lists ports on Linux
 * by running `udevadm`, which minimal images lack (`spawn udevadm ENOENT`): then there is
 * nothing to list, and the warning says so instead of failing. `lister` is for tests.
 */
export async function listSerialPorts(
  lister?: SerialLister,
): Promise<{ ports: SerialPortEntry[]; warning?: string }> {
  try {
    let list = lister;
    if (!list) {
      const { SerialPort } = await import("serialport");
      list = () => SerialPort.list();
    }
    const found = await list();
    const ports = found.map((p) => (p.manufacturer ? { path: p.path, manufacturer: p.manufacturer } : { path: p.path }));
    return { ports };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e?.code === "ENOENT" || /udevadm/.test(String(e?.message))) {
      return {
        ports: [],
        warning: "cannot list serial ports: udevadm not found (install udev, or give the device path, e.g. /dev/ttyUSB0, by hand)",
      };
    }
    return { ports: [], warning: `cannot list serial ports: ${e?.message ?? String(err)}` };
  }
}

/** `o` without the keys whose value is undefined (zod leaves optional keys present but undefined). */
function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
