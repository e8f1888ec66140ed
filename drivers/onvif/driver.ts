/**
 * The ONVIF camera driver (Profile S: Device, Media and PTZ services over HTTP SOAP).
 *
 * A session is: camera time read and offset applied, service addresses, the media profile, and
 * device information / stream and snapshot URIs for meta. Requests go through `OnvifClient`.
 * Health follows request outcomes (emitted on change of status or code):
 * - `ok` after any answer from the camera (a refusal such as an unknown preset is an answer);
 *   the message carries the measured clock skew;
 * - `unreachable` / `timeout` or `connect_failed`: no answer by the deadline, or no connection;
 *   the driver re-connects by itself with backoff (0.5 s doubling to 5 s);
 * - `fault` / `auth_failed`: the camera refused the credentials; nothing is sent for
 *   `authRetryMs` (default 1 min), then one attempt, so a wrong password never becomes a storm
 *   that locks the account; a config change restarts the driver and tries at once;
 * - `degraded` / `malformed_reply` or `http_error`: the camera answers, but not in SOAP;
 * - `fault` / `bad_config`: options or transport that can never work.
 */
import { EventEmitter } from "node:events";
import type { ActionContext, ActionTable, Clock, Driver, DriverContext, DriverEvent, DriverEvents, Health, Logger } from "../types.js";
import { DeviceError } from "../types.js";
import { buildActions } from "./actions.js";
import { createOnvifClient, type CallOptions, type ConnectInfo, type OnvifClient } from "./client.js";
import { onvifKind } from "./faults.js";
import { sanitizeUri, type MoveStatus } from "./messages.js";
import { parseOnvifOptions, resolvePassword, type OnvifOptions } from "./options.js";

/** A type alias (not an interface) so that it is assignable to the agent's `Record<string, unknown>`. */
export type OnvifState = {
  /** Normalized ONVIF position: pan/tilt -1..1, zoom 0..1 (VISCA reports camera units under the same names). */
  pan: number | null;
  tilt: number | null;
  zoom: number | null;
  moveStatus: MoveStatus | null;
  /** Token of the last preset recalled through this driver. */
  lastPreset: string | null;
  /** The camera has a PTZ service and the profile a PTZConfiguration. */
  ptz: boolean | null;
  profile: string | null;
  /** Camera clock minus ours, ms. */
  clockSkewMs: number | null;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  serial: string | null;
  /** RTSP URI of the profile, credentials removed. */
  streamUri: string | null;
  snapshotUri: string | null;
  malformedReplies: number;
};

export const RECONNECT_MIN_MS = 500;
export const RECONNECT_MAX_MS = 5000;
/** At most one `malformed_reply` event per this many ms; the rest are counted in state. */
export const MALFORMED_REPORT_INTERVAL_MS = 10_000;

const initialState = (): OnvifState => ({
  pan: null, tilt: null, zoom: null, moveStatus: null, lastPreset: null, ptz: null, profile: null, clockSkewMs: null,
  manufacturer: null, model: null, firmware: null, serial: null, streamUri: null, snapshotUri: null, malformedReplies: 0,
});

interface Running {
  ctx: DriverContext;
  options: OnvifOptions;
  log: Logger;
  clock: Clock;
  client: OnvifClient;
  abort: AbortController;
  detach: () => void;
}

export class OnvifDriver extends EventEmitter<DriverEvents<OnvifState>> implements Driver<OnvifState> {
  readonly kind = "camera" as const;
  readonly protocol = "onvif";
  readonly actions: ActionTable;
  readonly stateFields = Object.keys(initialState()) as readonly (keyof OnvifState)[];
  private currentHealth: Health = { status: "unknown" };
  private state: OnvifState = initialState();
  private lastEmitted = "";
  private run: Running | null = null;
  private session: ConnectInfo | null = null;
  private connecting: Promise<ConnectInfo> | null = null;
  private polling: Promise<OnvifState> | null = null;
  private authBlockedUntil = -Infinity;
  private reconnectTimer: unknown = null;
  private reconnectDelay = RECONNECT_MIN_MS;
  private lastMalformedReport = -Infinity;

