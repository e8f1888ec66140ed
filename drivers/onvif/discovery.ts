/**
 * WS-Discovery client: which ONVIF cameras are on this LAN (`roomgate discover`, and the agent's
 * `discover` action).
 *
 * A multicast datagram leaves by one interface, so one socket per IPv4 interface sends the Probe
 * with that interface as the multicast source; a further socket sends unicast Probes to given
 * addresses (cameras on other subnets, and tests on loopback). Replies are collected for a window
 * on the injected clock, deduplicated by EndpointReference, and malformed ones skipped and counted.
 * With credentials, each camera is then asked for its device information and capabilities.
 */
import dgram from "node:dgram";
import os from "node:os";
import { z } from "zod";
import { systemClock } from "../clock.js";
import type { Clock, Logger } from "../types.js";
import { createOnvifClient } from "./client.js";
import { buildProbe, newMessageId, parseProbeReply, readScopes, WSD_MULTICAST_ADDRESS, WSD_PORT, type ProbeMatch } from "./probe.js";

export { formatDeviceEntry } from "./entry.js";

export const discoveryOptionsSchema = z
  .strictObject({
    interface: z.string().min(1).optional().describe("Probe only from this interface (name like eth0, or its IPv4 address)."),
    multicast: z.boolean().default(true).describe("Send the multicast Probe to 239.255.255.250:3702."),
    unicast: z
      .array(z.string().regex(/^[^\s:]+(:\d{1,5})?$/, "expected host or host:port"))
      .default([])
      .describe("Also probe these addresses directly (host or host:port; port default 3702)."),
    windowMs: z.number().int().min(100).max(60_000).default(3000).describe("How long to collect replies."),
    username: z.string().max(128).optional().describe("With a user name, each camera is asked for its model and PTZ support."),
    password: z.string().max(256).optional().describe("Password for that user. Never logged or published."),
    timeoutMs: z.number().int().positive().max(60_000).default(3000).describe("Deadline of each enrichment request."),
  })
  .describe("WS-Discovery of ONVIF cameras");

export type DiscoverOptions = z.input<typeof discoveryOptionsSchema> & {
  clock?: Clock;
  logger?: Logger;
  signal?: AbortSignal;
  /** Called as each new camera's first reply arrives (before enrichment): print as you go. */
  onCamera?: (camera: DiscoveredCamera) => void;
  /** Interfaces to use instead of `os.networkInterfaces()` (tests). */
  networkInterfaces?: () => NodeJS.Dict<os.NetworkInterfaceInfo[]>;
};

export interface DiscoveredCamera {
  /** EndpointReference address: the camera's stable id (usually `urn:uuid:...`). */
  endpoint: string;
  /** The chosen device service URL and its parts (the XAddr on the replying host, else the first). */
  url: string;
  host: string;
  port: number;
  path: string;
  tls: boolean;
  xaddrs: string[];
  types: string[];
  scopes: string[];
  /** Sender of the first reply, `ip:port`. */
  from: string;
  /** From the scopes (`onvif://www.onvif.org/name/...`, `/hardware/...`, `/location/...`). */
  name: string | null;
  hardware: string | null;
  location: string | null;
  /** PTZ: from GetCapabilities when enriched, else true when the scopes say `type/ptz`, else null (unknown). */
  ptz: boolean | null;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  serial: string | null;
  metadataVersion: number | null;
}

export interface DiscoveryError {
  /** The interface, target or camera it concerns. */
  source: string;
  code: string;
  message: string;
}

export interface DiscoveryResult {
  cameras: DiscoveredCamera[];
  /** Replies that were not well-formed ProbeMatches (skipped). */
  malformed: number;
  /** Well-formed replies to someone else's probe, or other WS-Discovery traffic (skipped). */
  ignored: number;
  errors: DiscoveryError[];
}

interface Sender {
  source: string;
  socket: dgram.Socket;
  messageId: string;
  targets: { host: string; port: number }[];
  multicastFrom?: string;
}

