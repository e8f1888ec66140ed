/**
 * The ONVIF camera simulator: an HTTP SOAP 1.2 server (Device, Media, PTZ ver20) with WS-Security
 * UsernameToken verification, a skewable clock and PTZ motion in time, plus a WS-Discovery
 * responder on UDP. A real endpoint: the `onvif` npm package connects to it unchanged.
 *
 * Tests call `startOnvifSimulator(spec)`; `roomgate sim` calls `startFromSite` with a site file's
 * http transport (host, port, path) and `simulator.options` (validated by `onvifSimOptionsSchema`).
 */
import { createHash } from "node:crypto";
import os from "node:os";
import { z } from "zod";
import { systemClock } from "../../drivers/clock.js";
import type { Clock, Logger } from "../../drivers/types.js";
import type { SimHandle, StartFromSite } from "../types.js";
import { ErrorLog } from "../visca/errors.js";
import { OnvifCamera, type PresetDef } from "./camera.js";
import { DiscoveryResponder, WSD_PORT, type DiscoveryStats } from "./discovery.js";
import { OnvifFaultControls, ONVIF_CONTROL_HELP, runControl } from "./faults.js";
import { SERVICE_PATHS, type DeviceIdentity } from "./operations.js";
import { OnvifHttpSide, type OnvifStats } from "./server.js";
import { UsernameTokenVerifier } from "./wsse.js";
import { parseSpec, SimulatorSpecError } from "../spec.js";

export { passwordDigest } from "./wsse.js";
export { PTZ_FAULTS } from "./soap.js";
export { ONVIF_CONTROL_HELP } from "./faults.js";
export type { OnvifFaults } from "./faults.js";
export { DEFAULT_PRESETS } from "./camera.js";