  constructor() {
    super();
    this.actions = buildActions({
      exec: (ctx, fn) => this.exec(ctx, fn),
      waitIdle: (ctx) => this.waitIdle(ctx),
      update: (p) => this.update(p),
    });
  }

  get health(): Health {
    return { ...this.currentHealth };
  }

  async start(ctx: DriverContext): Promise<void> {
    if (this.run) throw new DeviceError("internal", "driver already started");
    let options: OnvifOptions;
    let password: string;
    const transport = ctx.transport as typeof ctx.transport & { url?: unknown };
    try {
      options = parseOnvifOptions(ctx.options);
      if (transport.kind !== "http" || typeof transport.url !== "string") {
        throw new DeviceError("invalid_args", `an ONVIF camera needs an http transport; got ${transport.kind}`);
      }
      password = await resolvePassword(options);
    } catch (e) {
      const err = e instanceof DeviceError ? e : new DeviceError("invalid_args", String(e));
      this.setHealth({ status: "fault", code: "bad_config", message: err.message });
      throw err;
    }
    const log = ctx.logger.child({ driver: "onvif", transport: transport.description });
    const client = createOnvifClient({
      deviceUrl: transport.url as string,
      ...(options.username !== "" ? { username: options.username, password } : {}),
      ...(options.profile !== undefined ? { profileToken: options.profile } : {}),
      timeoutMs: options.timeoutMs,
      clock: ctx.clock,
      preserveAddress: options.preserveAddress,
    });
    const abort = new AbortController();
    const onAbort = () => void this.stop();
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    this.run = { ctx, options, log, clock: ctx.clock, client, abort, detach: () => ctx.signal.removeEventListener("abort", onAbort) };
    try {
      await ctx.transport.open();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.setHealth({ status: "fault", code: "bad_config", message });
      await this.stop();
      throw new DeviceError("invalid_args", `transport cannot open: ${message}`);
    }
    // First contact; an absent or refusing camera is reported in health, not thrown.
    await this.ensureSession().catch((e: unknown) => {
      log.warn({ err: (e as Error).message, code: (e as DeviceError).code }, "no session with the camera yet");
    });
  }

  async stop(): Promise<void> {
    const r = this.run;
    if (!r) return;
    this.run = null;
    this.session = null;
    r.detach();
    r.abort.abort();
    if (this.reconnectTimer !== null) r.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    r.client.close();
    try {
      await r.ctx.transport.close();
    } catch (e) {
      r.log.warn({ err: (e as Error).message }, "transport close failed");
    }
  }

  poll(): Promise<OnvifState> {
    if (!this.polling) {
      this.polling = this.doPoll().finally(() => {
        this.polling = null;
      });
    }
    return this.polling;
  }

  // ---- internals ----

  private async doPoll(): Promise<OnvifState> {
    const r = this.requireRun();
    const info = await this.ensureSession();
    const opts: CallOptions = { signal: r.abort.signal };
    if (info.ptz) {
      const st = await this.track(r.client.status(opts));
      this.update({ pan: st.pan, tilt: st.tilt, zoom: st.zoom, moveStatus: st.moveStatus });
    } else {
      // No PTZ to read: the time call proves the camera is there and keeps the skew current.
      const skew = await this.track(r.client.syncTime(opts));
      this.update({ clockSkewMs: skew });
    }
    return this.snapshot();
  }

  private ensureSession(): Promise<ConnectInfo> {
    if (this.session) return Promise.resolve(this.session);
    const r = this.requireRun();
    const now = r.clock.now();
    if (now < this.authBlockedUntil) {
      const inS = Math.ceil((this.authBlockedUntil - now) / 1000);
      return Promise.reject(
        new DeviceError("device_error", `the camera refused the credentials; next attempt in ${inS} s (or after a config change)`, {
          onvif: "auth_failed",
        }),
      );
    }
    if (!this.connecting) {
      this.connecting = this.connect(r).finally(() => {
        this.connecting = null;
      });
    }
    return this.connecting;
  }