/** Probes, collects for `windowMs`, enriches when a user name is given. Never rejects for network trouble. */
export async function discover(options: DiscoverOptions = {}): Promise<DiscoveryResult> {
  const o = discoveryOptionsSchema.parse(stripRuntime(options));
  const clock = options.clock ?? systemClock;
  const errors: DiscoveryError[] = [];
  const found = new Map<string, DiscoveredCamera>();
  const ids = new Set<string>();
  let malformed = 0;
  let ignored = 0;

  const onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    const reply = parseProbeReply(msg);
    if (reply.kind === "malformed") {
      malformed++;
      options.logger?.debug({ from: `${rinfo.address}:${rinfo.port}`, reason: reply.reason }, "malformed WS-Discovery reply");
      return;
    }
    if (reply.kind === "other" || (reply.relatesTo !== null && !ids.has(reply.relatesTo))) {
      ignored++;
      return;
    }
    for (const m of reply.matches) {
      const added = merge(found, m, rinfo);
      if (added) options.onCamera?.(added);
    }
  };

  const senders = await openSenders(o, options, errors);
  for (const s of senders) {
    ids.add(s.messageId);
    s.socket.on("message", onMessage);
  }
  await Promise.all(senders.map((s) => sendProbes(s, errors)));
  await waitWindow(clock, o.windowMs, options.signal);
  await Promise.all(senders.map((s) => closeSocket(s.socket)));

  const cameras = [...found.values()];
  if (o.username !== undefined && o.username !== "") {
    await Promise.all(cameras.map((c) => enrich(c, o, clock, errors)));
  }
  return { cameras, malformed, ignored, errors };
}

function stripRuntime(o: DiscoverOptions): Record<string, unknown> {
  const { clock: _c, logger: _l, signal: _s, networkInterfaces: _n, onCamera: _o, ...rest } = o;
  return rest;
}

/** IPv4 interface addresses to probe from: all non-internal ones, or the one named. */
function localAddresses(o: z.output<typeof discoveryOptionsSchema>, opts: DiscoverOptions): { name: string; address: string }[] {
  const all = Object.entries((opts.networkInterfaces ?? os.networkInterfaces)())
    .flatMap(([name, list]) => (list ?? []).filter((i) => i.family === "IPv4").map((i) => ({ name, address: i.address, internal: i.internal })));
  if (o.interface !== undefined) return all.filter((i) => i.name === o.interface || i.address === o.interface);
  return all.filter((i) => !i.internal);
}

async function openSenders(o: z.output<typeof discoveryOptionsSchema>, opts: DiscoverOptions, errors: DiscoveryError[]): Promise<Sender[]> {
  const senders: Sender[] = [];
  const locals = localAddresses(o, opts);
  if (o.interface !== undefined && locals.length === 0) {
    errors.push({ source: o.interface, code: "no_interface", message: `no IPv4 interface named or addressed "${o.interface}"` });
  }
  if (o.multicast) {
    for (const l of locals) {
      const socket = await bindSocket(l.address, errors, `${l.name} ${l.address}`);
      if (socket) senders.push({
        source: `${l.name} ${l.address}`, socket, messageId: newMessageId(),
        targets: [{ host: WSD_MULTICAST_ADDRESS, port: WSD_PORT }], multicastFrom: l.address,
      });
    }
  }
  if (o.unicast.length > 0) {
    const targets = o.unicast.map((t) => {
      const [host, port] = t.split(":");
      return { host: host!, port: port === undefined ? WSD_PORT : Number(port) };
    });
    const bindTo = o.interface !== undefined ? locals[0]?.address : undefined;
    const socket = await bindSocket(bindTo, errors, "unicast");
    if (socket) senders.push({ source: "unicast", socket, messageId: newMessageId(), targets });
  }
  return senders;
}

