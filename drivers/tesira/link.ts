/**
 * The TTP link: a TtpSession on a transport, and when it is ready for commands.
 *
 * - telnet mode (tcp by default): refuse every option, then wait for the Welcome banner; if it does
 *   not come within `bannerTimeoutMs` (a session opened while the DSP was silent, a serial server
 *   in front of it), probe with the keepalive command: any answer makes the link ready.
 * - raw mode (serial by default): no negotiation, the banner may never appear: probe at once, and
 *   again every `bannerTimeoutMs` until something answers.
 * - a banner while ready means the DSP rebooted (or a design was pushed): `onReboot`.
 * - keepalive: after `keepaliveMs` without a command, send the keepalive command; if it goes
 *   unanswered the link is reset (a half-open TCP session is dropped and reopened).
 */
import type { Clock, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import type { Transport } from "../transport/types.js";
import type { TtpValue } from "./codec.js";
import { TtpSession, type SessionHandlers, type TtpOk } from "./session.js";

export interface LinkOptions {
  mode: "telnet" | "raw";
  timeoutMs: number;
  bannerTimeoutMs: number;
  keepaliveMs: number;
  keepaliveCommand: string;
  maxLineLength: number;
}

export interface LinkHandlers extends Omit<SessionHandlers, "onBanner" | "onContact"> {
  /** The session takes commands (first banner, or first answer to a probe). `probe` is the probe's +OK value, if any. */
  onReady(probe: TtpValue | undefined): void;
  /** The banner came again while ready: subscriptions are gone. */
  onReboot(): void;
  /** A command (probe or keepalive included) went unanswered. */
  onTimeout(err: DeviceError, what: "probe" | "keepalive" | "command"): void;
  /** Any well-formed line from the device. */
  onContact(): void;
  log(msg: string, data?: Record<string, unknown>): void;
}

export class TtpLink {
  readonly session: TtpSession;
  private open = false;
  private isReady = false;
  private probing = false;
  private bannerTimer: TimerHandle | undefined;
  private keepaliveTimer: TimerHandle | undefined;
  private waiters = new Set<{ done: (ok: boolean) => void; timer: TimerHandle }>();

  constructor(
    private readonly transport: Transport,
    private readonly clock: Clock,
    private readonly opts: LinkOptions,
    private readonly h: LinkHandlers,
  ) {
    this.session = new TtpSession({
      clock,
      maxLineLength: opts.maxLineLength,
      write: (bytes) => transport.write(bytes),
      handlers: { ...h, onBanner: () => this.onBanner(), onContact: () => h.onContact() },
    });
  }

  get ready(): boolean {
    return this.isReady;
  }

  /** The transport is open: a new session starts. */
  opened(): void {
    this.session.resetLink(new DeviceError("not_connected", "the link was reopened"));
    this.session.telnet = this.opts.mode === "telnet";
    this.open = true;
    this.isReady = false;
    if (this.opts.mode === "telnet") this.armProbe(this.opts.bannerTimeoutMs);
    else void this.probe();
  }

  /** The transport left `open` (or the driver stops): fail everything and wait for the next open. */
  closed(err: DeviceError): void {
    this.open = false;
    this.isReady = false;
    this.clearTimers();
    this.session.resetLink(err);
  }

  /** Stop: nothing may stay scheduled. */
  dispose(err: DeviceError): void {
    this.closed(err);
    for (const w of this.waiters) {
      this.clock.clearTimeout(w.timer);
      w.done(false);
    }
    this.waiters.clear();
  }

  /** Resolves true once ready, false when `ms` pass first (or the driver stops). */
  whenReady(ms: number): Promise<boolean> {
    if (this.isReady) return Promise.resolve(true);
    if (ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const w = {
        done: (ok: boolean) => resolve(ok),
        timer: this.clock.setTimeout(() => {
          this.waiters.delete(w);
          resolve(false);
        }, ms),
      };
      this.waiters.add(w);
    });
  }

  /** Sends one command line; health bookkeeping stays with the caller (through the handlers). */
  async request(line: string, timeoutMs: number, signal?: AbortSignal, what: "command" | "probe" | "keepalive" = "command"): Promise<TtpOk> {
    this.disarmKeepalive();
    try {
      return await this.session.request(line, signal ? { timeoutMs, signal } : { timeoutMs });
    } catch (e) {
      if (e instanceof DeviceError && e.code === "timeout") this.h.onTimeout(e, what);
      throw e;
    } finally {
      if (this.isReady && this.session.pending === 0) this.armKeepalive();
    }
  }

  private onBanner(): void {
    if (!this.open) return;
    if (this.isReady) {
      this.h.onReboot();
      return;
    }
    this.becomeReady(undefined);
  }

  private becomeReady(probe: TtpValue | undefined): void {
    if (this.isReady || !this.open) return;
    this.isReady = true;
    if (this.bannerTimer !== undefined) this.clock.clearTimeout(this.bannerTimer);
    this.bannerTimer = undefined;
    for (const w of this.waiters) {
      this.clock.clearTimeout(w.timer);
      w.done(true);
    }
    this.waiters.clear();
    this.armKeepalive();
    this.h.onReady(probe);
  }

  private armProbe(ms: number): void {
    if (this.bannerTimer !== undefined) this.clock.clearTimeout(this.bannerTimer);
    this.bannerTimer = this.clock.setTimeout(() => {
      this.bannerTimer = undefined;
      void this.probe();
    }, ms);
  }

  /** Asks something; any answer (+OK or a `-` line) means a live session. */
  private async probe(): Promise<void> {
    if (!this.open || this.isReady || this.probing) return;
    this.probing = true;
    try {
      const ok = await this.request(this.opts.keepaliveCommand, this.opts.timeoutMs, undefined, "probe");
      this.becomeReady(ok.value ?? null);
    } catch (e) {
      if (e instanceof DeviceError && e.code === "device_error") {
        this.becomeReady(undefined);
      } else if (this.open && !this.isReady) {
        this.h.log("no answer to the probe; trying again", { err: (e as Error).message });
        this.armProbe(this.opts.bannerTimeoutMs);
      }
    } finally {
      this.probing = false;
    }
  }

  private armKeepalive(): void {
    this.disarmKeepalive();
    this.keepaliveTimer = this.clock.setTimeout(() => {
      this.keepaliveTimer = undefined;
      void this.keepalive();
    }, this.opts.keepaliveMs);
  }

  private disarmKeepalive(): void {
    if (this.keepaliveTimer !== undefined) this.clock.clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }

  private async keepalive(): Promise<void> {
    if (!this.isReady || this.session.pending > 0) return;
    try {
      await this.request(this.opts.keepaliveCommand, this.opts.timeoutMs, undefined, "keepalive");
    } catch (e) {
      if (!(e instanceof DeviceError) || e.code !== "timeout") return; // -ERR still proves life
      // A session that swallows commands (half-open TCP, a wedged telnet task): start a new one.
      this.h.log("keepalive unanswered; resetting the link", { err: e.message });
      this.transport.reset?.("keepalive unanswered");
    }
  }

  private clearTimers(): void {
    if (this.bannerTimer !== undefined) this.clock.clearTimeout(this.bannerTimer);
    this.bannerTimer = undefined;
    this.disarmKeepalive();
  }
}
