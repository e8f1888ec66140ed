/**
 * The ENC/1 link-encryptor status driver (serial 9600 8N1, or TCP). Read-only by construction:
 * the only bytes it can send go through `QueryLink.send` ($Q,ST, $Q,ID, $ACK,<seq>).
 *
 * Wiring: transport bytes -> LineFramer -> parseLine -> Enc1Model -> `state` / `event`.
 * `state` is emitted synchronously in the data handler (or the heartbeat watchdog) the moment a
 * field that matters changes, so the agent's interlock can react within its 200 ms budget.
 *
 * Health: `ok` while lines and heartbeats flow; `unreachable`/`heartbeat_lost` after
 * `missedHeartbeats` intervals without a heartbeat; `unreachable`/`transport_closed` when the link
 * is down; `unreachable`/`timeout` when start found the link but no line; `degraded`/`checksum_errors`
 * during a burst of bad checksums; `degraded`/`timeout` when a query went unanswered while
 * heartbeats still flow; `fault`/`bad_config` for options that can never work. Emitted on change only.
 */
import { EventEmitter } from "node:events";
import type { ActionContext, ActionTable, Clock, Driver, DriverContext, DriverEvent, DriverEvents, Health, Logger, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import type { TransportStatus } from "../transport/types.js";
import { buildActions } from "./actions.js";
import { BurstGate, ChecksumMonitor, FloodMeter } from "./bursts.js";
import { parseLine, type Enc1Line, type Enc1LineFault, type Enc1Query } from "./codec.js";
import { LineFramer } from "./framer.js";
import { createQueryLink, openWithin, type QueryLink } from "./link.js";
import { deriveHealth } from "./health.js";
import { parseEnc1Options, type Enc1Options } from "./options.js";
import { QueryBook } from "./queries.js";
import { Enc1Model, STATE_FIELDS, type AlarmChange, type Enc1DriverState } from "./state.js";

/** Bad lines (or floods) closer together than this belong to one burst: logged and reported once. */
export const BURST_QUIET_MS = 10_000;

interface Running {
  ctx: DriverContext;
  options: Enc1Options;
  log: Logger;
  clock: Clock;
  link: QueryLink;
  framer: LineFramer;
  queries: QueryBook;
  checksums: ChecksumMonitor;
  flood: FloodMeter;
  detach: () => void;
}

export class Enc1Driver extends EventEmitter<DriverEvents<Enc1DriverState>> implements Driver<Enc1DriverState> {
  readonly kind = "crypto" as const;
  readonly protocol = "enc1";
  readonly actions: ActionTable;
  readonly stateFields = STATE_FIELDS;
  private currentHealth: Health = { status: "unknown" };
  private model = new Enc1Model();
  private lastSignature = Enc1Model.signature(this.model.snapshot());
  private run: Running | null = null;
  private stopping: Promise<void> | null = null;
  private linkOpen = false;
  private contact = false;
  private contactTimedOut = false;
  private queryTimedOut = false;
  private hbLost = false;
  private idUnsupported = false;
  private watchdog: TimerHandle | null = null;
  private contactWaiters = new Set<() => void>();
  private polling: Promise<Enc1DriverState> | null = null;
  private badLines = new BurstGate(BURST_QUIET_MS);
  private floods = new BurstGate(BURST_QUIET_MS);
  private lastUnknownWord: string | null = null;

  constructor() {
    super();
    this.actions = buildActions({ refresh: (ctx) => this.refresh(ctx) });
  }

  get health(): Health {
    return { ...this.currentHealth };
  }

  async start(ctx: DriverContext): Promise<void> {
    if (this.run) throw new DeviceError("internal", "driver already started");
    let options: Enc1Options;
    try {
      options = parseEnc1Options(ctx.options);
    } catch (e) {
      this.setHealth({ status: "fault", code: "bad_config", message: (e as Error).message });
      throw e;
    }
    const log = ctx.logger.child({ driver: "enc1", transport: ctx.transport.description });
    const framer = new LineFramer(options.maxLineBytes);
    framer.onOverlong = () => this.badLine("too_long", `line over ${options.maxLineBytes} bytes`);
    const onData = (chunk: Buffer) => this.onData(chunk);
    const onStatus = (s: TransportStatus) => this.onStatus(s);
    const onAbort = () => void this.stop();
    ctx.transport.on("data", onData);
    ctx.transport.on("status", onStatus);
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    this.run = {
      ctx, options, log, clock: ctx.clock, framer,
      link: createQueryLink(ctx.transport),
      queries: new QueryBook({
        clock: ctx.clock,
        send: (kind, onError) => this.send({ query: kind }, onError),
        onTimeout: () => {
          this.queryTimedOut = true;
          this.updateHealth();
        },
      }),
      checksums: new ChecksumMonitor(options.checksumBurstCount, options.checksumBurstWindowMs, options.checksumRecoverLines),
      flood: new FloodMeter(options.floodLinesPerSecond),
      detach: () => {
        ctx.transport.off("data", onData);
        ctx.transport.off("status", onStatus);
        ctx.signal.removeEventListener("abort", onAbort);
      },
    };
    this.stopping = null;
    const deadline = ctx.clock.now() + options.connectTimeoutMs;
    // A transport that can never open (bad_config): tear down and say why.
    const cannotOpen = async (e: unknown): Promise<DeviceError> => {
      const message = errMessage(e);
      log.error({ err: message }, "transport cannot open");
      this.setHealth({ status: "fault", code: "bad_config", message });
      await this.stop();
      return new DeviceError("invalid_args", `transport cannot open: ${message}`);
    };
    try {
      await openWithin(ctx.transport, ctx.clock, options.connectTimeoutMs, (e) => void cannotOpen(e));
    } catch (e) {
      throw await cannotOpen(e);
    }
    if (!this.run) return; // stopped meanwhile
    if (ctx.transport.state === "open") {
      this.onLinkUp();
      await this.waitContact(deadline - ctx.clock.now());
    } else {
      this.setHealth({ status: "unreachable", code: "transport_closed", message: `${ctx.transport.description} not open` });
      log.warn({ state: ctx.transport.state }, "transport not open yet; the driver waits for it");
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    const r = this.run;
    if (!r) return;
    this.stopping = (async () => {
      r.detach();
      this.clearWatchdog();
      r.queries.fail(() => new DeviceError("cancelled", "driver stopped"));
      for (const wake of this.contactWaiters) wake();
      r.framer.reset();
      this.linkOpen = false;
      this.model.linkDown();
      try {
        await r.ctx.transport.close();
      } catch (e) {
        r.log.warn({ err: errMessage(e) }, "transport close failed");
      }
      this.run = null;
    })();
    return this.stopping;
  }

  /** Asks for a status line ($Q,ST) and returns the state once it arrived (and $Q,ID while the model is unknown). */
  poll(): Promise<Enc1DriverState> {
    this.polling ??= this.doPoll().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  // ---- queries ----

  private async doPoll(): Promise<Enc1DriverState> {
    const r = this.requireOpen();
    if (r.options.queryIdentity && !this.model.modelKnown && !this.idUnsupported) {
      r.queries.ask("ID", r.options.timeoutMs).catch((e: unknown) => r.log.debug({ code: (e as DeviceError).code }, "no identity answer"));
    }
    await r.queries.ask("ST", r.options.timeoutMs);
    return this.model.snapshot();
  }

  private async refresh(actx: ActionContext): Promise<Enc1DriverState> {
    const r = this.requireOpen();
    const left = actx.deadline - r.clock.now();
    if (left <= 0) throw new DeviceError("timeout", "the action's deadline passed before it was sent");
    await r.queries.ask("ST", Math.min(r.options.timeoutMs, left), actx.signal);
    return this.model.snapshot();
  }

  private send(q: Enc1Query, onError?: (err: DeviceError) => void): void {
    const r = this.run;
    if (!r) return;
    r.link.send(q).catch((e: unknown) => {
      const err = e instanceof DeviceError ? e : new DeviceError("internal", errMessage(e));
      r.log.debug({ code: err.code, err: err.message, line: "ack" in q ? "ACK" : `Q,${q.query}` }, "could not send to the encryptor");
      onError?.(err);
    });
  }

  // ---- lines ----

  private onData(chunk: Buffer): void {
    const r = this.run;
    if (!r) return;
    for (const text of r.framer.push(chunk)) {
      try {
        this.onLine(text);
      } catch (e) {
        // A bug here (or a throwing listener) must not take the transport, or the process, down.
        r.log.error({ err: errMessage(e) }, "handling an encryptor line failed");
      }
    }
  }

  private onLine(text: string): void {
    const r = this.run!;
    const now = r.clock.now();
    if (r.flood.line(now)) this.reportFlood(now);
    const parsed = parseLine(text, r.options.maxLineBytes);
    if (!parsed.ok) return this.badLine(parsed.fault, parsed.detail);
    this.contact = true;
    this.contactTimedOut = false;
    for (const wake of this.contactWaiters) wake();
    if (r.checksums.good()) r.log.info({ checksumErrors: this.model.checksumErrors }, "good lines again after a checksum burst");
    const line = parsed.line;
    switch (line.type) {
      case "HB":
        this.onHeartbeat();
        break;
      case "ST":
        this.onStatusLine(line);
        break;
      case "AL": {
        const change = this.model.alarmLine(line);
        this.emitState();
        if (change) this.emitAlarm(change, "alarm line");
        this.ack("AL", line.seq);
        break;
      }
      case "ID":
        this.model.identity(line);
        this.queryTimedOut = false;
        r.queries.answer("ID");
        this.emitState();
        break;
      case "ER":
        this.onDeviceError(line);
        break;
    }
    this.updateHealth();
  }

  private onHeartbeat(): void {
    const r = this.run!;
    this.armWatchdog();
    const recovered = this.model.heartbeat();
    if (recovered) {
      this.hbLost = false;
      r.log.info("heartbeats resumed; asking for status");
      r.queries.send("ST");
    }
    this.emitState();
  }

  private onStatusLine(line: Extract<Enc1Line, { type: "ST" }>): void {
    const r = this.run!;
    const cleared = this.model.status(line, r.options.reconcileAlarmsFromStatus);
    const before = this.lastSignature;
    this.emitState(); // first: the interlock waits on this
    if (this.lastSignature !== before) {
      r.log.info({ state: line.state, tunnel: line.tunnel, key: line.key, alarm: line.alarm }, "encryptor status changed");
    }
    if (line.state === "UNKNOWN" && line.word !== this.lastUnknownWord) {
      r.log.warn({ word: line.word }, "encryptor reported a state outside ENC/1; counted as not secure");
      this.emitEvent({ type: "enc.unknown_state", message: `unknown state word ${line.word}`, data: { word: line.word } });
    }
    this.lastUnknownWord = line.state === "UNKNOWN" ? line.word : null;
    for (const c of cleared) this.emitAlarm(c, "status alarm=NONE");
    this.queryTimedOut = false;
    r.queries.answer("ST");
    this.ack("ST", line.seq);
  }

  private onDeviceError(line: Extract<Enc1Line, { type: "ER" }>): void {
    const r = this.run!;
    const kind = r.queries.refuse((k) => new DeviceError("device_error", `the encryptor refused $Q,${k} (${line.word})`, { reason: line.word }));
    r.log.warn({ reason: line.word, query: kind ?? null }, "the encryptor refused a line from the agent");
    this.emitEvent({ type: "enc.query_refused", message: `encryptor answered ER ${line.word}`, data: { reason: line.word, query: kind ?? null } });
    if (kind === "ID" && line.reason === "UNSUPPORTED") this.idUnsupported = true;
  }

  private ack(type: "ST" | "AL", seq: number): void {
    if (this.run?.options.ackLines.includes(type)) this.send({ ack: seq });
  }

  private badLine(fault: Enc1LineFault, detail: string): void {
    const r = this.run;
    if (!r) return;
    const now = r.clock.now();
    if (fault === "bad_checksum") {
      this.model.checksumErrors++;
      if (r.checksums.bad(now)) r.log.warn({ checksumErrors: this.model.checksumErrors }, "burst of bad checksums from the encryptor");
    } else {
      this.model.droppedLines++;
    }
    const gate = this.badLines.hit(now);
    if (gate.report) {
      // Never the line itself: it may carry anything, key material included.
      const data = { fault, detail, suppressedBefore: gate.suppressedBefore, checksumErrors: this.model.checksumErrors, droppedLines: this.model.droppedLines };
      r.log.warn(data, "bad line from the encryptor (further ones in this burst are only counted)");
      this.emitEvent({ type: "garbled_line", message: `bad line from the encryptor (${fault})`, data });
    }
    this.updateHealth();
  }

  private reportFlood(now: number): void {
    const r = this.run!;
    const gate = this.floods.hit(now);
    if (!gate.report) return;
    const data = { limitPerSecond: r.options.floodLinesPerSecond, floodsBefore: gate.suppressedBefore };
    r.log.warn(data, "line flood from the encryptor (every line is still read)");
    this.emitEvent({ type: "line_flood", message: `more than ${r.options.floodLinesPerSecond} lines in one second`, data });
  }

  // ---- link and heartbeats ----

  private onStatus(s: TransportStatus): void {
    const r = this.run;
    if (!r || this.stopping) return;
    if (s.state === "open") return this.onLinkUp();
    if (!this.linkOpen) return;
    this.linkOpen = false;
    this.hbLost = false;
    this.clearWatchdog();
    r.framer.reset();
    r.queries.fail(() => new DeviceError("not_connected", `transport ${s.state}`));
    this.model.linkDown();
    this.emitState();
    const message = s.error ? `${s.error.code}: ${s.error.message}` : `transport ${s.state}`;
    r.log.warn({ state: s.state, error: s.error }, "link to the encryptor lost; state UNKNOWN");
    this.setHealth({ status: "unreachable", code: "transport_closed", message });
  }

  private onLinkUp(): void {
    const r = this.run;
    if (!r || this.linkOpen) return;
    this.linkOpen = true;
    this.contact = false;
    this.contactTimedOut = false;
    this.queryTimedOut = false;
    this.hbLost = false;
    this.idUnsupported = false;
    r.queries.forgetSent();
    r.framer.reset();
    r.checksums.reset();
    this.model.linkUp();
    this.armWatchdog();
    r.queries.send("ST");
    if (r.options.queryIdentity) r.queries.send("ID");
  }

  private waitContact(ms: number): Promise<void> {
    const r = this.run;
    if (!r || this.contact) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        this.contactWaiters.delete(done);
        r.clock.clearTimeout(timer);
        resolve();
      };
      const timer = r.clock.setTimeout(() => {
        done();
        if (this.contact || !this.run) return;
        this.contactTimedOut = true;
        r.log.warn({ ms }, "no line from the encryptor yet; the driver keeps listening");
        this.updateHealth();
      }, Math.max(0, ms));
      this.contactWaiters.add(done);
    });
  }

  private armWatchdog(): void {
    const r = this.run;
    if (!r) return;
    this.clearWatchdog();
    const ms = r.options.heartbeatIntervalMs * r.options.missedHeartbeats;
    this.watchdog = r.clock.setTimeout(() => {
      this.watchdog = null;
      if (!this.run || !this.linkOpen) return;
      this.hbLost = true;
      this.model.heartbeatsLost();
      this.emitState(); // synchronously: UNKNOWN is what the interlock must see
      r.log.warn({ missed: r.options.missedHeartbeats, intervalMs: r.options.heartbeatIntervalMs }, "heartbeats lost; state UNKNOWN");
      this.updateHealth();
    }, ms);
  }

  private clearWatchdog(): void {
    if (this.watchdog !== null) this.run?.clock.clearTimeout(this.watchdog);
    this.watchdog = null;
  }

  // ---- output ----

  private updateHealth(): void {
    const r = this.run;
    if (!r) return;
    const h = deriveHealth({
      linkOpen: this.linkOpen,
      heartbeatsLost: this.hbLost,
      heartbeatWindowMs: r.options.heartbeatIntervalMs * r.options.missedHeartbeats,
      contact: this.contact,
      contactTimedOut: this.contactTimedOut,
      checksumBurst: r.checksums.degraded,
      queryTimedOut: this.queryTimedOut,
    });
    if (h) this.setHealth(h);
  }

  private setHealth(h: Health): void {
    if (this.currentHealth.status === "fault" && this.currentHealth.code === "bad_config" && h.status !== "fault") return;
    // Messages carry no counters, so comparing them too re-publishes only a changed reason.
    const c = this.currentHealth;
    if (h.status === c.status && h.code === c.code && h.message === c.message) return;
    this.currentHealth = h;
    this.safeEmit("health", { ...h });
  }

  private emitState(): void {
    const snap = this.model.snapshot();
    const sig = Enc1Model.signature(snap);
    if (sig === this.lastSignature) return;
    this.lastSignature = sig;
    this.safeEmit("state", snap);
  }

  private emitAlarm(c: AlarmChange, source: string): void {
    this.emitEvent({ type: "enc.alarm", message: `${c.action} ${c.severity} ${c.code} (${source})`, data: { code: c.code, severity: c.severity, action: c.action } });
  }

  private emitEvent(ev: DriverEvent): void {
    this.safeEmit("event", ev);
  }

  /** A throwing listener is the agent's bug: log it, never let it break the line handling or a timer. */
  private safeEmit<K extends keyof DriverEvents<Enc1DriverState>>(name: K, ...args: DriverEvents<Enc1DriverState>[K]): void {
    try {
      (this.emit as (n: string, ...a: unknown[]) => boolean)(name, ...args);
    } catch (e) {
      this.run?.ctx.logger.error({ err: errMessage(e), event: name }, "a driver event listener threw");
    }
  }

  private requireOpen(): Running {
    const r = this.run;
    if (!r || this.stopping) throw new DeviceError("not_connected", "driver not started");
    if (!this.linkOpen || r.ctx.transport.state !== "open") {
      throw new DeviceError("not_connected", `${r.ctx.transport.description} is ${r.ctx.transport.state}`);
    }
    return r;
  }
}

function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
