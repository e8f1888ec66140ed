/**
 * The VISCA camera driver (serial RS-232/RS-422 or TCP serial server, and VISCA over IP on UDP).
 *
 * Wiring: transport bytes -> link (framing, IP header) -> correlator (matching, deadlines) -> actions/poll.
 * Health: `ok` after any good reply; `unreachable`/`timeout` when the device stays silent past a
 * deadline; `unreachable`/`transport_closed` when the transport leaves `open`; `fault`/`bad_config`
 * for options that can never work. Emitted on change only.
 */
import { DriverBase } from "../lifecycle.js";
import type { ActionContext, ActionTable, Clock, Driver, DriverContext, Logger } from "../types.js";
import { DeviceError } from "../types.js";
import type { TransportStatus } from "../transport/types.js";
import { buildActions, type CameraStatePatch } from "./actions.js";
import {
  encodeCommand, encodeInquiry, parseInquiryValue, ViscaCodecError,
  type ViscaCommand, type ViscaInquiry, type ViscaInquiryValues, type ViscaReply,
} from "./codec.js";
import { ViscaCorrelator, type RequestOptions } from "./correlator.js";
import { createLink, type ViscaLink } from "./link.js";
import { BROADCAST_REPLIES } from "./link-serial.js";
import { parseViscaOptions, type ViscaOptions } from "./options.js";

/** A type alias (not an interface) so that it is assignable to the agent's `Record<string, unknown>`. */
export type ViscaState = {
  power: "on" | "standby" | null;
  pan: number | null;
  tilt: number | null;
  zoom: number | null;
  focusMode: "auto" | "manual" | null;
  lastPreset: number | null;
  garbledFrames: number;
};

/** At most one `garbled_frame` (or `unmatched_reply`) event per this many ms; the rest are counted. */
export const GARBLE_REPORT_INTERVAL_MS = 10_000;

const initialState = (): ViscaState => ({
  power: null, pan: null, tilt: null, zoom: null, focusMode: null, lastPreset: null, garbledFrames: 0,
});

interface Running {
  ctx: DriverContext;
  options: ViscaOptions;
  log: Logger;
  clock: Clock;
  link: ViscaLink;
  correlator: ViscaCorrelator;
  detach: () => void;
}

export class ViscaDriver extends DriverBase<ViscaState, Running> implements Driver<ViscaState> {
  readonly kind = "camera" as const;
  readonly protocol = "visca";
  readonly actions: ActionTable;
  readonly stateFields = Object.keys(initialState()) as readonly (keyof ViscaState)[];
  private state: ViscaState = initialState();
  private lastEmitted = "";
  private linkOpen = false;
  private needsHandshake = true;
  private handshaking: Promise<void> | null = null;
  private garble = { lastReportAt: -Infinity, suppressed: 0 };
  private lastUnmatchedAt = -Infinity;

  constructor() {
    super();
    this.actions = buildActions({ exec: (cmd, ctx) => this.exec(cmd, ctx), update: (p) => this.update(p) });
  }

  async start(ctx: DriverContext): Promise<void> {
    const options = this.startOptions(ctx, parseViscaOptions);
    const log = ctx.logger.child({ driver: "visca", transport: ctx.transport.description });
    const clock = ctx.clock;
    const link = createLink(ctx.transport, {
      address: options.address,
      replyTimeoutMs: options.ackTimeoutMs,
      clock,
      handlers: {
        onReply: (r) => this.onReply(r),
        // Any reply shows the camera is there, except that a camera too slow for its deadlines stays
        // unreachable/timeout until a reply answers a request in time (onReply): its late replies
        // alone made health flap back to ok while every command timed out (fault e, loaded runs).
        onContact: () => {
          if (this.currentHealth.code !== "timeout") this.setHealth({ status: "ok" });
        },
        onGarbage: (bytes, reason) => this.onGarbage(bytes, reason),
        onRequestFailed: (id, err) => this.run?.correlator.fail(id, err),
        onEvent: (ev) => this.emitEvent(ev),
      },
    });
    const correlator = new ViscaCorrelator({
      clock,
      send: (req) => link.send(req),
      ackTimeoutMs: options.ackTimeoutMs,
      completionTimeoutMs: options.completionTimeoutMs,
      inquiryTimeoutMs: options.inquiryTimeoutMs,
      onUnmatched: (r) => {
        // Late ACKs after a timeout are normal on a slow line: log them, tell the centre at most every 10 s.
        log.debug({ reply: describeReply(r) }, "VISCA reply matched no request");
        const now = clock.now();
        if (now - this.lastUnmatchedAt < GARBLE_REPORT_INTERVAL_MS) return;
        this.lastUnmatchedAt = now;
        this.emitEvent({ type: "unmatched_reply", data: { reply: describeReply(r) } });
      },
    });
    const detach = this.listen(ctx, (chunk) => link.receive(chunk), (s) => this.onStatus(s));
    this.run = { ctx, options, log, clock, link, correlator, detach };
    this.stopping = null;
    this.needsHandshake = true;

    await this.waitOpen(options.connectTimeoutMs);
    if (ctx.transport.state === "open") {
      this.markLinkOpen();
      await this.linkUp();
    } else {
      this.waitForTransport();
    }
  }

  protected release(r: Running): void {
    r.correlator.clear(new DeviceError("cancelled", "driver stopped"));
    r.link.reset();
    this.linkOpen = false;
  }

  poll(): Promise<ViscaState> {
    return this.pollOnce(() => this.doPoll());
  }

  // ---- internals ----

