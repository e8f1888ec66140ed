/**
 * Placing, ending and answering calls, the way the vocabulary says a call ends: as a coded result,
 * never a hang (drivers/codec/vocabulary.ts).
 *
 * `call.dial` sends `dial manual ...`, whose reply (`dialing manual`) carries no call id; the call
 * book then follows the first new outgoing call. It settles:
 * - connected -> the call;
 * - ended before connecting -> `not_registered` when the registration it needs is offline (read
 *   again then: `status` is cheap once the call is gone), else by the cause: `call_rejected`
 *   (busy, declined, not found), `no_answer`, or `call_dropped` (any other end);
 * - nobody answered within `dialTimeoutMs` (or the action's deadline, if sooner) -> the attempt is
 *   hung up (`hangup video <id>`) and the dial ends `no_answer`;
 * - the caller gave up (abort) -> the attempt is hung up too.
 * One dial at a time: a second one while the first is unsettled is `busy`.
 */
import type { CallEnded, CodecCall, CodecState } from "../codec/vocabulary.js";
import { abortError } from "../abort.js";
import type { ActionContext, Clock, Logger } from "../types.js";
import { DeviceError } from "../types.js";
import type { CallBook, DialOutcome } from "./calls.js";
import * as cmd from "./codec.js";
import type { PolyLine } from "./lines.js";
import type { PolyOptions } from "./options.js";

export interface CallingDeps {
  clock: Clock;
  options: PolyOptions;
  calls: CallBook;
  log: Logger;
  send(c: cmd.PolyCommand, actx: ActionContext): Promise<PolyLine[]>;
  registration(): CodecState["registration"];
  readRegistration(): Promise<void>;
}

type Outcome = DialOutcome | { type: "no_answer" } | { type: "aborted"; err: DeviceError } | { type: "failed"; err: unknown };

export class Calling {
  private dialing: { abort(err: DeviceError): void } | null = null;

  constructor(private readonly d: CallingDeps) {}

  async dial(a: { number: string; protocol: cmd.CallProtocol; rateKbps?: number | undefined }, actx: ActionContext): Promise<CodecCall> {
    if (this.dialing) throw new DeviceError("busy", "a dial is already in progress; wait for it to settle");
    const { clock, options, calls } = this.d;
    const budget = Math.min(options.dialTimeoutMs, actx.deadline - clock.now() - options.timeoutMs - options.commandGapMs);
    if (budget <= 0) throw new DeviceError("timeout", "the action's deadline leaves no time to dial");
    let settle!: (o: Outcome) => void;
    const outcome = new Promise<Outcome>((resolve) => {
      let done = false;
      settle = (o) => {
        if (done) return;
        done = true;
        resolve(o);
      };
    });
    const waiter = calls.expectDial(a.number, (o) => settle(o));
    const timer = clock.setTimeout(() => settle({ type: "no_answer" }), budget);
    const onAbort = () => settle({ type: "aborted", err: abortError(actx.signal, "the dial was aborted by the caller") });
    actx.signal.addEventListener("abort", onAbort, { once: true });
    this.dialing = { abort: (err) => settle({ type: "aborted", err }) };
    this.d.send(cmd.dial(a.number, a.protocol, a.rateKbps), actx).catch((err: unknown) => settle({ type: "failed", err }));
    let o: Outcome;
    try {
      o = await outcome;
    } finally {
      clock.clearTimeout(timer);
      actx.signal.removeEventListener("abort", onAbort);
      waiter.cancel();
      this.dialing = null;
    }
    switch (o.type) {
      case "connected":
        return o.call;
      case "ended":
        throw await this.endedError(a.number, a.protocol, o.ended);
      case "failed":
        throw o.err;
      case "no_answer":
        await this.abandon(waiter.id(), "no_answer");
        throw new DeviceError("no_answer", `${a.number} did not answer within ${Math.round(budget / 1000)} s; the attempt was hung up`, { number: a.number, callId: waiter.id() });
      case "aborted":
        await this.abandon(waiter.id(), "local");
        throw o.err;
    }
  }

  async hangup(callId: string | undefined, actx: ActionContext): Promise<string[]> {
    const ids = callId === undefined ? this.d.calls.ids() : [callId];
    this.d.calls.hangingUp(callId, "local");
    let lines: PolyLine[];
    try {
      lines = await this.d.send(cmd.hangup(callId), actx);
    } catch (e) {
      this.d.calls.notHangingUp(ids);
      throw e;
    }
    return lines[0]?.kind === "notInCall" ? [] : ids;
  }

  async answer(callId: string | undefined, actx: ActionContext): Promise<string> {
    const ringing = this.d.calls.list().filter((c) => c.direction === "incoming" && c.state === "ringing");
    if (callId !== undefined && !ringing.some((c) => c.id === callId)) {
      throw new DeviceError("invalid_args", `no incoming call ${callId} is ringing; ringing: ${ringing.map((c) => c.id).join(", ") || "none"}`);
    }
    const lines = await this.d.send(cmd.answerVideo, actx);
    const l = lines[0];
    if (l?.kind === "answer" && !l.passed) throw new DeviceError("device_error", "the codec answered `answer incoming video call failed`", { device: "answer incoming video call failed" });
    return callId ?? ringing[0]?.id ?? "";
  }

  /** The driver stops: a dial in progress ends at once. */
  dispose(err: DeviceError): void {
    this.dialing?.abort(err);
  }

  /** Hangs up a dial attempt; its end is reported local with `reason`. Never throws. */
  private async abandon(id: string | undefined, reason: CallEnded["reason"]): Promise<void> {
    const { calls, clock, options, log } = this.d;
    if (id === undefined && calls.ids().length > 0) {
      log.warn({}, "a dial attempt with no call id yet while other calls are up: not hanging up all of them");
      return;
    }
    calls.hangingUp(id, reason);
    const actx: ActionContext = { signal: new AbortController().signal, deadline: clock.now() + options.timeoutMs + options.commandGapMs };
    try {
      await this.d.send(cmd.hangup(id), actx);
    } catch (e) {
      log.warn({ err: (e as Error).message, callId: id }, "hanging up the dial attempt failed");
    }
  }

  private async endedError(number: string, protocol: cmd.CallProtocol, ended: CallEnded): Promise<DeviceError> {
    const details = { number, call: { ...ended } };
    if (ended.local) return new DeviceError("cancelled", `the call to ${number} was hung up here before it connected`, details);
    try {
      await this.d.readRegistration();
    } catch (e) {
      this.d.log.debug({ err: (e as Error).message }, "could not read the registration after a failed dial");
    }
    const reg = this.d.registration();
    const needed = protocol === "auto" ? (["sip", "h323"] as const) : ([protocol] as const);
    const down = needed.filter((p) => reg[p].status === "unregistered" || reg[p].status === "failed");
    if (down.length > 0 && down.length === needed.filter((p) => reg[p].status !== "disabled").length) {
      return new DeviceError("not_registered", `${number}: not registered (${down.map((p) => reg[p].detail).join("; ")})`, details);
    }
    const why = `${number} ended before it connected (cause ${ended.cause})`;
    if (ended.reason === "rejected") return new DeviceError("call_rejected", `${why}: refused`, details);
    if (ended.reason === "no_answer") return new DeviceError("no_answer", `${why}: nobody answered`, details);
    return new DeviceError("call_dropped", why, details);
  }
}