function bindSocket(address: string | undefined, errors: DiscoveryError[], source: string): Promise<dgram.Socket | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket({ type: "udp4" });
    const onError = (e: NodeJS.ErrnoException): void => {
      errors.push({ source, code: e.code ?? "socket_error", message: e.message });
      socket.close();
      resolve(null);
    };
    socket.once("error", onError);
    socket.bind({ port: 0, ...(address !== undefined ? { address } : {}) }, () => {
      socket.off("error", onError);
      // Errors after bind (ICMP refusals, ...) must not crash the process; record them.
      socket.on("error", (e: NodeJS.ErrnoException) => errors.push({ source, code: e.code ?? "socket_error", message: e.message }));
      resolve(socket);
    });
  });
}

async function sendProbes(s: Sender, errors: DiscoveryError[]): Promise<void> {
  const probe = buildProbe(s.messageId);
  if (s.multicastFrom !== undefined) {
    try {
      s.socket.setMulticastInterface(s.multicastFrom);
      s.socket.setMulticastTTL(1); // WS-Discovery: the probe stays on the local link
    } catch (e) {
      errors.push({ source: s.source, code: (e as NodeJS.ErrnoException).code ?? "multicast_error", message: (e as Error).message });
    }
  }
  await Promise.all(
    s.targets.map(
      (t) =>
        new Promise<void>((resolve) => {
          s.socket.send(probe, t.port, t.host, (err) => {
            if (err) errors.push({ source: `${s.source} -> ${t.host}:${t.port}`, code: (err as NodeJS.ErrnoException).code ?? "send_failed", message: err.message });
            resolve();
          });
        }),
    ),
  );
}

function waitWindow(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clock.clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = clock.setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/** Adds a new camera (returned) or merges the XAddrs of a known one (returns null). */
function merge(found: Map<string, DiscoveredCamera>, m: ProbeMatch, rinfo: dgram.RemoteInfo): DiscoveredCamera | null {
  const known = found.get(m.endpoint);
  if (known) {
    for (const x of m.xaddrs) if (!known.xaddrs.includes(x)) known.xaddrs.push(x);
    return null;
  }
  const urls = m.xaddrs.flatMap((x) => {
    try {
      const u = new URL(x);
      return u.protocol === "http:" || u.protocol === "https:" ? [u] : [];
    } catch {
      return [];
    }
  });
  // Prefer the address the reply came from: cameras often list a stale or link-local XAddr first.
  const url = urls.find((u) => u.hostname === rinfo.address) ?? urls.find((u) => !u.hostname.startsWith("[")) ?? urls[0];
  if (!url) return null;
  const tls = url.protocol === "https:";
  const scopes = readScopes(m.scopes);
  const camera: DiscoveredCamera = {
    endpoint: m.endpoint,
    url: url.toString(),
    host: url.hostname,
    port: url.port === "" ? (tls ? 443 : 80) : Number(url.port),
    path: url.pathname || "/",
    tls,
    xaddrs: [...m.xaddrs],
    types: m.types,
    scopes: m.scopes,
    from: `${rinfo.address}:${rinfo.port}`,
    name: scopes.name ?? null,
    hardware: scopes.hardware ?? null,
    location: scopes.location ?? null,
    ptz: scopes.ptz ? true : null,
    manufacturer: null, model: null, firmware: null, serial: null,
    metadataVersion: m.metadataVersion,
  };
  found.set(m.endpoint, camera);
  return camera;
}

async function enrich(c: DiscoveredCamera, o: z.output<typeof discoveryOptionsSchema>, clock: Clock, errors: DiscoveryError[]): Promise<void> {
  const client = createOnvifClient({
    deviceUrl: c.url, username: o.username!, password: o.password ?? "", timeoutMs: o.timeoutMs, clock,
  });
  try {
    await client.syncTime();
    const info = await client.deviceInformation();
    Object.assign(c, { manufacturer: info.manufacturer || null, model: info.model || null, firmware: info.firmware || null, serial: info.serial || null });
    c.ptz = (await client.capabilities()).ptz !== undefined;
  } catch (e) {
    const code = ((e as { details?: Record<string, unknown> }).details?.["onvif"] as string | undefined) ?? "enrich_failed";
    errors.push({ source: c.url, code, message: (e as Error).message });
  } finally {
    client.close();
  }
}