export interface OnvifSimSpec {
  /** Default 127.0.0.1. */
  host?: string;
  /** HTTP port, 0 = ephemeral (default 0). */
  port?: number;
  /** Default "admin". */
  username?: string;
  /** Default "admin". */
  password?: string;
  /** Default true (PRE_AUTH operations such as GetSystemDateAndTime always answer). */
  authRequired?: boolean;
  /** "spec" (default): the ONVIF PRE_AUTH operations answer without credentials; "datetime-only": only GetSystemDateAndTime does. */
  preAuth?: "spec" | "datetime-only";
  /** The camera's clock = real/injected clock + skew. */
  clockSkewMs?: number;
  /** Accepted |Created - camera now|, default 5 min (300000). */
  createdWindowMs?: number;
  /** Refuse a reused nonce within the window (default true; some cameras, and some clients' nonces, need false). */
  rejectReplays?: boolean;
  /** Answer auth failures with an HTML 401 page instead of a SOAP fault. */
  html401?: boolean;
  /** Default true; false -> PTZ service absent (ter:ActionNotSupported/ter:PTZNotSupported). */
  ptz?: boolean;
  /** Default port 3702, multicast true, enabled true; tests use an ephemeral port. */
  discovery?: { port?: number; multicast?: boolean; address?: string; enabled?: boolean };
  manufacturer?: string;
  model?: string;
  firmware?: string;
  serial?: string;
  hardwareId?: string;
  /** Scope `name` and hostname (default: the model). */
  name?: string;
  /** Scope `location` (default "room"). */
  location?: string;
  presets?: Array<{ token: string; name: string; pan: number; tilt: number; zoom: number }>;
  maxPresets?: number;
  /** Normalized units per second for moves (default 0.5). */
  speed?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface OnvifSimHandle extends SimHandle {
  readonly port: number;
  /** http://HOST:PORT/onvif/device_service */
  readonly url: string;
  readonly discoveryPort: number;
  readonly faults: OnvifFaultControls;
  readonly camera: {
    position(): { pan: number; tilt: number; zoom: number };
    moving(): boolean;
    presets(): Array<{ token: string; name: string }>;
  };
  readonly stats: OnvifStats & DiscoveryStats;
}

const text = z.string().min(1).max(128);
const presetSchema = z.strictObject({
  token: z.string().min(1).max(64).describe("Preset token."),
  name: z.string().max(64).describe("Preset name."),
  pan: z.number().min(-1).max(1).describe("Pan -1..1."),
  tilt: z.number().min(-1).max(1).describe("Tilt -1..1."),
  zoom: z.number().min(0).max(1).describe("Zoom 0..1."),
});

/** The data part of a spec, as a site file's `simulator.options` (host and port come from the transport). */
export const onvifSimOptionsSchema = z.strictObject({
  username: text.optional().describe("User the camera accepts (default admin)."),
  password: z.string().max(128).optional().describe("Its password (default admin)."),
  authRequired: z.boolean().optional().describe("Require WS-Security on non-PRE_AUTH operations (default true)."),
  preAuth: z.enum(["spec", "datetime-only"]).optional().describe("Which operations answer without credentials (default spec)."),
  clockSkewMs: z.number().int().min(-86_400_000).max(86_400_000).optional().describe("Camera clock offset in ms (default 0)."),
  createdWindowMs: z.number().int().min(1000).max(86_400_000).optional().describe("Accepted |Created - camera time| in ms (default 300000)."),
  rejectReplays: z.boolean().optional().describe("Refuse a nonce reused within the window (default true)."),
  html401: z.boolean().optional().describe("Answer auth failures with an HTML 401 page (default false)."),
  ptz: z.boolean().optional().describe("The camera has PTZ (default true)."),
  discovery: z.strictObject({
    enabled: z.boolean().optional().describe("Run the WS-Discovery responder (default true)."),
    port: z.number().int().min(0).max(65535).optional().describe("UDP port (default 3702; 0 = ephemeral)."),
    multicast: z.boolean().optional().describe("Join 239.255.255.250 (default true)."),
    address: z.string().min(1).optional().describe("Bind address (default 0.0.0.0 with multicast, else the HTTP host)."),
  }).optional().describe("WS-Discovery responder."),
  manufacturer: text.optional(),
  model: text.optional(),
  firmware: text.optional(),
  serial: text.optional(),
  hardwareId: text.optional(),
  name: text.optional().describe("Scope name and hostname (default: the model)."),
  location: text.optional().describe("Scope location (default room)."),
  presets: z.array(presetSchema).max(64).optional().describe("Presets at start (default three)."),
  maxPresets: z.number().int().min(1).max(1000).optional().describe("Preset slots (default 64)."),
  speed: z.number().positive().max(100).optional().describe("Normalized units per second for moves (default 0.5)."),
});

const specSchema = onvifSimOptionsSchema.extend({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
});

export class OnvifSimSpecError extends SimulatorSpecError {}

/** Starts a simulated ONVIF camera. Rejects with OnvifSimSpecError (`bad_config`) for a bad spec. */
export async function startOnvifSimulator(spec: OnvifSimSpec = {}): Promise<OnvifSimHandle> {
  const { clock = systemClock, logger, ...data } = spec;
  const s = parseSpec(specSchema, data, "ONVIF simulator spec", OnvifSimSpecError);
  const host = s.host ?? "127.0.0.1";
  const ptz = s.ptz ?? true;
  const errors = new ErrorLog(logger, { sim: "onvif" });
  const faults = new OnvifFaultControls();
  faults.html401 = s.html401 ?? false;
  faults.clockSkewMs = s.clockSkewMs ?? 0;
  const camera = new OnvifCamera({
    clock,
    ...(s.speed !== undefined ? { speed: s.speed } : {}),
    ...(s.presets !== undefined ? { presets: s.presets as PresetDef[] } : {}),
    ...(s.maxPresets !== undefined ? { maxPresets: s.maxPresets } : {}),
    forcedFault: () => faults.ptzFault,
  });
  const stats: OnvifStats & DiscoveryStats = { requests: 0, authFailures: 0, replays: 0, discoveryMessages: 0, probeMatches: 0, malformedProbes: 0 };
  const verifier = new UsernameTokenVerifier({
    username: s.username ?? "admin",
    password: s.password ?? "admin",
    windowMs: s.createdWindowMs ?? 300_000,
    rejectReplays: s.rejectReplays ?? true,
    now: () => clock.now() + faults.clockSkewMs,
  });

  // Identity and scopes need the port when the serial defaults to it, so the HTTP side binds first.
  const identity: DeviceIdentity = {
    manufacturer: s.manufacturer ?? "Roomgate",
    model: s.model ?? "SimCam PTZ-1",
    firmware: s.firmware ?? "1.0.0",
    serial: s.serial ?? "",
    hardwareId: s.hardwareId ?? "SIM-PTZ-1",
    name: s.name ?? s.model ?? "SimCam PTZ-1",
    location: s.location ?? "room",
  };
  const scopes: string[] = [];
  const http = new OnvifHttpSide({
    host, port: s.port ?? 0, clock, camera, identity, scopes, ptz, maxPresets: s.maxPresets ?? 64,
    authRequired: s.authRequired ?? true, preAuth: s.preAuth ?? "spec", verifier, faults, stats, errors,
  });
  await http.listen();
  if (identity.serial === "") identity.serial = `SIM${http.port}`;
  const seg = (v: string) => encodeURIComponent(v);
  scopes.push(
    "onvif://www.onvif.org/type/video_encoder",
    ...(ptz ? ["onvif://www.onvif.org/type/ptz"] : []),
    "onvif://www.onvif.org/Profile/Streaming",
    `onvif://www.onvif.org/hardware/${seg(identity.hardwareId)}`,
    `onvif://www.onvif.org/name/${seg(identity.name)}`,
    `onvif://www.onvif.org/location/${seg(identity.location)}`,
  );

  const d = s.discovery ?? {};
  const multicast = d.multicast ?? true;
  const endpoint = `urn:uuid:${uuidFrom(`roomgate-onvif-sim:${identity.serial}`)}`;
  const discovery = (d.enabled ?? true)
    ? new DiscoveryResponder({
      port: d.port ?? WSD_PORT,
      address: d.address ?? (multicast ? "0.0.0.0" : host),
      multicast, clock, errors, faults, stats, endpoint, scopes, metadataVersion: 1,
      ...(logger ? { logger } : {}),
      xaddrs: (from) => xaddrHosts(host, from).map((h) => `http://${h}:${http.port}${SERVICE_PATHS.device}`),
    })
    : undefined;
  /** False when the discovery socket could not bind (the camera runs without discovery). */
  let discoveryUp = true;
  try {
    await discovery?.listen();
  } catch (err) {
    discoveryUp = false;
    // Another program holds the UDP port without SO_REUSEADDR: keep the camera, without discovery.
    errors.add(err, `WS-Discovery responder could not bind udp ${d.port ?? WSD_PORT}; discovery is off`);
  }

  const urlHost = host.includes(":") ? `[${host}]` : host;
  let closed: Promise<void> | undefined;
  return {
    protocol: "onvif",
    faults,
    stats,
    get errors() {
      return errors.list;
    },
    get port() {
      return http.port;
    },
    get url() {
      return `http://${urlHost}:${http.port}${SERVICE_PATHS.device}`;
    },
    /** 0 when discovery is disabled or could not bind. */
    get discoveryPort() {
      return discovery && discoveryUp ? discovery.port : 0;
    },
    camera: {
      position: () => camera.position(),
      moving: () => camera.moving(),
      presets: () => camera.presets().map(({ token, name }) => ({ token, name })),
    },
    async unplug() {
      await Promise.all([http.close(), discovery?.close()]);
    },
    async replug() {
      await http.listen();
      try {
        await discovery?.listen();
        discoveryUp = true;
      } catch (err) {
        discoveryUp = false;
        errors.add(err, "WS-Discovery responder could not bind again");
      }
    },
    close() {
      closed ??= Promise.all([http.close(), discovery?.close()]).then(() => undefined);
      return closed;
    },
    describe() {
      const disc = !discovery
        ? ""
        : discoveryUp
          ? ` discovery udp:${discovery.port}${discovery.multicastJoined ? " multicast" : " unicast-only"}`
          : " discovery unavailable";
      return `onvif http://${urlHost}:${http.port}${SERVICE_PATHS.device}${disc} ${http.listening ? "listening" : "unplugged"}`;
    },
    control: (verb, args) => runControl(faults, verb, args),
    controlHelp: ONVIF_CONTROL_HELP,
  };
}

/** `roomgate sim`: the site's http transport names the endpoint; `options` is `simulator.options`. */
export const startFromSite: StartFromSite = async (transport, options, runtime) => {
  if (transport.type !== "http") throw new Error(`ONVIF simulator needs an http transport, got ${transport.type}`);
  if (transport.tls) throw new Error("ONVIF simulator: transport.tls is not supported (the simulator speaks plain http)");
  if (transport.path !== SERVICE_PATHS.device) {
    throw new Error(`ONVIF simulator: transport.path must be ${SERVICE_PATHS.device} (the ONVIF device service entry point), got ${transport.path}`);
  }
  const parsed = parseSpec(onvifSimOptionsSchema, options, "simulator.options", OnvifSimSpecError);
  return startOnvifSimulator({ ...parsed, host: transport.host, port: transport.port, ...runtime } as OnvifSimSpec);
};

/** A stable UUID (name-based, SHA-1, version 5 layout) so the endpoint survives restarts. */
function uuidFrom(name: string): string {
  const h = createHash("sha1").update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** Hosts to advertise in XAddrs: the bound host, or for a wildcard bind the addresses a prober can reach. */
function xaddrHosts(host: string, from: string): string[] {
  if (host !== "0.0.0.0" && host !== "::") return [host.includes(":") ? `[${host}]` : host];
  if (from.startsWith("127.")) return ["127.0.0.1"];
  const addrs = Object.values(os.networkInterfaces()).flat()
    .filter((a): a is os.NetworkInterfaceInfo => a !== undefined && a.family === "IPv4" && !a.internal)
    .map((a) => a.address);
  return addrs.length > 0 ? addrs : ["127.0.0.1"];
}