  private async doPoll(): Promise<ViscaState> {
    await this.ensureHandshake();
    const power = await this.inquire("power");
    const patch: Partial<ViscaState> = { power };
    if (power === "on") {
      // Position inquiries are refused (or meaningless) in standby.
      const pt = await this.inquire("panTiltPosition");
      patch.pan = pt.pan;
      patch.tilt = pt.tilt;
      patch.zoom = await this.inquire("zoomPosition");
      patch.focusMode = await this.inquire("focusMode");
    }
    this.update(patch);
    return this.snapshot();
  }

  private async inquire<I extends ViscaInquiry>(inquiry: I): Promise<ViscaInquiryValues[I]> {
    const r = this.requireOpen();
    const data = await this.track(r.correlator.inquiry(encodeInquiry(r.link.address, inquiry)));
    try {
      return parseInquiryValue(inquiry, data);
    } catch (e) {
      if (!(e instanceof ViscaCodecError)) throw e;
      throw new DeviceError("device_error", `unreadable ${inquiry} answer: ${e.message}`, {
        visca: "bad_answer",
        data: data.toString("hex"),
      });
    }
  }

  private async exec(cmd: ViscaCommand, actx: ActionContext): Promise<void> {
    const r = this.requireOpen();
    let frame: Buffer;
    try {
      frame = encodeCommand(r.link.address, cmd);
    } catch (e) {
      if (e instanceof ViscaCodecError) throw new DeviceError("invalid_args", e.message);
      throw e;
    }
    const left = actx.deadline - r.clock.now();
    if (left <= 0) throw new DeviceError("timeout", "the action's deadline passed before it was sent");
    await this.ensureHandshake();
    const opts: RequestOptions = {
      signal: actx.signal,
      replyTimeoutMs: Math.min(r.options.ackTimeoutMs, left),
      completionTimeoutMs: Math.min(r.options.completionTimeoutMs, left),
    };
    try {
      await this.track(r.correlator.command(frame, opts));
    } catch (e) {
      if (e instanceof DeviceError && e.code === "cancelled" && r.clock.now() >= actx.deadline) {
        throw new DeviceError("timeout", "the action's deadline passed", { stage: "deadline" });
      }
      throw e;
    }
  }

  /** Health follows request outcomes: a silent device (no ACK/answer) is unreachable. */
  private async track<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      if (e instanceof DeviceError && e.code === "timeout" && e.details?.["stage"] === "reply") {
        this.needsHandshake = true; // the camera may have rebooted: AddressSet / sequence reset again
        this.setHealth({ status: "unreachable", code: "timeout", message: e.message });
      }
      throw e;
    }
  }

  private ensureHandshake(): Promise<void> {
    if (!this.needsHandshake) return Promise.resolve();
    if (!this.handshaking) {
      const r = this.requireOpen();
      this.handshaking = this.track(r.link.handshake(r.correlator))
        .then(
          () => {
            this.needsHandshake = false;
          },
          (e: unknown) => {
            if (e instanceof DeviceError && e.details?.["visca"] === "address_absent") {
              this.setHealth({ status: "unreachable", code: "address_absent", message: e.message });
            }
            throw e;
          },
        )
        .finally(() => {
          this.handshaking = null;
        });
    }
    return this.handshaking;
  }

  /** Handshake + first poll after the link opens. Never rejects: the outcome lands in health. */
  private linkUp(): Promise<void> {
    return this.firstPoll("the camera");
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
    r.correlator.clear(new DeviceError("not_connected", `transport ${s.state}`));
    r.link.reset();
    this.linkLost(s);
  }

  /** Returns true when the link was not open before. */
  private markLinkOpen(): boolean {
    if (this.linkOpen) return false;
    this.linkOpen = true;
    this.needsHandshake = true;
    return true;
  }

  private onReply(reply: ViscaReply): void {
    const r = this.run;
    if (!r) return;
    if (reply.type === "networkChange") {
      // The camera (re)booted: its address and sockets are gone. Redo the handshake and re-read it.
      this.emitEvent({ type: "network_change", message: "camera reported a network change (powered up)" });
      this.needsHandshake = true;
      void this.linkUp();
      return;
    }
    // A broadcast reply (AddressSet, IF_Clear) is the chain's, not proof of our camera (link-serial.ts).
    if (r.correlator.handleReply(reply) && !BROADCAST_REPLIES.has(reply.type)) this.setHealth({ status: "ok" });
  }

  private onGarbage(bytes: Buffer, reason: string): void {
    const r = this.run;
    if (!r) return;
    this.state.garbledFrames++;
    const now = r.clock.now();
    if (now - this.garble.lastReportAt < GARBLE_REPORT_INTERVAL_MS) {
      this.garble.suppressed++;
      return;
    }
    const data = {
      reason, bytes: bytes.subarray(0, 32).toString("hex"), length: bytes.length,
      suppressedSinceLast: this.garble.suppressed, total: this.state.garbledFrames,
    };
    this.garble = { lastReportAt: now, suppressed: 0 };
    r.log.warn(data, "garbled bytes from the camera link");
    this.emitEvent({ type: "garbled_frame", message: `garbled bytes (${reason})`, data });
  }

  private update(patch: Partial<CameraStatePatch> | Partial<ViscaState>): void {
    Object.assign(this.state, patch);
    const now = JSON.stringify(this.state);
    if (now === this.lastEmitted) return;
    this.lastEmitted = now;
    this.emit("state", this.snapshot());
  }

  private snapshot(): ViscaState {
    return { ...this.state };
  }

}

function describeReply(r: ViscaReply): Record<string, unknown> {
  if (r.type === "inquiry") return { type: r.type, data: r.data.toString("hex") };
  if (r.type === "unknown") return { type: r.type, frame: r.frame.toString("hex") };
  return { ...r };
}
