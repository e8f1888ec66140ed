/**
 * The Behringer X32 / Midas M32 driver: OSC over UDP 10023 (drivers/transport/udp.ts).
 *
 * Wiring: datagrams -> osc.ts decode (bad ones counted) -> QueryBook (replies by address) and the
 * state (pushes). Contact: `/xinfo` at start, on every renewal tick and while unreachable; every
 * `renewMs` (< 10 s) `/xremote` (and `/meters` when enabled) is sent again, so after a desk
 * reboot pushes resume by themselves. The desk does not echo our own sets to us, so a set updates
 * the state at once and is confirmed by querying the address again.
 *
 * Health: `ok` after any answered query; `unreachable`/`timeout` when a query goes unanswered;
 * `unreachable`/`transport_closed` when the socket leaves `open`; `degraded`/`device_error` when
 * the desk answers a set with another value; `fault`/`bad_config` for options that can never work.
 */
import { DriverBase, errMessage } from "../lifecycle.js";
import type { ActionContext, ActionTable, Clock, Driver, DriverContext, Logger, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import type { TransportStatus } from "../transport/types.js";
import { buildActions } from "./actions.js";
import { METERS_INPUTS, metersMessage, queryMessage, XINFO, xremoteMessage } from "./addresses.js";
import { faderToDb, roundDb } from "./fader.js";
import { decodePacket, describeMessage, type OscArg, type OscDecodeError, type OscMessage } from "./osc.js";
import { parseX32Options, type X32Options } from "./options.js";
import { QueryBook } from "./queries.js";
import { audioOperations } from "./operations.js";
import { STATE_FIELDS, ThrottledState, type X32State } from "./state.js";
import { parseFader, parseOn, StripTable, type Strip } from "./strips.js";

export type { X32State, ChannelState } from "./state.js";

/** At most one `garbled_packet` event per this many ms; the rest are counted. */
export const GARBLE_REPORT_INTERVAL_MS = 10_000;

interface Running {
  ctx: DriverContext;
  options: X32Options;
  log: Logger;
  clock: Clock;
  queries: QueryBook;
  strips: StripTable;
  detach: () => void;
}

export class X32Driver extends DriverBase<X32State, Running> implements Driver<X32State> {
  readonly kind = "audio" as const;
  readonly protocol = "x32";
  readonly actions: ActionTable;
  readonly stateFields = STATE_FIELDS;
  private store: ThrottledState | null = null;
  private linkOpen = false;
  /** Set when contact was lost: subscriptions and values must be renewed on the next contact. */
  private resync = true;
  private linkUpRun: Promise<void> | null = null;
  private tickTimer: TimerHandle | null = null;
  private garble = { lastReportAt: -Infinity, suppressed: 0 };

  constructor() {
    super();
    this.actions = buildActions(audioOperations({
      strip: (c) => this.strip(c),
      send: (buf, actx) => this.send(buf, actx),
      query: (address, actx) => this.query(address, actx, true),
      readChannels: (actx) => this.readChannels(actx),
      updateChannel: (c, patch) => this.store!.updateChannel(c, patch),
      setLastPreset: (n) => this.store!.update({ lastPreset: n }),
      degraded: (message) => this.setHealth({ status: "degraded", code: "device_error", message }),
    }));
  }

  async start(ctx: DriverContext): Promise<void> {
    const options = this.startOptions(ctx, parseX32Options);
    const log = ctx.logger.child({ driver: "x32", transport: ctx.transport.description });
    const clock = ctx.clock;
    const strips = new StripTable(options.channels);
    this.store = new ThrottledState(strips.names, clock, options.pushIntervalMs, (s) => this.emit("state", s));
    const queries = new QueryBook(clock, (address) => this.send(queryMessage(address)));
    const detach = this.listen(ctx, (chunk) => this.onData(chunk), (s) => this.onStatus(s));
    this.run = { ctx, options, log, clock, queries, strips, detach };
    this.stopping = null;
    this.resync = true;

    await this.waitOpen(options.connectTimeoutMs);
    if (!this.run) return; // the transport can never open: already stopped and reported
    if (ctx.transport.state === "open") {
      this.markLinkOpen();
      await this.linkUp();
    } else {
      this.waitForTransport("UDP socket");
    }
    this.scheduleTick();
  }

  protected release(r: Running): void {
    if (this.tickTimer !== null) r.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    this.store?.stop();
    r.queries.clear(new DeviceError("cancelled", "driver stopped"));
    this.linkOpen = false;
  }

  poll(): Promise<X32State> {
    return this.pollOnce(() => this.doPoll());
  }

  // ---- contact, subscriptions, polling ----

  private async doPoll(): Promise<X32State> {
    this.requireOpen();
    await this.probe();
    await this.readChannels();
    return this.store!.snapshot();
  }

  /** `/xinfo`: identity, and the proof that the desk is there. */
  private async probe(actx?: ActionContext): Promise<void> {
    const args = await this.query(XINFO, actx);
    const s = args.map((a) => (a.type === "s" ? a.value : null));
    this.store!.update({ ip: s[0] ?? null, name: s[1] ?? null, model: s[2] ?? null, firmware: s[3] ?? null });
  }

  /** (Re)subscribes to change pushes and meters. UDP: no answer; a lost datagram is renewed next tick. */
  private async subscribe(): Promise<void> {
    const r = this.requireOpen();
    await this.send(xremoteMessage());
    if (r.options.meters) await this.send(metersMessage(METERS_INPUTS));
  }

  private async readChannels(actx?: ActionContext): Promise<void> {
    const r = this.requireOpen();
    await Promise.all([...r.strips.strips.values()].flatMap((s) => [
      this.query(s.addr.on, actx).then((a) => this.store!.updateChannel(s.name, { muted: parseOn(a, s.addr.on) })),
      this.query(s.addr.fader, actx).then((a) =>
        this.store!.updateChannel(s.name, { levelDb: roundDb(faderToDb(parseFader(a, s.addr.fader))) })),
    ]));
  }

  /** Probe, subscribe, read everything: after the link opens and after contact was lost. Never rejects. */
  private linkUp(): Promise<void> {
    this.linkUpRun ??= (async () => {
      this.resync = false;
      await this.probe();
      await this.subscribe();
      await this.readChannels();
    })()
      .catch((e: unknown) => {
        this.resync = true;
        this.run?.log.warn({ err: errMessage(e), code: (e as DeviceError).code }, "no contact with the desk");
      })
      .finally(() => {
        this.linkUpRun = null;
      });
    return this.linkUpRun;
  }

  /** Renewal tick: every renewMs while ok (renew, then probe); every retryMs while not (linkUp). */
  private scheduleTick(): void {
    const r = this.run;
    if (!r || this.stopping) return;
    const ok = this.currentHealth.status === "ok" && !this.resync;
    this.tickTimer = r.clock.setTimeout(() => void this.tick(r), ok ? r.options.renewMs : r.options.retryMs);
  }

  /** Contact lost: look for the desk every retryMs from now on, not at the next renewal. */
  private retrySoon(): void {
    const r = this.run;
    if (!r || this.tickTimer === null) return; // a running tick schedules the next one itself
    r.clock.clearTimeout(this.tickTimer);
    this.scheduleTick();
  }

  private async tick(r: Running): Promise<void> {
    this.tickTimer = null;
    if (this.run !== r || this.stopping) return;
    try {
      if (this.linkOpen && this.currentHealth.status === "ok" && !this.resync) {
        await this.subscribe();
        await this.probe();
      } else if (this.linkOpen) {
        await this.linkUp();
      }
    } catch (e) {
      r.log.debug({ err: errMessage(e) }, "renewal tick failed");
    }
    if (this.run === r) this.scheduleTick();
  }

  // ---- I/O ----

  private async send(buf: Buffer, actx?: ActionContext): Promise<void> {
    const r = this.requireOpen();
    if (actx && (actx.signal.aborted || r.clock.now() >= actx.deadline)) {
      throw new DeviceError("timeout", "the action's deadline passed before it was sent", { stage: "deadline" });
    }
    try {
      await r.ctx.transport.write(buf);
    } catch (e) {
      throw new DeviceError("not_connected", `${r.ctx.transport.description}: ${errMessage(e)}`);
    }
  }

  /** One query with a deadline (the action's, when shorter). A timeout makes the desk unreachable. */
  private async query(address: string, actx?: ActionContext, fresh = false): Promise<OscArg[]> {
    const r = this.requireOpen();
    const left = actx ? actx.deadline - r.clock.now() : Infinity;
    const timeoutMs = Math.min(r.options.timeoutMs, left);
    try {
      return await r.queries.query(address, { timeoutMs, fresh });
    } catch (e) {
      // Only a full timeoutMs of silence says the desk is gone; a short action deadline says nothing.
      if (e instanceof DeviceError && e.code === "timeout" && timeoutMs >= r.options.timeoutMs) {
        this.resync = true;
        this.setHealth({ status: "unreachable", code: "timeout", message: e.message });
        this.retrySoon();
      }
      throw e;
    }
  }

  private onData(chunk: Buffer): void {
    const r = this.run;
    if (!r) return;
    const decoded = decodePacket(chunk);
    if (!decoded.ok) return this.onGarbage(chunk, decoded.error);
    for (const msg of decoded.messages) {
      if (r.queries.deliver(msg)) this.onContact();
      this.apply(r, msg);
    }
  }

  /** Pushes and replies alike update the state. */
  private apply(r: Running, msg: OscMessage): void {
    const changes = r.strips.changes(msg);
    if (changes === "bad_meter") {
      const blob = msg.args[0]?.type === "b" ? msg.args[0].value : Buffer.alloc(0);
      return this.onGarbage(blob, { code: "bad_length", message: "meter blob shorter than its count", offset: 0 });
    }
    if (changes === null) return void r.log.trace({ msg: describeMessage(msg) }, "message not about our strips");
    for (const [name, patch] of changes) this.store!.updateChannel(name, patch);
  }

  private onContact(): void {
    this.setHealth({ status: "ok" });
    if (this.resync && this.linkOpen) void this.linkUp();
  }

  private onGarbage(bytes: Buffer, error: OscDecodeError): void {
    const r = this.run;
    if (!r) return;
    const total = this.store!.countGarbled();
    const now = r.clock.now();
    if (now - this.garble.lastReportAt < GARBLE_REPORT_INTERVAL_MS) {
      this.garble.suppressed++;
      return;
    }
    const data = {
      code: error.code, reason: error.message, offset: error.offset, bytes: bytes.subarray(0, 32).toString("hex"),
      length: bytes.length, suppressedSinceLast: this.garble.suppressed, total,
    };
    this.garble = { lastReportAt: now, suppressed: 0 };
    r.log.warn(data, "malformed OSC from the desk");
    this.emitEvent({ type: "garbled_packet", message: `malformed OSC (${error.code}: ${error.message})`, data });
  }

  private onStatus(s: TransportStatus): void {
    const r = this.run;
    if (!r) return;
    if (s.state === "open") {
      if (this.markLinkOpen()) void this.linkUp();
      return;
    }
    if (!this.linkOpen) return;
    this.linkOpen = false;
    this.resync = true;
    r.queries.clear(new DeviceError("not_connected", `transport ${s.state}`));
    this.linkLost(s);
  }

  private markLinkOpen(): boolean {
    if (this.linkOpen) return false;
    this.linkOpen = true;
    this.resync = true;
    return true;
  }

  /** Unknown names are `invalid_args` whether or not the link is up; then the link must be open. */
  private strip(channel: string): Strip {
    const r = this.run;
    if (!r || this.stopping) throw new DeviceError("not_connected", "driver not started");
    const s = r.strips.strips.get(channel);
    if (!s) {
      const names = r.strips.names;
      throw new DeviceError("invalid_args", `unknown channel "${channel}"; known: ${names.join(", ") || "(none configured)"}`, {
        channel, channels: names,
      });
    }
    this.requireOpen();
    return s;
  }

}
