/**
 * The Firmata GPIO driver: relays, lamps, door contacts and analog thermometers on a board running
 * StandardFirmata, through firmata-io over our own serial transport (see port.ts and the note in
 * index.ts on why not johnny-five).
 *
 * Health: `ok` once the handshake is done and the pins are set up; `unreachable` with
 * `transport_closed` (link down), `handshake_timeout` (the board never completed the handshake;
 * the link is then reset, which resets a real board, and tried again) or `timeout` (a query went
 * unanswered, until the board is heard again); `fault`/`bad_config` for options the board cannot
 * serve (names the pin); `degraded`/`over_temperature` while a thermometer reads above its overC.
 */
import { EventEmitter } from "node:events";
import { openWithin } from "../transport/open-within.js";
import type { ActionTable, Clock, Driver, DriverContext, DriverEvent, DriverEvents, Health, Logger, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import type { TransportStatus } from "../transport/types.js";
import { buildActions } from "./actions.js";
import { Outputs } from "./outputs.js";
import { parseFirmataOptions, type FirmataOptions } from "./options.js";
import { rawToCelsius, type ResolvedPin } from "./pins.js";
import { BoardSession, SessionConfigError } from "./session.js";
import { emptyState, type FirmataState } from "./state.js";

export type { FirmataState } from "./state.js";

/** At most one `garbled_frame` event per this many ms; the rest are counted in state. */
export const GARBLE_REPORT_INTERVAL_MS = 10_000;

type Phase = "closed" | "handshaking" | "ready" | "handshake_failed" | "bad_config";

interface Running {
  ctx: DriverContext;
  options: FirmataOptions;
  log: Logger;
  clock: Clock;
  detach: () => void;
}

export class FirmataDriver extends EventEmitter<DriverEvents<FirmataState>> implements Driver<FirmataState> {
  readonly kind = "gpio" as const;
  readonly protocol = "firmata";
  readonly actions: ActionTable;
  readonly stateFields = Object.keys(emptyState({})) as readonly (keyof FirmataState)[];
  private currentHealth: Health = { status: "unknown" };
  private state: FirmataState = emptyState({});
  private lastEmitted = "";
  private run: Running | null = null;
  private session: BoardSession | null = null;
  private outputs: Outputs | null = null;
  private phase: Phase = "closed";
  private phaseMessage = "";
  private contactLost: string | null = null;
  private readonly overTemp = new Set<string>();
  private polling: Promise<FirmataState> | null = null;
  private linkUpRun: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private garble = { lastReportAt: -Infinity, suppressed: 0 };

  constructor() {
    super();
    this.actions = buildActions({
      setRelay: (n, on, c) => this.requireOutputs().setRelay(n, on, c),
      pulseRelay: (n, ms, c) => this.requireOutputs().pulseRelay(n, ms, c),
      setLed: (n, on, c) => this.requireOutputs().setLed(n, on, c),
      blinkLed: (n, ms, c) => this.requireOutputs().blinkLed(n, ms, c),
    });
  }

  get health(): Health {
    return { ...this.currentHealth };
  }

  async start(ctx: DriverContext): Promise<void> {
    if (this.run) throw new DeviceError("internal", "driver already started");
    let options: FirmataOptions;
    try {
      options = parseFirmataOptions(ctx.options);
    } catch (e) {
      this.setHealth({ status: "fault", code: "bad_config", message: (e as Error).message });
      throw e;
    }
    const log = ctx.logger.child({ driver: "firmata", transport: ctx.transport.description });
    const onData = (chunk: Buffer): void => this.session?.receive(chunk);
    const onStatus = (s: TransportStatus): void => this.onStatus(s);
    const onAbort = (): void => void this.stop();
    ctx.transport.on("data", onData);
    ctx.transport.on("status", onStatus);
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    const detach = (): void => {
      ctx.transport.off("data", onData);
      ctx.transport.off("status", onStatus);
      ctx.signal.removeEventListener("abort", onAbort);
    };
    this.run = { ctx, options, log, clock: ctx.clock, detach };
    this.stopping = null;
    this.state = emptyState(options.pins);
    this.outputs = new Outputs(options, ctx.clock, {
      session: () => (this.phase === "ready" ? this.session : null),
      track: (p) => this.track(p),
      update: (patch) => this.update(patch),
    });

    const opened = await this.waitOpen(options.handshakeTimeoutMs);
    if (opened) {
      await this.linkUp();
    } else {
      this.refreshHealth();
      log.warn({ state: ctx.transport.state }, "transport not open yet; the driver waits for it");
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    const r = this.run;
    if (!r) return;
    this.stopping = (async () => {
      r.detach();
      this.dropSession("closed");
      this.outputs?.close();
      try {
        await r.ctx.transport.close();
      } catch (e) {
        r.log.warn({ err: String(e) }, "transport close failed");
      }
      this.run = null;
    })();
    return this.stopping;
  }

  poll(): Promise<FirmataState> {
    this.polling ??= this.doPoll().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  // ---- internals ----

  private async doPoll(): Promise<FirmataState> {
    const outputs = this.requireOutputs();
    this.update(await outputs.readBack());
    return { ...this.state };
  }

  /** A new session on a freshly opened link: handshake, pin setup. Never rejects. */
  private linkUp(): Promise<void> {
    this.linkUpRun ??= this.doLinkUp().finally(() => {
      this.linkUpRun = null;
    });
    return this.linkUpRun;
  }

  private async doLinkUp(): Promise<void> {
    const r = this.run;
    if (!r) return;
    this.dropSession("handshaking");
    const session = new BoardSession(r.ctx.transport, r.options, r.clock, r.log, {
      onDigital: (p, level) => this.update({ switches: { [p.name]: level === p.closedLevel ? "closed" : "open" } }),
      onAnalog: (p, raw) => this.onTemperature(p, rawToCelsius(p.model, raw, p.arefV)),
      onContact: () => this.onContact(),
      onGarbage: (bytes, reason, detail) => this.onGarbage(bytes, reason, detail),
      onBoardReset: (unsolicited) => this.onBoardReset(session, unsolicited),
    });
    this.session = session;
    try {
      const info = await session.handshake();
      if (this.session !== session) return;
      this.phase = "ready";
      this.contactLost = null;
      this.update({ firmware: info.firmware });
      this.outputs!.configure(session);
      // Health turns ok only once the board confirms its outputs (a pin state query each).
      this.update(await this.outputs!.readBack());
      r.log.info({ firmware: info.firmware }, "Firmata board ready");
    } catch (e) {
      if (this.session !== session) return;
      const err = e as DeviceError;
      session.close();
      this.session = null;
      if (e instanceof SessionConfigError) {
        this.setPhase("bad_config", err.message);
        r.log.error({ err: err.message }, "the board cannot serve the configured pins");
        return;
      }
      this.setPhase("handshake_failed", err.message);
      r.log.warn({ err: err.message }, "Firmata handshake failed; resetting the link");
      // Reopening the port resets a real board (DTR), which is the best chance of a clean handshake.
      r.ctx.transport.reset?.("handshake_timeout");
      return;
    }
    this.refreshHealth();
  }

  private onStatus(s: TransportStatus): void {
    if (!this.run || this.stopping) return;
    if (s.state === "open") {
      if (this.phase === "closed" || this.phase === "handshake_failed") void this.linkUp();
      return;
    }
    if (this.phase === "closed") return;
    if (this.phase === "bad_config") return; // stays a fault until the config changes
    if (this.phase === "handshake_failed") return; // our own reset: keep saying why until the next handshake
    this.dropSession("closed");
    this.phaseMessage = s.error ? `${s.error.code}: ${s.error.message}` : `transport ${s.state}`;
    this.run.log.warn({ state: s.state, error: s.error }, "transport left open");
    this.refreshHealth();
  }

  private dropSession(next: Phase): void {
    this.session?.close();
    this.session = null;
    this.outputs?.linkDown();
    this.phase = next;
  }

  private onBoardReset(session: BoardSession, unsolicited: boolean): void {
    if (this.session !== session || this.phase !== "ready") return;
    if (unsolicited) {
      this.run?.log.warn({}, "the board announced itself again (reset): setting the pins up again");
      this.emitEvent({ type: "board_reset", message: "the Firmata board reset; pin modes and outputs restored" });
    }
    this.outputs!.configure(session);
  }

  private onContact(): void {
    if (this.contactLost === null) return;
    this.contactLost = null;
    this.refreshHealth();
  }

  private onTemperature(p: ResolvedPin & { kind: "thermometer" }, celsius: number): void {
    this.update({ temperatures: { [p.name]: celsius } });
    if (p.overC === undefined) return;
    const hysteresis = this.run?.options.hysteresisC ?? 1;
    const was = this.overTemp.has(p.name);
    if (!was && celsius > p.overC) this.overTemp.add(p.name);
    else if (was && celsius <= p.overC - hysteresis) this.overTemp.delete(p.name);
    else return;
    const raise = !was;
    this.emitEvent({
      type: "gpio.alarm",
      message: `${p.name} ${celsius} °C ${raise ? "above" : "back below"} ${p.overC} °C`,
      data: { code: "over_temperature", severity: "major", action: raise ? "raise" : "clear", pin: p.name, celsius, overC: p.overC },
    });
    this.refreshHealth();
  }

  private onGarbage(bytes: Buffer, reason: string, detail?: string): void {
    const r = this.run;
    if (!r) return;
    this.state = { ...this.state, garbledFrames: this.state.garbledFrames + 1 };
    const now = r.clock.now();
    if (now - this.garble.lastReportAt < GARBLE_REPORT_INTERVAL_MS) {
      this.garble.suppressed++;
      return;
    }
    const data = {
      reason, ...(detail ? { detail } : {}), bytes: bytes.subarray(0, 32).toString("hex"), length: bytes.length,
      suppressedSinceLast: this.garble.suppressed, total: this.state.garbledFrames,
    };
    this.garble = { lastReportAt: now, suppressed: 0 };
    r.log.warn(data, "malformed bytes from the Firmata board");
    this.emitEvent({ type: "garbled_frame", message: `malformed Firmata message (${reason})`, data });
  }

  /** Request outcomes drive health: an unanswered query makes the board unreachable until it is heard. */
  private async track<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      if (e instanceof DeviceError && e.code === "timeout") {
        this.contactLost = e.message;
        this.refreshHealth();
      }
      throw e;
    }
  }

  private setPhase(phase: Phase, message: string): void {
    this.phase = phase;
    this.phaseMessage = message;
    this.refreshHealth();
  }

  private refreshHealth(): void {
    const r = this.run;
    const description = r?.ctx.transport.description ?? "link";
    switch (this.phase) {
      case "bad_config": return this.setHealth({ status: "fault", code: "bad_config", message: this.phaseMessage });
      case "closed": return this.setHealth({ status: "unreachable", code: "transport_closed", message: this.phaseMessage || `${description} not open` });
      case "handshake_failed": return this.setHealth({ status: "unreachable", code: "handshake_timeout", message: this.phaseMessage });
      case "handshaking": return; // keep what the centre last saw until the handshake settles
      case "ready":
        if (this.contactLost !== null) return this.setHealth({ status: "unreachable", code: "timeout", message: this.contactLost });
        if (this.overTemp.size > 0) {
          const names = [...this.overTemp].sort();
          return this.setHealth({ status: "degraded", code: "over_temperature", message: `over temperature: ${names.join(", ")}` });
        }
        return this.setHealth({ status: "ok" });
    }
  }

  /** Waits for the transport's first open, bounded (drivers/transport/open-within.ts). */
  private async waitOpen(timeoutMs: number): Promise<boolean> {
    const r = this.run!;
    const opened = await openWithin(r.ctx.transport, r.clock, timeoutMs, async (message) => {
      this.setPhase("bad_config", message);
      await this.stop();
    });
    return opened === "open";
  }

  private requireOutputs(): Outputs {
    if (!this.run || this.stopping || !this.outputs) throw new DeviceError("not_connected", "driver not started");
    return this.outputs;
  }

  private update(patch: Partial<FirmataState>): void {
    const next = { ...this.state };
    for (const [k, v] of Object.entries(patch) as [keyof FirmataState, unknown][]) {
      const cur = next[k];
      (next as Record<string, unknown>)[k] = v !== null && typeof v === "object" && cur !== null && typeof cur === "object" ? { ...cur, ...v } : v;
    }
    this.state = next;
    const json = JSON.stringify(next);
    if (json === this.lastEmitted) return;
    this.lastEmitted = json;
    this.emit("state", { ...next });
  }

  private setHealth(h: Health): void {
    if (h.status === this.currentHealth.status && h.code === this.currentHealth.code) return;
    this.currentHealth = h;
    this.emit("health", { ...h });
  }

  private emitEvent(ev: DriverEvent): void {
    this.emit("event", ev);
  }
}

