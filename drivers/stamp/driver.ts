/**
 * The WAN link probe: a STAMP / TWAMP-light Session-Sender (RFC 8762, RFC 5357 appendix I) over the
 * UDP transport to a stateless reflector beside the MCU (`roomgate reflector`). No root: one
 * unprivileged UDP socket, connected to the reflector, so the kernel drops datagrams from anyone else.
 *
 * Every `intervalMs` a probe goes out (sequence number from 0, T1 in NTP format, `packetSize`
 * octets); each reply is matched by the echoed sequence number *and* T1, so a packet we never sent
 * is a stranger, counted and dropped. The figures of the last `windowMs` (window.ts) are judged into
 * a band with hysteresis (quality.ts).
 *
 * Health: `ok` while replies come and the band is ok; `degraded`/`link_quality` in the warn or
 * critical band, with the `{device}-quality` alarm (`link.alarm` events, and `alarms: ["quality"]`
 * in the state), severity by band; `unreachable`/`timeout` after a whole window without a reply;
 * `unreachable`/`transport_closed` when the socket is down (ICMP port unreachable comes back as a
 * socket error); `fault`/`bad_config` for options that can never work.
 */
import { DriverBase, errMessage } from "../lifecycle.js";
import type { TransportStatus } from "../transport/types.js";
import type { ActionContext, ActionTable, Clock, Driver, DriverContext, Health, Logger, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import { buildActions, type BurstResult } from "./actions.js";
import {
  decodeReflectorPacket,
  DEFAULT_ERROR_ESTIMATE,
  encodeSenderPacket,
  ntpDiffMs,
  ntpFromMs,
  type ReflectorPacket,
  type WireTimestamp,
} from "./codec.js";
import { parseStampOptions, type StampOptions } from "./options.js";
import { METRICS, QualityJudge, type Band, type Metric } from "./quality.js";
import { STATE_FIELDS, windowState, type StampState } from "./state.js";
import { ProbeWindow, rttFigures } from "./window.js";

export type { StampState } from "./state.js";

/** At most one `dropped_packet` event per this many ms; the rest are counted. */
export const DROP_REPORT_INTERVAL_MS = 10_000;

const UNITS: Record<Metric, string> = { loss: " %", jitter: " ms", rtt: " ms" };

interface Running {
  ctx: DriverContext;
  options: StampOptions;
  log: Logger;
  clock: Clock;
  /** Sub-millisecond time for T1 and T4 when the clock has it. */
  preciseNow: () => number;
  window: ProbeWindow;
  judge: QualityJudge;
  detach: () => void;
}

/** A wait for the first answered reply to a probe sent at or after `from`. */
interface ReplyWaiter {
  from: number;
  resolve(): void;
  reject(e: DeviceError): void;
}

type ReplyListener = (seq: number, rttMs: number) => void;

const tsKey = (t: WireTimestamp): string => `${t.seconds}.${t.fraction}`;

export class StampDriver extends DriverBase<StampState, Running> implements Driver<StampState> {
  readonly kind = "link" as const;
  readonly protocol = "stamp";
  readonly actions: ActionTable;
  readonly stateFields = STATE_FIELDS;
  private linkOpen = false;
  /** start() has decided the first health; from then on every tick judges it. */
  private judging = false;
  private tickTimer: TimerHandle | null = null;
  private readonly timers = new Set<TimerHandle>();
  private readonly waiters = new Set<ReplyWaiter>();
  private readonly replyListeners = new Set<ReplyListener>();
  private malformed = 0;
  private strangers = 0;
  private lastReplyAt: number | null = null;
  private since = 0;
  /** The band `{device}-quality` was raised with; null while it is clear. */
  private alarmBand: Band | null = null;
  private lastStateAt = -Infinity;
  private drops = { lastReportAt: -Infinity, suppressed: 0 };

  constructor() {
    super({ message: true });
    this.actions = buildActions({
      burst: (count, spacingMs, actx) => this.burst(count, spacingMs, actx),
      reset: () => this.resetWindow(),
    });
  }

  async start(ctx: DriverContext): Promise<void> {
    const options = this.startOptions(ctx, parseStampOptions);
    const clock = ctx.clock;
    const log = ctx.logger.child({ driver: "stamp", transport: ctx.transport.description });
    const preciseNow = clock.preciseNow ? () => clock.preciseNow!() : () => clock.now();
    const detach = this.listen(ctx, (chunk) => this.onData(chunk), (s) => this.onStatus(s));
    const window = new ProbeWindow({ windowMs: options.windowMs, timeoutMs: options.timeoutMs });
    const judge = new QualityJudge({ thresholds: options.thresholds, clearRatio: options.clearRatio, clearHoldMs: options.clearHoldMs });
    this.run = { ctx, options, log, clock, preciseNow, window, judge, detach };
    this.stopping = null;
    this.since = clock.now();
    const startedAt = clock.now();

    const opened = await this.waitOpen(options.connectTimeoutMs);
    if (!this.run) return; // the transport can never open: already stopped and reported
    if (opened === "open") this.linkOpen = true;
    this.tickTimer = clock.setInterval(() => this.tick(), options.intervalMs);
    if (this.linkOpen) {
      this.sendProbe();
      const left = Math.max(0, options.connectTimeoutMs - (clock.now() - startedAt));
      await this.waitReply(startedAt, left).catch((e: unknown) => log.debug({ err: (e as Error).message }, "no first reply"));
    }
    if (!this.run || this.stopping) return;
    this.judging = true;
    if (this.lastReplyAt === null) {
      const why = this.linkOpen
        ? { code: "timeout", message: `no reply from ${ctx.transport.description} within ${options.connectTimeoutMs} ms` }
        : { code: "transport_closed", message: `${ctx.transport.description} not open` };
      this.setHealth({ status: "unreachable", ...why });
      log.warn(why, "no contact with the reflector yet; probing goes on");
    } else {
      this.evaluate();
    }
  }

  protected release(r: Running): void {
    if (this.tickTimer !== null) r.clock.clearInterval(this.tickTimer);
    this.tickTimer = null;
    for (const t of this.timers) r.clock.clearTimeout(t);
    this.timers.clear();
    this.failWaiters(new DeviceError("cancelled", "driver stopped"));
    this.judging = false;
    this.linkOpen = false;
  }

  /** Sends a probe now and resolves with the state at the first reply to it or a later probe, within timeoutMs. */
  async poll(): Promise<StampState> {
    const r = this.requireOpen();
    const from = r.clock.now();
    this.sendProbe();
    await this.waitReply(from, r.options.timeoutMs);
    return this.snapshot();
  }

  // ---- probing ----

  private tick(): void {
    const r = this.run;
    if (!r || this.stopping) return;
    r.window.expire(r.clock.now());
    if (this.linkOpen) this.sendProbe();
    this.evaluate();
  }

  /** One probe: T1 taken just before it leaves. A write that fails takes the probe back out of the window. */
  private sendProbe(): number | null {
    const r = this.run;
    if (!r || !this.linkOpen) return null;
    const timestamp = ntpFromMs(r.preciseNow());
    const seq = r.window.sent(r.clock.now(), tsKey(timestamp));
    const packet = encodeSenderPacket({ seq, timestamp, errorEstimate: DEFAULT_ERROR_ESTIMATE }, r.options.packetSize);
    r.ctx.transport.write(packet).catch((e: unknown) => {
      r.window.unsent(seq);
      r.log.debug({ seq, err: errMessage(e) }, "probe not sent");
    });
    return seq;
  }

  private waitReply(from: number, timeoutMs: number): Promise<void> {
    const r = this.run!;
    return new Promise<void>((resolve, reject) => {
      const waiter: ReplyWaiter = {
        from,
        resolve: () => {
          this.untrack(timer);
          this.waiters.delete(waiter);
          resolve();
        },
        reject: (e) => {
          this.untrack(timer);
          this.waiters.delete(waiter);
          reject(e);
        },
      };
      const timer = this.track(r.clock.setTimeout(() => {
        waiter.reject(new DeviceError("timeout", `no reply from ${r.ctx.transport.description} within ${timeoutMs} ms`));
      }, timeoutMs));
      this.waiters.add(waiter);
    });
  }

  private onData(chunk: Buffer): void {
    const r = this.run;
    if (!r) return;
    const t4 = r.preciseNow();
    const decoded = decodeReflectorPacket(chunk);
    if (!decoded.ok) {
      this.malformed++;
      return this.reportDrop("malformed", decoded.error.message, chunk);
    }
    const p = decoded.packet;
    const sentAt = r.window.pendingSince(p.senderSeq);
    const rttMs = roundTrip(p, t4);
    const outcome = r.window.reply(p.senderSeq, tsKey(p.senderTimestamp), rttMs);
    if (outcome === "stranger") {
      this.strangers++;
      return this.reportDrop("stranger", `reply to sequence number ${p.senderSeq}, which we did not send (or sent with another timestamp)`, chunk);
    }
    const now = r.clock.now();
    this.lastReplyAt = now;
    if (outcome !== "answered") return;
    for (const w of [...this.waiters]) if (sentAt !== undefined && sentAt >= w.from) w.resolve();
    for (const l of [...this.replyListeners]) l(p.senderSeq, rttMs);
    // Back from unreachable: say so now, not at the next tick.
    if (this.judging && this.currentHealth.status === "unreachable") this.evaluate();
  }

  // ---- judging ----

  private evaluate(): void {
    const r = this.run;
    if (!r || !this.judging) return;
    const now = r.clock.now();
    const f = r.window.figures(now);
    let bandChanged = false;
    if (f.answered + f.lost >= r.options.minProbes) {
      const rtt = f.rttMs === null ? null : f.rttMs[r.options.rttStatistic];
      bandChanged = r.judge.judge({ loss: f.lossPct, jitter: f.jitterMs, rtt }, now).changed;
    }
    this.alarm(r);
    this.setHealth(this.judgedHealth(r, now));
    if (bandChanged || now - this.lastStateAt >= r.options.reportMs) {
      this.lastStateAt = now;
      this.emit("state", this.snapshot());
    }
  }

  private judgedHealth(r: Running, now: number): Health {
    const link = r.ctx.transport.description;
    if (!this.linkOpen) return { status: "unreachable", code: "transport_closed", message: `${link} not open` };
    if (this.lastReplyAt === null || now - this.lastReplyAt >= r.options.windowMs) {
      return { status: "unreachable", code: "timeout", message: `no reply from ${link} for ${r.options.windowMs / 1000} s` };
    }
    const band = r.judge.band;
    if (band === "ok") return { status: "ok" };
    return { status: "degraded", code: "link_quality", message: `quality ${band}: ${this.outOfBand(r)}` };
  }

  /** `loss above 1 %, jitter above 20 ms`: stable while the bands are (health is published on change). */
  private outOfBand(r: Running): string {
    const bands = r.judge.bands;
    return METRICS.filter((m) => bands[m] !== "ok")
      .map((m) => `${m} above ${bands[m] === "critical" ? r.options.thresholds[m].warn : r.options.thresholds[m].ok}${UNITS[m]}`)
      .join(", ");
  }

  /** Raises, re-grades or clears `{device}-quality` (agent/agent.ts turns `*.alarm` events into alarms). */
  private alarm(r: Running): void {
    const band = r.judge.band;
    const next = band === "ok" ? null : band;
    if (next === this.alarmBand) return;
    this.alarmBand = next;
    const figures = this.figureText(r);
    if (next === null) {
      r.log.info({ figures }, "link quality ok again");
      this.emitEvent({ type: "link.alarm", message: `quality ok again (${figures})`, data: { code: "quality", action: "clear" } });
      return;
    }
    const severity = r.options.alarmSeverity[next];
    r.log.warn({ band: next, figures }, "link quality out of bounds");
    this.emitEvent({
      type: "link.alarm",
      message: `quality ${next}: ${this.outOfBand(r)} (${figures})`,
      data: { code: "quality", action: "raise", severity, band: next, bands: r.judge.bands },
    });
  }

  private figureText(r: Running): string {
    const s = this.snapshot();
    const rtt = s.rttMs === null ? "none" : `${s.rttMs[r.options.rttStatistic]} ms ${r.options.rttStatistic}`;
    return `loss ${s.lossPct ?? "-"} %, jitter ${s.jitterMs ?? "-"} ms, rtt ${rtt}, over ${s.probesSent} probes`;
  }

  private snapshot(): StampState {
    const r = this.run;
    const now = r ? r.clock.now() : 0;
    const f = r ? r.window.figures(now) : null;
    const dropped = r ? (r.ctx.transport as { dropped?: unknown }).dropped : undefined;
    return {
      reflector: r?.ctx.transport.description ?? "",
      windowMs: r?.options.windowMs ?? 0,
      ...(f ? windowState(f) : emptyWindow()),
      quality: r?.judge.band ?? "ok",
      bands: r?.judge.bands ?? { loss: "ok", jitter: "ok", rtt: "ok" },
      alarms: this.alarmBand === null ? [] : ["quality"],
      malformed: this.malformed,
      strangers: this.strangers + (typeof dropped === "number" ? dropped : 0),
      lastReplyAt: this.lastReplyAt,
      since: this.since,
    };
  }

  // ---- actions ----

  private resetWindow(): { since: number } {
    const r = this.run;
    if (!r || this.stopping) throw new DeviceError("not_connected", "driver not started");
    r.window.reset();
    this.since = r.clock.now();
    r.log.info("window reset");
    this.emit("state", this.snapshot());
    return { since: this.since };
  }

  private burst(count: number, spacingMs: number, actx: ActionContext): Promise<BurstResult> {
    const r = this.requireOpen();
    const rtts = new Map<number, number>();
    const seqs = new Set<number>();
    let sent = 0;
    return new Promise<BurstResult>((resolve, reject) => {
      let sendTimer: TimerHandle | null = null;
      let endTimer: TimerHandle | null = null;
      const finish = (err?: DeviceError): void => {
        this.replyListeners.delete(listener);
        actx.signal.removeEventListener("abort", onAbort);
        if (sendTimer !== null) this.untrack(sendTimer);
        if (endTimer !== null) this.untrack(endTimer);
        sendTimer = endTimer = null;
        if (err) return reject(err);
        const values = [...rtts.values()];
        resolve({
          sent,
          received: values.length,
          lossPct: sent === 0 ? 0 : Number((((sent - values.length) / sent) * 100).toFixed(2)),
          rttMs: values.length === 0 ? null : roundRtt(rttFigures(values)),
        });
      };
      const listener: ReplyListener = (seq, rttMs) => {
        if (!seqs.has(seq)) return;
        rtts.set(seq, rttMs);
        if (sent === count && rtts.size === count) finish();
      };
      const onAbort = (): void => finish(new DeviceError("timeout", `burst of ${count} probes not done by the deadline (${rtts.size} answered)`));
      const sendOne = (): void => {
        sendTimer = null;
        const seq = this.sendProbe();
        if (seq === null) return finish(new DeviceError("not_connected", `${r.ctx.transport.description} is ${r.ctx.transport.state}`));
        seqs.add(seq);
        sent++;
        if (sent < count) sendTimer = this.track(r.clock.setTimeout(sendOne, spacingMs));
        else endTimer = this.track(r.clock.setTimeout(() => finish(), r.options.timeoutMs));
      };
      this.replyListeners.add(listener);
      actx.signal.addEventListener("abort", onAbort, { once: true });
      sendOne();
    });
  }

  // ---- link ----

  private onStatus(s: TransportStatus): void {
    const r = this.run;
    if (!r) return;
    if (s.state === "open") {
      this.linkOpen = true;
      return; // health follows the first reply, not the socket
    }
    if (!this.linkOpen) return;
    this.linkOpen = false;
    this.failWaiters(new DeviceError("not_connected", `transport ${s.state}`));
    r.log.warn({ state: s.state, error: s.error }, "transport left open");
    if (this.judging) this.evaluate();
  }

  private reportDrop(reason: "malformed" | "stranger", message: string, bytes: Buffer): void {
    const r = this.run!;
    const now = r.clock.now();
    r.log.debug({ reason, length: bytes.length }, "datagram dropped");
    if (now - this.drops.lastReportAt < DROP_REPORT_INTERVAL_MS) {
      this.drops.suppressed++;
      return;
    }
    const data = {
      reason, message, length: bytes.length, bytes: bytes.subarray(0, 48).toString("hex"),
      suppressedSinceLast: this.drops.suppressed, malformed: this.malformed, strangers: this.strangers,
    };
    this.drops = { lastReportAt: now, suppressed: 0 };
    r.log.warn(data, "datagram from the reflector dropped");
    this.emitEvent({ type: "dropped_packet", message: `${reason}: ${message}`, data });
  }

  private failWaiters(e: DeviceError): void {
    for (const w of [...this.waiters]) w.reject(e);
  }

  private track(t: TimerHandle): TimerHandle {
    this.timers.add(t);
    return t;
  }

  private untrack(t: TimerHandle): TimerHandle {
    this.timers.delete(t);
    this.run?.clock.clearTimeout(t);
    return t;
  }

  /** Also `not_connected` until the driver has seen the link open (the probes follow `linkOpen`). */
  protected override requireOpen(): Running {
    const r = super.requireOpen();
    if (!this.linkOpen) throw new DeviceError("not_connected", `${r.ctx.transport.description} is ${r.ctx.transport.state}`);
    return r;
  }
}

/**
 * (T4 − T1) − (T3 − T2). The reflector's dwell is left out when it is negative or longer than the
 * whole round trip (a reflector that does not fill its timestamps, or whose clock stepped).
 */
export function roundTrip(p: ReflectorPacket, t4Ms: number): number {
  const total = ntpDiffMs(ntpFromMs(t4Ms), p.senderTimestamp);
  const dwell = ntpDiffMs(p.timestamp, p.receiveTimestamp, p.errorEstimate.ptp);
  return dwell >= 0 && dwell <= total ? total - dwell : total;
}

function roundRtt(f: ReturnType<typeof rttFigures>): ReturnType<typeof rttFigures> {
  const ms = (v: number): number => Number(v.toFixed(3));
  return { min: ms(f.min), p50: ms(f.p50), p95: ms(f.p95), max: ms(f.max) };
}

function emptyWindow(): ReturnType<typeof windowState> {
  return { probesSent: 0, repliesReceived: 0, lost: 0, lossPct: null, rttMs: null, jitterMs: null, reordered: 0, duplicates: 0, late: 0 };
}
