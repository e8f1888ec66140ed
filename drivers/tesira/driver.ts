/**
 * The Biamp Tesira DSP driver: TTP over telnet (TCP 23) or RS-232.
 *
 * Wiring: transport bytes -> TtpLink (telnet, lines, requester, readiness, keepalive) -> actions/poll.
 * Once the session is ready the driver reads the firmware, subscribes to every channel's mute and
 * level, and reads them all; it does the same again whenever the Welcome banner reappears (DSP
 * reboot or design push: subscriptions are gone), with no operator action.
 * Health: `ok`; `unreachable`/`timeout` when a command goes unanswered, `unreachable`/
 * `transport_closed` when the link drops; `degraded`/`address_not_found` or `device_error` when a
 * configured channel is refused by the DSP; `fault`/`bad_config` for options that can never work.
 */
import { DriverBase, timeLeft } from "../lifecycle.js";
import { RateLimitedEmitter } from "../state-emitter.js";
import type { ActionContext, ActionTable, Clock, Driver, DriverContext, DriverEvent, Logger } from "../types.js";
import { DeviceError } from "../types.js";
import type { TransportStatus } from "../transport/types.js";
import { buildActions } from "./actions.js";
import { encodeCommand, TtpCodecError, type TtpCommand, type TtpValue } from "./codec.js";
import { TtpLink } from "./link.js";
import { parseTesiraOptions, type ChannelSpec, type ParsedTesiraOptions } from "./options.js";
import { cloneState, initialState, STATE_FIELDS, type ChannelState, type TesiraState } from "./state.js";
import { ChannelSync } from "./sync.js";

/** At most one `garbled_line` / `dropped_line` / `unmatched_answer` event per this many ms; the rest are counted. */
export const REPORT_INTERVAL_MS = 10_000;

interface Running {
  ctx: DriverContext;
  options: ParsedTesiraOptions;
  log: Logger;
  clock: Clock;
  link: TtpLink;
  sync: ChannelSync;
  emitter: RateLimitedEmitter;
  detach: () => void;
}

export class TesiraDriver extends DriverBase<TesiraState, Running> implements Driver<TesiraState> {
  readonly kind = "audio" as const;
  readonly protocol = "tesira";
  readonly actions: ActionTable;
  readonly stateFields: readonly string[] = STATE_FIELDS;
  private state: TesiraState = initialState();
  private linkOpen = false;
  private lastReport: Record<string, number> = {};

  constructor() {
    super();
    this.actions = buildActions({
      channel: (name) => this.channel(name),
      command: (cmd, ctx) => this.command(cmd, ctx),
      current: (name) => ({ ...(this.state.channels[name] ?? { muted: null, levelDb: null }) }),
      patch: (name, p) => this.patchChannel(name, p),
      refresh: () => void this.poll().catch((e: unknown) => this.run?.log.warn({ err: (e as Error).message }, "refresh after preset recall failed")),
    });
  }

  async start(ctx: DriverContext): Promise<void> {
    const options = this.startOptions(ctx, parseTesiraOptions);
    const log = ctx.logger.child({ driver: "tesira", transport: ctx.transport.description });
    const clock = ctx.clock;
    const mode = options.link === "auto" ? (ctx.transport.kind === "tcp" ? "telnet" : "raw") : options.link;
    this.state = initialState(options.channels.values());
    const link = new TtpLink(ctx.transport, clock, { ...options, mode }, {
      onReady: (probe) => this.onReady(probe),
      onReboot: () => this.onReboot(),
      onTimeout: (err, what) => this.setHealth({ status: "unreachable", code: "timeout", message: `${what}: ${err.message}` }),
      onContact: () => undefined,
      onPush: (token, value) => this.run?.sync.push(token, value),
      onNegotiation: (n) => log.debug({ negotiations: n }, "telnet options refused"),
      onDropped: (bytes) => this.count("droppedLines", "dropped_line", `a line over ${options.maxLineLength} bytes was dropped`, { bytes }),
      onGarbled: (line, reason) => this.count("garbledLines", "garbled_line", `unreadable line (${reason})`, { line: line.slice(0, 120) }),
      onIgnored: () => this.count("ignoredLines"),
      onUnmatched: (line) => this.report("unmatched_answer", "an answer arrived with no command waiting (late after a timeout?)", { line: line.slice(0, 120) }),
      log: (msg, data) => log.info(data ?? {}, msg),
    });
    const emitter = new RateLimitedEmitter(clock, options.pushIntervalMs, () => this.emit("state", cloneState(this.state)));
    const sync = new ChannelSync({
      channels: options.channels,
      subscribe: options.subscribe,
      levelSubscribeMs: options.levelSubscribeMs,
      keepaliveCommand: options.keepaliveCommand,
      send: (line) => this.send(line, options.timeoutMs),
      patch: (name, p) => this.patchChannel(name, p),
      setFirmware: (v) => this.setField("firmware", v),
      setSubscriptions: (n) => this.setField("subscriptions", n),
      unknownToken: () => this.count("ignoredLines"),
      healthChanged: () => this.recomputeHealth(),
      log,
    });
    const detach = this.listen(ctx, (chunk) => link.session.receive(chunk), (s) => this.onStatus(s));
    this.run = { ctx, options, log, clock, link, sync, emitter, detach };
    this.stopping = null;

    const t0 = clock.now();
    if ((await this.waitOpen(options.connectTimeoutMs)) === "open") {
      if (!link.ready && ctx.transport.state === "open") await link.whenReady(options.connectTimeoutMs - (clock.now() - t0));
      if (link.ready) await sync.running();
      else this.setHealth({ status: "unreachable", code: mode === "telnet" ? "no_banner" : "timeout", message: "the DSP session did not start (no Welcome banner, no answer to the probe)" });
    } else {
      this.waitForTransport();
    }
  }

