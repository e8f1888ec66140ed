/**
 * Where a site's simulators listen, whether those places are free, and the same site moved onto
 * free ones: so `roomgate demo` can say exactly what is taken before it starts anything (a second
 * demo beside a running one, a real broker on 1883), and can run beside it with `--free-ports`.
 * Tests use `relocateSite` for the same reason: their own ports and paths, never the example's.
 */
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import path from "node:path";
import type { SiteConfig } from "../config/site.js";

/** One place a simulator (or the demo's broker) will take. */
export type Endpoint =
  | { what: string; proto: "tcp" | "udp"; host: string; port: number }
  | { what: string; proto: "serial"; path: string };

type DeviceEntry = SiteConfig["devices"][string];

/** A simulated switch whose traps go to the agent's `trapPort` (a port the agent binds, not the simulator). */
export function hasTrapPort(dev: DeviceEntry): boolean {
  return dev.protocol === "snmp" && typeof (dev.options as { trapPort?: unknown }).trapPort === "number";
}

/** The switch with its traps on `port`: the driver's `trapPort`, and the simulator's `trapTarget` when it names one. */
export function withTrapPort(dev: DeviceEntry, port: number): DeviceEntry {
  const sim = dev.simulator;
  const target = sim?.options.trapTarget as { host?: string; port?: number } | undefined;
  return {
    ...dev,
    options: { ...dev.options, trapPort: port },
    ...(sim && target ? { simulator: { ...sim, options: { ...sim.options, trapTarget: { ...target, port } } } } : {}),
  };
}

/**
 * The endpoints of every simulated device and simulated readiness host of `config`, and the trap
 * ports its agent binds for simulated switches (the demo runs that agent too).
 */
export function simulatorEndpoints(config: SiteConfig): Endpoint[] {
  const out: Endpoint[] = [];
  for (const [id, dev] of Object.entries(config.devices)) {
    if (!dev.simulator?.enabled) continue;
    const t = dev.transport;
    const what = `${id}'s simulator`;
    if (t.type === "serial") out.push({ what, proto: "serial", path: t.path });
    else out.push({ what, proto: t.type === "udp" ? "udp" : "tcp", host: t.host, port: t.port });
    if (hasTrapPort(dev)) {
      const o = dev.options as { trapPort: number; trapAddress?: string };
      out.push({ what: `the agent's trap receiver for ${id} (options.trapPort)`, proto: "udp", host: o.trapAddress ?? "0.0.0.0", port: o.trapPort });
    }
  }
  for (const room of Object.values(config.rooms ?? {})) {
    for (const [id, h] of Object.entries(room.profile?.hosts ?? {})) {
      if (h.simulator?.enabled) out.push({ what: `the simulated host ${id}`, proto: "tcp", host: h.host, port: h.port });
    }
  }
  return out;
}

/** Resolves with the OS's error code when `ep` cannot be bound now (EADDRINUSE, EACCES, ...), else undefined. */
export function bindProbe(ep: { proto: "tcp" | "udp"; host: string; port: number }): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (ep.proto === "udp") {
      const s = createSocket("udp4");
      s.once("error", (err: NodeJS.ErrnoException) => {
        s.close();
        resolve(err.code ?? err.message);
      });
      s.bind(ep.port, ep.host, () => s.close(() => resolve(undefined)));
      return;
    }
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen({ port: ep.port, host: ep.host, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

/** The network endpoints of `endpoints` that cannot be bound now (`where` is host:port/proto), each with the reason. */
export async function takenEndpoints(endpoints: readonly Endpoint[]): Promise<{ endpoint: Endpoint & { where: string }; reason: string }[]> {
  const out: { endpoint: Endpoint & { where: string }; reason: string }[] = [];
  for (const ep of endpoints) {
    if (ep.proto === "serial" || ep.port === 0) continue;
    const reason = await bindProbe(ep);
    if (reason !== undefined) out.push({ endpoint: { ...ep, where: `${ep.host}:${ep.port}/${ep.proto}` }, reason });
  }
  return out;
}

/** A port the OS has just handed out for `proto` on loopback (free now; nothing reserves it). */
export function freePort(proto: "tcp" | "udp" = "tcp", host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    if (proto === "udp") {
      const s = createSocket("udp4");
      s.once("error", reject);
      s.bind(0, host, () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
      return;
    }
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `config` with every simulated serial device's pty link under `ptyDir`, named by device id. */
export function relocatePtys(config: SiteConfig, ptyDir: string): SiteConfig {
  const devices: SiteConfig["devices"] = {};
  for (const [id, dev] of Object.entries(config.devices)) {
    const t = dev.transport;
    devices[id] = dev.simulator?.enabled && t.type === "serial" ? { ...dev, transport: { ...t, path: path.join(ptyDir, id) } } : dev;
  }
  return { ...config, devices };
}

/**
 * `config` with every simulated device and host on a free loopback port (a simulated switch's trap
 * port too) and every simulated serial device's pty link under `ptyDir` (named by device id).
 * Devices without a simulator are left alone.
 * `portFor` picks the ports (default: the kernel's, free now but not reserved; the demo instead
 * starts its simulators on port 0, `startSiteSimulators({anyPort})`, and takes the ports they got).
 */
export async function relocateSite(config: SiteConfig, ptyDir: string, portFor: (proto: "tcp" | "udp") => Promise<number> = freePort): Promise<SiteConfig> {
  const devices: SiteConfig["devices"] = {};
  for (const [id, entry] of Object.entries(relocatePtys(config, ptyDir).devices)) {
    const dev = entry.simulator?.enabled && hasTrapPort(entry) ? withTrapPort(entry, await portFor("udp")) : entry;
    const t = dev.transport;
    if (!dev.simulator?.enabled || t.type === "serial") devices[id] = dev;
    else devices[id] = { ...dev, transport: { ...t, host: "127.0.0.1", port: await portFor(t.type === "udp" ? "udp" : "tcp") } } as typeof dev;
  }
  const rooms: SiteConfig["rooms"] = {};
  for (const [id, room] of Object.entries(config.rooms ?? {})) {
    const hosts = room.profile?.hosts;
    if (!room.profile || !hosts) {
      rooms[id] = room;
      continue;
    }
    const moved: typeof hosts = {};
    for (const [hid, h] of Object.entries(hosts)) moved[hid] = h.simulator?.enabled ? { ...h, host: "127.0.0.1", port: await portFor("tcp") } : h;
    rooms[id] = { ...room, profile: { ...room.profile, hosts: moved } };
  }
  return { ...config, devices, rooms };
}
