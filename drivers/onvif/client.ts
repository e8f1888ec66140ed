/**
 * Our small ONVIF client interface, and its one implementation.
 *
 * The driver talks only to `OnvifClient`, so the client library can change under it (a rewrite of
 * the `onvif` package is on its way). The implementation sends its own SOAP over node:http
 * (soap.ts says why the package's request layer is not used) and reads answers with the
 * package's XML parser (xml2js).
 *
 * Time: `connect()` reads GetSystemDateAndTime (unauthenticated first, as ONVIF Core allows;
 * authenticated if the camera insists) and shifts every WS-Security `Created` by the measured
 * offset, so a camera whose clock is minutes off still accepts us. An auth failure re-reads the
 * camera's time and retries once, at most once a minute (a camera's clock can jump under NTP).
 */
import http from "node:http";
import https from "node:https";
import { randomBytes } from "node:crypto";
import type { Clock } from "../types.js";
import { DeviceError } from "../types.js";
import { onvifKind } from "./faults.js";
import {
  readCapabilities, readDeviceInformation, readMediaUri, readPresets, readProfiles, readSetPreset, readStatus,
  readSystemDateAndTime, requests,
  type CameraTime, type DeviceInformation, type OnvifRequest, type Preset, type Profile, type PtzStatus, type PtzVector,
  type ServiceAddresses,
} from "./messages.js";
import { soapCall } from "./soap.js";
import { usernameTokenHeader } from "./wsse.js";

/** Per-call settings: an action passes its own signal and what is left of its deadline. */
export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ConnectInfo {
  /** Camera clock minus ours, ms (positive: the camera is ahead). */
  clockSkewMs: number;
  /** Where the camera's time came from (`local` means it gave no UTC time). */
  timeSource: CameraTime["source"];
  services: ServiceAddresses;
  profiles: Profile[];
  /** The profile every media/PTZ call uses from now on. */
  profile: Profile;
  ptz: boolean;
}

/** The ONVIF operations the driver and discovery need. Every call settles by its deadline. */
export interface OnvifClient {
  /** Time sync, service addresses, profiles; picks the profile (`profileToken`, else the first). */
  connect(opts?: CallOptions): Promise<ConnectInfo>;
  /** Reads the camera's clock and updates the offset used for `Created`. Returns the skew in ms. */
  syncTime(opts?: CallOptions): Promise<number>;
  readonly clockSkewMs: number | null;
  /** Requests sent so far (tests bound retry storms with it). */
  readonly requestCount: number;
  deviceInformation(opts?: CallOptions): Promise<DeviceInformation>;
  /** Service addresses from GetCapabilities (does not need `connect`). */
  capabilities(opts?: CallOptions): Promise<ServiceAddresses>;
  profiles(opts?: CallOptions): Promise<Profile[]>;
  streamUri(opts?: CallOptions): Promise<string>;
  snapshotUri(opts?: CallOptions): Promise<string>;
  presets(opts?: CallOptions): Promise<Preset[]>;
  gotoPreset(token: string, speed?: PtzVector, opts?: CallOptions): Promise<void>;
  /** Stores the current position; overwrites `token` when given. Returns the preset's token. */
  setPreset(name: string | undefined, token: string | undefined, opts?: CallOptions): Promise<string>;
  removePreset(token: string, opts?: CallOptions): Promise<void>;
  continuousMove(velocity: PtzVector, timeoutMs?: number, opts?: CallOptions): Promise<void>;
  absoluteMove(position: PtzVector, speed?: PtzVector, opts?: CallOptions): Promise<void>;
  stop(panTilt: boolean, zoom: boolean, opts?: CallOptions): Promise<void>;
  home(opts?: CallOptions): Promise<void>;
  status(opts?: CallOptions): Promise<PtzStatus>;
  /** Drops open connections. The client may be used again afterwards. */
  close(): void;
}