  protected release(r: Running): void {
    this.linkOpen = false;
    r.link.dispose(new DeviceError("cancelled", "driver stopped"));
    r.emitter.cancel();
  }

  poll(): Promise<TesiraState> {
    return this.pollOnce(() => this.doPoll());
  }

  // ---- internals ----

  private async doPoll(): Promise<TesiraState> {
    const r = this.requireOpen();
    await r.sync.readAll(this.state.firmware === null);
    return cloneState(this.state);
  }

  /** One command from an action, bounded by the action's deadline. */
  private async command(cmd: TtpCommand, actx: ActionContext): Promise<TtpValue | undefined> {
    const r = this.requireOpen();
    let line: string;
    try {
      line = encodeCommand(cmd).trimEnd();
    } catch (e) {
      if (e instanceof TtpCodecError) throw new DeviceError("invalid_args", e.message);
      throw e;
    }
    return (await this.send(line, Math.min(r.options.timeoutMs, timeLeft(r.clock, actx)), actx.signal)).value;
  }

  /** Waits (bounded) for a ready session, then sends; success clears an `unreachable` health. */
  private async send(line: string, timeoutMs: number, signal?: AbortSignal) {
    const r = this.requireOpen();
    if (!r.link.ready && !(await r.link.whenReady(timeoutMs))) {
      this.requireOpen();
      throw new DeviceError("timeout", `the DSP session is not ready within ${timeoutMs} ms (no Welcome banner, no answer to the probe)`, { stage: "ready" });
    }
    const ok = await r.link.request(line, timeoutMs, signal);
    if (this.currentHealth.status === "unreachable") {
      this.recomputeHealth();
      r.sync.resumeIfNeeded();
    }
    return ok;
  }

  private onReady(probe: TtpValue | undefined): void {
    const r = this.run;
    if (!r) return;
    if (typeof probe === "string") this.setField("firmware", probe);
    r.sync.linkUp("session ready");
  }

  private onReboot(): void {
    const r = this.run;
    if (!r) return;
    this.state.reboots++;
    this.setField("subscriptions", 0);
    r.log.warn({ reboots: this.state.reboots }, "Welcome banner again: the DSP rebooted; subscribing again");
    this.emit("event", { type: "dsp_rebooted", message: "the DSP printed its Welcome banner again; subscriptions renewed", data: { reboots: this.state.reboots } });
    r.sync.linkUp("banner again");
  }

  private onStatus(s: TransportStatus): void {
    const r = this.run;
    if (!r) return;
    if (s.state === "open") {
      this.linkOpen = true;
      r.link.opened();
      return;
    }
    if (!this.linkOpen) return;
    this.linkOpen = false;
    r.link.closed(new DeviceError("not_connected", `transport ${s.state}`));
    r.sync.linkDown();
    this.setField("subscriptions", 0);
    this.linkLost(s);
  }

  /** ok, or degraded while a configured channel is refused by the DSP. */
  private recomputeHealth(): void {
    const r = this.run;
    if (!r || !r.link.ready) return;
    const errors = r.sync.errors();
    if (errors.length === 0) {
      this.setHealth({ status: "ok" });
      return;
    }
    const first = errors[0]!;
    const code = first.err.details?.["code"] === "address_not_found" ? "address_not_found" : "device_error";
    this.setHealth({ status: "degraded", code, message: errors.map((e) => `${e.channel}.${e.what}: ${e.err.message}`).join("; ") });
  }

  private channel(name: string): ChannelSpec {
    const r = this.run;
    const channels = r?.options.channels ?? new Map<string, ChannelSpec>();
    const c = channels.get(name);
    if (!c) {
      const names = [...channels.keys()];
      throw new DeviceError("invalid_args", `unknown channel "${name}"; known: ${names.length > 0 ? names.join(", ") : "(none configured)"}`, { channels: names });
    }
    return c;
  }

  private patchChannel(name: string, p: Partial<ChannelState>): void {
    const c = this.state.channels[name];
    if (!c) return;
    let changed = false;
    for (const [k, v] of Object.entries(p) as [keyof ChannelState, never][]) {
      if (c[k] !== v) {
        c[k] = v;
        changed = true;
      }
    }
    if (changed) this.run?.emitter.changed();
  }

  private setField<K extends "firmware" | "subscriptions">(k: K, v: TesiraState[K]): void {
    if (this.state[k] === v) return;
    this.state[k] = v;
    this.run?.emitter.changed();
  }

  private count(field: "droppedLines" | "garbledLines" | "ignoredLines", event?: string, message?: string, data?: Record<string, unknown>): void {
    this.state[field]++;
    this.run?.emitter.changed();
    if (event) this.report(event, message ?? event, { ...data, total: this.state[field] });
  }

  /** Events about bad input, at most one per type per REPORT_INTERVAL_MS. */
  private report(type: string, message: string, data: Record<string, unknown>): void {
    const r = this.run;
    if (!r) return;
    const now = r.clock.now();
    if (now - (this.lastReport[type] ?? -Infinity) < REPORT_INTERVAL_MS) return;
    this.lastReport[type] = now;
    r.log.warn(data, message);
    const ev: DriverEvent = { type, message, data };
    this.emitEvent(ev);
  }
}
