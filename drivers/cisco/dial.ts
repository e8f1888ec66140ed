/**
 * `call.dial` as the vocabulary settles it (drivers/codec/vocabulary.ts), never a hang:
 *   `xCommand Dial` -> DialResult (status=OK) CallId -> the call's status progression ->
 *   ok once Connected for `connectedHoldMs`; call_rejected when refused before it connected
 *   (not_registered when the codec is not registered for the protocol); call_dropped when it
 *   connected and ended before the answer; no_answer when not connected by `dialTimeoutMs` (the
 *   attempt is then disconnected); timeout when the action's own deadline comes first (likewise).
 */
import type { CallEnded, CodecCall } from "../codec/vocabulary.js";
import type { ActionContext, Clock, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import type { CallBook } from "./calls.js";
import type { Tree } from "./replies.js";

export interface DialDeps {
  book: CallBook;
  clock: Clock;
  dialTimeoutMs: number;
  connectedHoldMs: number;
  /** `xCommand <path> <args>`; resolves with the result's fields, rejects `device_error` on Error. */
  command(path: string[], args: Record<string, string | number | undefined>, actx: ActionContext): Promise<Tree>;
  /** Hangs the attempt up (fire and forget: the dial settles without waiting for it). */
  disconnect(callId: string): void;
  /** Whether the codec is registered for this protocol (auto: every enabled registration). */
  registered(protocol: "sip" | "h323" | "auto"): boolean;
}

export interface DialArgs {
  number: string;
  protocol: "sip" | "h323" | "auto";
  rateKbps?: number | undefined;
}

export interface DialResult {
  callId: string;
  remote: string;
  state: "connected";
  protocol: CodecCall["protocol"];
}

export async function dial(d: DialDeps, a: DialArgs, actx: ActionContext): Promise<DialResult> {
  // Listen before sending: the call's first feedback can arrive before the DialResult.
  const early: Parameters<Parameters<CallBook["on"]>[0]>[0][] = [];
  let handle: ((ev: (typeof early)[number]) => void) | undefined;
  const off = d.book.on((ev) => (handle ? handle(ev) : early.push(ev)));
  try {
    const fields = await d.command(["Dial"], { Number: a.number, Protocol: a.protocol === "sip" ? "Sip" : a.protocol === "h323" ? "H323" : undefined, CallRate: a.rateKbps }, actx);
    const callId = typeof fields["CallId"] === "string" ? fields["CallId"] : undefined;
    if (!callId) throw new DeviceError("device_error", "the codec accepted the dial but gave no CallId", { fields });
    const protocol = a.protocol === "auto" ? "unknown" : a.protocol;
    d.book.dialled(callId, a.number, protocol, a.rateKbps ?? null);
    return await new Promise<DialResult>((resolve, reject) => {
      const timers: TimerHandle[] = [];
      let hold: TimerHandle | undefined;
      let done = false;
      const finish = (err: DeviceError | undefined, ok?: DialResult) => {
        if (done) return;
        done = true;
        for (const t of timers) d.clock.clearTimeout(t);
        if (hold !== undefined) d.clock.clearTimeout(hold);
        actx.signal.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve(ok!);
      };
      const giveUp = (why: "no_answer" | "timeout", message: string) => {
        d.book.endingByUs(callId, "no_answer");
        d.disconnect(callId);
        finish(new DeviceError(why, message, { callId, number: a.number }));
      };
      const onAbort = () => giveUp("timeout", `the dial of ${a.number} was cut short: ${String((actx.signal.reason as Error | undefined)?.message ?? "aborted")}`);
      actx.signal.addEventListener("abort", onAbort, { once: true });
      timers.push(d.clock.setTimeout(() => giveUp("no_answer", `${a.number} did not answer within ${d.dialTimeoutMs} ms; the attempt was disconnected`), d.dialTimeoutMs));
      const left = actx.deadline - d.clock.now();
      if (left < d.dialTimeoutMs) timers.push(d.clock.setTimeout(() => giveUp("timeout", `no connected call to ${a.number} by the action's deadline; the attempt was disconnected`), Math.max(0, left)));

      handle = (ev) => {
        if (ev.type === "state") {
          if (ev.call.id !== callId) return;
          // Connected for connectedHoldMs without a break. A state that is not connected (a status
          // read that left before the call connected and came back after its feedback) disarms the
          // hold, and the next connected state arms it again: a hold that only found the call not
          // connected once used to stay armed and ignore every later connected state, so a connected
          // call's dial ran to no_answer (seen under load on the demo's test call).
          if (ev.call.state !== "connected") {
            if (hold !== undefined) d.clock.clearTimeout(hold);
            hold = undefined;
            return;
          }
          if (hold !== undefined) return;
          hold = d.clock.setTimeout(() => {
            hold = undefined;
            const now = d.book.get(callId);
            if (now?.state === "connected") finish(undefined, { callId, remote: now.remote || a.number, state: "connected", protocol: now.protocol });
          }, d.connectedHoldMs);
          return;
        }
        if (ev.ended.callId === callId) finish(endError(ev.ended, a, d.registered(a.protocol)));
      };
      for (const ev of early.splice(0)) handle(ev);
      const now = d.book.get(callId);
      if (now?.state === "connected") handle({ type: "state", call: now });
    });
  } finally {
    off();
  }
}

function endError(e: CallEnded, a: DialArgs, registered: boolean): DeviceError {
  const details = { callId: e.callId, number: a.number, cause: e.cause, reason: e.reason };
  if (e.connectedMs > 0) return new DeviceError("call_dropped", `the call to ${a.number} connected and ended after ${e.connectedMs} ms (${e.cause})`, details);
  if (e.reason === "no_answer") return new DeviceError("no_answer", `${a.number} did not answer (${e.cause})`, details);
  if (!registered) return new DeviceError("not_registered", `the call to ${a.number} was refused while the codec is not registered (${e.cause})`, details);
  if (e.reason === "local") return new DeviceError("call_rejected", `the call to ${a.number} was hung up at the codec before it was answered`, details);
  return new DeviceError("call_rejected", `the call to ${a.number} was refused (${e.cause})`, details);
}