  private async connect(r: Running): Promise<ConnectInfo> {
    const opts: CallOptions = { signal: r.abort.signal };
    const info = await this.track(r.client.connect(opts));
    const [dev, stream, snapshot] = [
      await this.optional(r, () => r.client.deviceInformation(opts)),
      await this.optional(r, () => r.client.streamUri(opts)),
      await this.optional(r, () => r.client.snapshotUri(opts)),
    ];
    if (this.run !== r) throw new DeviceError("cancelled", "driver stopped");
    this.session = info;
    this.reconnectDelay = RECONNECT_MIN_MS;
    this.update({
      ptz: info.ptz, profile: info.profile.token, clockSkewMs: info.clockSkewMs,
      manufacturer: dev?.manufacturer ?? null, model: dev?.model ?? null, firmware: dev?.firmware ?? null, serial: dev?.serial ?? null,
      streamUri: stream === null ? null : sanitizeUri(stream), snapshotUri: snapshot === null ? null : sanitizeUri(snapshot),
    });
    if (Math.abs(info.clockSkewMs) >= 5000) {
      this.emitEvent({ type: "clock_skew", message: skewText(info.clockSkewMs), data: { clockSkewMs: info.clockSkewMs, source: info.timeSource } });
    }
    this.setHealth({ status: "ok", message: skewText(info.clockSkewMs) }, true);
    r.log.info({ profile: info.profile.token, ptz: info.ptz, clockSkewMs: info.clockSkewMs }, "ONVIF session ready");
    return info;
  }

  /** Extras for meta: a camera that refuses them (not supported, no profile URI) still works. */
  private async optional<T>(r: Running, fn: () => Promise<T>): Promise<T | null> {
    try {
      return await this.track(fn());
    } catch (e) {
      const kind = onvifKind(e);
      if (kind === "timeout" || kind === "connect_failed" || kind === "auth_failed" || kind === "cancelled") throw e;
      r.log.debug({ err: (e as Error).message }, "optional ONVIF call refused");
      return null;
    }
  }

  private async exec<T>(ctx: ActionContext, fn: (client: OnvifClient, opts: CallOptions) => Promise<T>): Promise<T> {
    const r = this.requireRun();
    return this.withDeadline(r, ctx, async () => {
      await this.ensureSession();
      const left = ctx.deadline - r.clock.now();
      const opts: CallOptions = { signal: AbortSignal.any([ctx.signal, r.abort.signal]), timeoutMs: Math.max(1, Math.min(r.options.timeoutMs, left)) };
      return this.track(fn(r.client, opts));
    });
  }

  /** Settles by the action's deadline even when a session has to be set up first. */
  private withDeadline<T>(r: Running, ctx: ActionContext, fn: () => Promise<T>): Promise<T> {
    const left = ctx.deadline - r.clock.now();
    if (left <= 0) return Promise.reject(new DeviceError("timeout", "the action's deadline passed before it was sent"));
    return new Promise<T>((resolve, reject) => {
      const timer = r.clock.setTimeout(() => reject(new DeviceError("timeout", "the action's deadline passed")), left);
      fn().then(
        (v) => {
          r.clock.clearTimeout(timer);
          resolve(v);
        },
        (e: unknown) => {
          r.clock.clearTimeout(timer);
          reject(e);
        },
      );
    });
  }

  private async waitIdle(ctx: ActionContext): Promise<boolean> {
    const r = this.run;
    if (!r || !this.session?.ptz || r.options.arrivalTimeoutMs === 0) return false;
    const until = Math.min(ctx.deadline, r.clock.now() + r.options.arrivalTimeoutMs);
    while (r.clock.now() + r.options.statusIntervalMs < until) {
      await this.sleep(r, r.options.statusIntervalMs, ctx.signal);
      const st = await this.exec(ctx, (c, o) => c.status(o));
      this.update({ pan: st.pan, tilt: st.tilt, zoom: st.zoom, moveStatus: st.moveStatus });
      if (st.moveStatus !== "moving") return st.moveStatus === "idle";
    }
    return false;
  }