export interface OnvifClientOptions {
  /** The device service URL, e.g. `http://10.0.0.5/onvif/device_service`. */
  deviceUrl: string;
  username?: string;
  password?: string;
  /** Media profile token to use; absent: the camera's first profile. */
  profileToken?: string;
  /** Default deadline of every request. */
  timeoutMs: number;
  clock: Clock;
  /**
   * Keep the configured host and port for the service addresses the camera announces (only their
   * paths are used). Cameras behind NAT or with a stale factory IP announce unreachable XAddrs.
   */
  preserveAddress?: boolean;
  /** Nonce source (tests). */
  nonce?: () => Buffer;
}

/** The earliest a failed authentication may trigger another time re-sync + retry. */
export const AUTH_RESYNC_INTERVAL_MS = 60_000;

export function createOnvifClient(opts: OnvifClientOptions): OnvifClient {
  return new SoapOnvifClient(opts);
}

class SoapOnvifClient implements OnvifClient {
  private offsetMs: number | null = null;
  private lastSyncAt = -Infinity;
  private lastTime: CameraTime | null = null;
  private services: ServiceAddresses = {};
  private profile: Profile | null = null;
  private agent: http.Agent;
  private sent = 0;
  private readonly device: URL;

  constructor(private readonly o: OnvifClientOptions) {
    this.device = new URL(o.deviceUrl);
    this.agent = this.newAgent();
  }

  get clockSkewMs(): number | null {
    return this.offsetMs;
  }

  get requestCount(): number {
    return this.sent;
  }

  async connect(opts?: CallOptions): Promise<ConnectInfo> {
    const skew = await this.syncTime(opts);
    const time = this.lastTime!;
    this.services = await this.capabilities(opts);
    const profiles = await this.profiles(opts);
    const wanted = this.o.profileToken;
    const profile = wanted === undefined ? profiles[0] : profiles.find((p) => p.token === wanted);
    if (!profile) {
      const known = profiles.map((p) => p.token).join(", ") || "none";
      throw new DeviceError("invalid_args", wanted === undefined
        ? "the camera has no media profile"
        : `the camera has no media profile "${wanted}" (it has: ${known})`, { onvif: "invalid", known });
    }
    this.profile = profile;
    const ptz = this.services.ptz !== undefined && profile.ptz;
    return { clockSkewMs: skew, timeSource: time.source, services: { ...this.services }, profiles, profile, ptz };
  }

  async syncTime(opts?: CallOptions): Promise<number> {
    const req = requests.systemDateAndTime();
    const t0 = this.o.clock.now();
    let body;
    try {
      body = (await this.send(req, false, opts)).body;
    } catch (e) {
      // A few cameras (Panasonic, some Digital Barriers) want even this call authenticated.
      if (onvifKind(e) !== "auth_failed" || !this.o.username) throw e;
      body = (await this.send(req, true, opts)).body;
    }
    const t1 = this.o.clock.now();
    const time = readSystemDateAndTime(body);
    this.lastTime = time;
    // The camera truncates to the second: its true time is on average half a second later.
    this.offsetMs = Math.round(time.ms + 500 - (t0 + t1) / 2);
    this.lastSyncAt = t1;
    return this.offsetMs;
  }

  async deviceInformation(opts?: CallOptions): Promise<DeviceInformation> {
    return readDeviceInformation(await this.call(requests.deviceInformation(), opts));
  }

  async capabilities(opts?: CallOptions): Promise<ServiceAddresses> {
    return readCapabilities(await this.call(requests.capabilities(), opts));
  }

  async profiles(opts?: CallOptions): Promise<Profile[]> {
    return readProfiles(await this.call(requests.profiles(), opts));
  }

  async streamUri(opts?: CallOptions): Promise<string> {
    return readMediaUri(await this.call(requests.streamUri(this.token()), opts), "GetStreamUri");
  }

  async snapshotUri(opts?: CallOptions): Promise<string> {
    return readMediaUri(await this.call(requests.snapshotUri(this.token()), opts), "GetSnapshotUri");
  }

  async presets(opts?: CallOptions): Promise<Preset[]> {
    return readPresets(await this.call(requests.presets(this.token()), opts));
  }

  async gotoPreset(token: string, speed?: PtzVector, opts?: CallOptions): Promise<void> {
    await this.call(requests.gotoPreset(this.token(), token, speed), opts);
  }