  private sleep(r: Running, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const signals = [signal, r.abort.signal];
      const onAbort = () => {
        r.clock.clearTimeout(timer);
        reject(new DeviceError("cancelled", "stopped while waiting for the camera"));
      };
      const timer = r.clock.setTimeout(() => {
        for (const s of signals) s.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      for (const s of signals) s.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Health and session follow each request's outcome. */
  private async track<T>(p: Promise<T>): Promise<T> {
    try {
      const v = await p;
      this.setHealth({ status: "ok", message: skewText(this.run?.client.clockSkewMs ?? null) });
      return v;
    } catch (e) {
      this.onFailure(e);
      throw e;
    }
  }

  private onFailure(e: unknown): void {
    const r = this.run;
    if (!r) return;
    const kind = onvifKind(e);
    const message = (e as Error).message;
    switch (kind) {
      case "timeout":
      case "connect_failed":
        this.session = null;
        this.setHealth({ status: "unreachable", code: kind === "timeout" ? "timeout" : "connect_failed", message });
        this.scheduleReconnect(this.reconnectDelay);
        this.reconnectDelay = Math.min(RECONNECT_MAX_MS, this.reconnectDelay * 2);
        return;
      case "auth_failed": {
        this.session = null;
        this.authBlockedUntil = r.clock.now() + r.options.authRetryMs;
        if (this.currentHealth.code !== "auth_failed") {
          r.log.error({ err: message }, "the camera refused the credentials; holding off");
          this.emitEvent({ type: "auth_failed", message });
        }
        this.setHealth({ status: "fault", code: "auth_failed", message });
        this.scheduleReconnect(r.options.authRetryMs);
        return;
      }
      case "malformed":
      case "http_error":
        if (kind === "malformed") this.update({ malformedReplies: this.state.malformedReplies + 1 });
        this.setHealth({ status: "degraded", code: kind === "malformed" ? "malformed_reply" : "http_error", message });
        this.reportMalformed(r, kind, message);
        return;
      case "invalid":
      case "busy":
      case "not_supported":
      case "fault":
        // A refusal is an answer: the camera is there and talking.
        this.setHealth({ status: "ok", message: skewText(r.client.clockSkewMs) });
        return;
      default:
        return; // cancelled or not a camera error: no news about the camera
    }
  }

  private reportMalformed(r: Running, kind: string, message: string): void {
    const now = r.clock.now();
    if (now - this.lastMalformedReport < MALFORMED_REPORT_INTERVAL_MS) return;
    this.lastMalformedReport = now;
    r.log.warn({ err: message }, "unreadable answer from the camera");
    this.emitEvent({ type: "malformed_reply", message, data: { kind, total: this.state.malformedReplies } });
  }

  private scheduleReconnect(delayMs: number): void {
    const r = this.run;
    if (!r || this.reconnectTimer !== null) return;
    this.reconnectTimer = r.clock.setTimeout(() => {
      this.reconnectTimer = null;
      if (this.run !== r || this.session) return;
      // Failures land in health and schedule the next attempt themselves.
      this.ensureSession().catch((e: unknown) => r.log.debug({ err: (e as Error).message }, "reconnect attempt failed"));
    }, Math.max(0, delayMs));
  }

  private update(patch: Partial<OnvifState>): void {
    Object.assign(this.state, patch);
    const now = JSON.stringify(this.state);
    if (now === this.lastEmitted) return;
    this.lastEmitted = now;
    this.emit("state", this.snapshot());
  }

  private snapshot(): OnvifState {
    return { ...this.state };
  }

  /** Emits on a change of status or code (or when `force`, for a fresh session's skew message). */
  private setHealth(h: Health, force = false): void {
    if (this.currentHealth.status === "fault" && this.currentHealth.code === "bad_config" && h.status !== "fault") return;
    const same = h.status === this.currentHealth.status && h.code === this.currentHealth.code;
    if (same && !(force && h.message !== this.currentHealth.message)) return;
    this.currentHealth = h;
    this.emit("health", { ...h });
  }

  private emitEvent(ev: DriverEvent): void {
    this.emit("event", ev);
  }

  private requireRun(): Running {
    if (!this.run) throw new DeviceError("not_connected", "driver not started");
    return this.run;
  }
}

function skewText(skew: number | null): string | undefined {
  if (skew === null) return undefined;
  return `camera clock ${skew >= 0 ? "+" : "-"}${(Math.abs(skew) / 1000).toFixed(1)} s from ours`;
}