  async setPreset(name: string | undefined, token: string | undefined, opts?: CallOptions): Promise<string> {
    return readSetPreset(await this.call(requests.setPreset(this.token(), name, token), opts));
  }

  async removePreset(token: string, opts?: CallOptions): Promise<void> {
    await this.call(requests.removePreset(this.token(), token), opts);
  }

  async continuousMove(velocity: PtzVector, timeoutMs?: number, opts?: CallOptions): Promise<void> {
    await this.call(requests.continuousMove(this.token(), velocity, timeoutMs), opts);
  }

  async absoluteMove(position: PtzVector, speed?: PtzVector, opts?: CallOptions): Promise<void> {
    await this.call(requests.absoluteMove(this.token(), position, speed), opts);
  }

  async stop(panTilt: boolean, zoom: boolean, opts?: CallOptions): Promise<void> {
    await this.call(requests.stop(this.token(), panTilt, zoom), opts);
  }

  async home(opts?: CallOptions): Promise<void> {
    await this.call(requests.home(this.token()), opts);
  }

  async status(opts?: CallOptions): Promise<PtzStatus> {
    return readStatus(await this.call(requests.status(this.token()), opts));
  }

  close(): void {
    this.agent.destroy();
    this.agent = this.newAgent();
  }

  // ---- internals ----

  private newAgent(): http.Agent {
    // No keep-alive: camera web servers drop idle connections early, and a request written onto a
    // socket the camera has just closed fails (ECONNRESET) and would read as "unreachable". A new
    // TCP connection per request costs ~1 ms on a LAN. At most 2 at a time per camera.
    const Agent = this.device.protocol === "https:" ? https.Agent : http.Agent;
    return new Agent({ keepAlive: false, maxSockets: 2 });
  }

  private token(): string {
    if (!this.profile) throw new DeviceError("not_connected", "not connected to the camera yet (no media profile chosen)");
    return this.profile.token;
  }

  /** An authenticated call; one time re-sync + retry on an auth failure, at most once a minute. */
  private async call(req: OnvifRequest, opts?: CallOptions) {
    try {
      return (await this.send(req, true, opts)).body;
    } catch (e) {
      const now = this.o.clock.now();
      if (onvifKind(e) !== "auth_failed" || !this.o.username || now - this.lastSyncAt < AUTH_RESYNC_INTERVAL_MS) throw e;
      this.lastSyncAt = now; // counts even if the re-sync fails: no storm against a refusing camera
      await this.syncTime(opts);
      return (await this.send(req, true, opts)).body;
    }
  }

  private send(req: OnvifRequest, auth: boolean, opts?: CallOptions) {
    const { username, password } = this.o;
    const security =
      auth && username !== undefined && username !== ""
        ? usernameTokenHeader({
            username,
            password: password ?? "",
            createdMs: this.o.clock.now() + (this.offsetMs ?? 0),
            nonce: this.o.nonce ? this.o.nonce() : randomBytes(16),
          })
        : undefined;
    this.sent++;
    return soapCall({
      url: this.serviceUrl(req.service),
      namespace: req.namespace,
      operation: req.operation,
      body: req.body,
      ...(security !== undefined ? { security } : {}),
      timeoutMs: opts?.timeoutMs ?? this.o.timeoutMs,
      clock: this.o.clock,
      ...(opts?.signal ? { signal: opts.signal } : {}),
      agent: this.agent,
    });
  }

  private serviceUrl(service: OnvifRequest["service"]): URL {
    if (service === "device") return this.device;
    const announced = this.services[service];
    if (announced === undefined) {
      if (service === "ptz") {
        throw new DeviceError("device_error", "the camera has no PTZ service", { onvif: "not_supported" });
      }
      return this.device; // no Media XAddr announced: try the device service path, as many cameras serve all there
    }
    let url: URL;
    try {
      url = new URL(announced);
    } catch {
      throw new DeviceError("device_error", `the camera announced an unusable ${service} address`, { onvif: "malformed" });
    }
    if (this.o.preserveAddress !== false) {
      url.protocol = this.device.protocol;
      url.hostname = this.device.hostname;
      url.port = this.device.port;
    }
    return url;
  }
}
