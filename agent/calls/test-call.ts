/**
 * The optional test call (docs/readiness.md "The test call"): a readiness item of the codec module
 * for each codec with `calls.testCall` in a checked room. The codec dials the configured number (the
 * MCU's test or loopback service); the call must connect within `connectSec`, then every quality
 * reading the codec gives (its state, as it updates) must stay under the thresholds for `holdSec`.
 *
 * Rules:
 * - It is made only when configured, and never on a codec already in a call (skipped with the
 *   reason: it would interrupt a conference), nor on one that does not answer (skipped, as a
 *   device's items are).
 * - It is hung up afterwards whatever happened: passed, failed, the check's deadline, the agent
 *   stopping. The hang-up names the call when the codec showed it, else ends every call: the codec
 *   had none when the test began. A hang-up that fails fails the item (`hangup_failed`): the room is
 *   then in a call it did not want.
 * - It ends `TEST_CALL_HANGUP_SEC` before the check's deadline at the latest, so that its item, with
 *   the hang-up done, is in the report: `timeout` when the deadline came first.
 * - Coded fails: `no_answer`, `call_rejected`, `call_dropped`, `poor_quality`, `timeout`, or the
 *   dial's own code (e.g. `not_registered`).
 */
import type { Clock, DriverEvent, Logger, TimerHandle } from "../../drivers/types.js";
import { DeviceError } from "../../drivers/types.js";
import type { ReadinessItem } from "../../drivers/readiness.js";
import { qualityBreach, type CallEnded, type CodecCall } from "../../drivers/codec/vocabulary.js";
import type { SiteConfig } from "../../config/site.js";
import { qualityFor, TEST_CALL_HANGUP_SEC, type CallQuality, type TestCall } from "../../config/calls.js";
import type { ModuleReadiness } from "../module.js";
import { breachText, callEndedOf, callsOf, callText, durationText, hasFigures } from "./read.js";

export interface TestCallDeps {
  config: SiteConfig;
  clock: Clock;
  logger: Logger;
  /** A fresh poll of the codec within timeoutMs. */
  read(device: string, timeoutMs: number): Promise<Record<string, unknown>>;
  /** The codec's latest state (pushed or polled). */
  stateOf(device: string): Record<string, unknown> | undefined;
  /** Runs a codec action under its own deadline (as the readiness check's user). */
  run(device: string, action: string, args: Record<string, unknown>, timeoutMs: number): Promise<unknown>;
}

/** A test call in progress on one codec. */
interface Running {
  number: string;
  /** The codec's id of the call, once it shows it. */
  callId?: string;
  /** Set while the hold watches the call: hears the codec's states and call ends. */
  hear?: { state(s: Record<string, unknown>): void; ended(e: CallEnded): void };
  /** Ends the test early (the agent stopping). */
  stop(): void;
  /** Set once the outcome is known: a dial that settles later starts no hold. */
  over?: true;
  /** Ends the hold now (its timer cleared), when the outcome came from elsewhere. */
  endHold?: () => void;
}

type Outcome = Omit<ReadinessItem, "key" | "name">;

export const TEST_CALL_KEY = "test-call";
const HANGUP_MS = TEST_CALL_HANGUP_SEC * 1000 - 500;

const FIX: Record<string, string> = {
  no_answer: "check that the number answers (the MCU's test service) and the codec's dial plan",
  call_rejected: "the far end or the MCU refused the call: check the number and the codec's registration",
  call_dropped: "the call connected, then dropped: check the WAN path to the MCU (link errors, firewall or NAT timeouts)",
  poor_quality: "the path to the MCU loses packets or jitters: check the WAN link and its QoS marking for video (AF41)",
  timeout: "the codec did not settle the call in time: check its health and link, or give the check a longer deadline (readiness.deadlineMs)",
  not_registered: "register the codec first (its registered item says why it is not)",
  hangup_failed: "hang the call up at the codec (call.hangup), then check its link",
};

export class TestCalls implements ModuleReadiness {
  private readonly running = new Map<string, Running>();
  /** Every test call's whole course (read, call, hang-up), for stop() to wait on. */
  private readonly inflight = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(private readonly deps: TestCallDeps) {}

  /** The codecs of `room` with a test call, in the site file's order. */
  private codecs(room: string): [string, TestCall][] {
    return Object.entries(this.deps.config.devices).flatMap(([id, d]) =>
      d.kind === "codec" && d.room === room && d.calls?.testCall ? [[id, d.calls.testCall] as [string, TestCall]] : [],
    );
  }

  plan(room: string): { key: string; name: string }[] {
    return this.codecs(room).map(([id, t]) => ({ key: `${id}.${TEST_CALL_KEY}`, name: itemName(id, t, qualityFor(this.deps.config, id)) }));
  }

  async evaluate(room: string, deadline: number): Promise<ReadinessItem[]> {
    return Promise.all(
      this.codecs(room).map(async ([id, t]) => {
        const course = this.one(id, t, deadline - TEST_CALL_HANGUP_SEC * 1000);
        this.inflight.add(course);
        const outcome = await course.finally(() => this.inflight.delete(course));
        return { key: `${id}.${TEST_CALL_KEY}`, name: itemName(id, t, qualityFor(this.deps.config, id)), ...outcome };
      }),
    );
  }

  /** Whether `call` on `device` is the test call in progress (the call alarms leave it out). */
  isTestCall(device: string, call: { id: string; remote: string }): boolean {
    const r = this.running.get(device);
    return r !== undefined && (r.callId !== undefined ? r.callId === call.id : r.number === call.remote);
  }

  onState(device: string, state: Record<string, unknown>): void {
    this.running.get(device)?.hear?.state(state);
  }

  onEvent(device: string, e: DriverEvent): void {
    const r = this.running.get(device);
    const ended = r?.hear ? callEndedOf(e) : undefined;
    if (r?.hear && ended && this.isTestCall(device, { id: ended.callId, remote: ended.remote })) r.hear.ended(ended);
  }

  /** Ends the test calls in progress (hung up, as always) and waits for their hang-ups. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const r of this.running.values()) r.stop();
    await Promise.allSettled([...this.inflight]);
  }

  /** One codec's test call; settles by `budgetEnd` plus the hang-up's deadline. */
  private async one(device: string, t: TestCall, budgetEnd: number): Promise<Outcome> {
    const { clock } = this.deps;
    if (this.running.has(device)) return { result: "skip", code: "busy", message: "not made: a test call is already in progress on this codec" };
    let state: Record<string, unknown>;
    try {
      state = await this.deps.read(device, Math.max(1, Math.min(this.deps.config.readiness.deviceTimeoutMs, budgetEnd - clock.now())));
    } catch (err) {
      return { result: "skip", code: "unreachable", message: `not made: ${device} did not answer (${errText(err)})` };
    }
    const busy = callsOf(state);
    if (busy.length > 0) {
      const calls = busy.map((c) => `${callText(c)}, ${c.state}`).join("; ");
      return { result: "skip", code: "in_call", message: `not made: ${device} is in a call (${calls}); a test call would interrupt it`, fix: "check again once the call is over" };
    }
    if (this.stopping) return { result: "skip", code: "cancelled", message: "not made: the agent is stopping" };
    let stopped = (): void => undefined;
    const run: Running = { number: t.number, stop: () => stopped() };
    this.running.set(device, run);
    let outcome: Outcome;
    try {
      outcome = await new Promise<Outcome>((resolve) => {
        stopped = () => resolve({ result: "fail", code: "cancelled", message: "the agent stopped during the test call" });
        this.call(device, t, run, budgetEnd).then(resolve, (err: unknown) => resolve({ result: "fail", code: "internal", message: errText(err) }));
      });
    } finally {
      run.over = true;
      run.endHold?.();
    }
    const failed = await this.hangup(device, run);
    this.running.delete(device);
    if (failed !== null) {
      return { result: "fail", code: "hangup_failed", message: `${outcome.message ?? outcome.result}; then the hang-up failed: ${failed}`, fix: FIX.hangup_failed! };
    }
    return outcome.result === "fail" && outcome.code !== undefined && outcome.fix === undefined && FIX[outcome.code] ? { ...outcome, fix: FIX[outcome.code]! } : outcome;
  }

  /** Dials, then holds; the outcome (never rejects for a call's own end). */
  private async call(device: string, t: TestCall, run: Running, budgetEnd: number): Promise<Outcome> {
    const { clock } = this.deps;
    const q = qualityFor(this.deps.config, device);
    const t0 = clock.now();
    const connectMs = Math.min(t.connectSec * 1000, budgetEnd - t0);
    if (connectMs <= 0) return { result: "fail", code: "timeout", message: "no time left before the check's deadline to make the call" };
    const cut = connectMs < t.connectSec * 1000;
    try {
      const args = { number: t.number, protocol: t.protocol, ...(t.rateKbps !== undefined ? { rateKbps: t.rateKbps } : {}) };
      const result = await this.deps.run(device, "call.dial", args, connectMs);
      const id = (result as { callId?: unknown } | null)?.callId;
      run.callId = typeof id === "string" ? id : this.ours(device, t.number)?.id;
    } catch (err) {
      const code = err instanceof DeviceError ? err.code : "internal";
      if (code !== "timeout") return { result: "fail", code, message: `${t.number}: ${errText(err)}` };
      if (cut) return { result: "fail", code: "timeout", message: `not connected when the check's deadline came (${durationText(connectMs)})` };
      const ringing = this.ours(device, t.number);
      return ringing
        ? { result: "fail", code: "no_answer", message: `${t.number} did not answer within ${t.connectSec} s (the call was ${ringing.state})` }
        : { result: "fail", code: "timeout", message: `${device} did not settle the dial within ${t.connectSec} s` };
    }
    return this.hold(device, t, q, run, budgetEnd, clock.now() - t0);
  }

  /** Watches the connected call for `holdSec`: each reading must be under the thresholds. */
  private hold(device: string, t: TestCall, q: CallQuality, run: Running, budgetEnd: number, connectedInMs: number): Promise<Outcome> {
    const { clock } = this.deps;
    if (run.over) return Promise.resolve({ result: "fail", code: "cancelled", message: "ended before the hold" });
    const start = clock.now();
    const end = Math.min(start + t.holdSec * 1000, budgetEnd);
    let readings = 0;
    let worst = { lossPct: 0, jitterMs: 0 };
    return new Promise<Outcome>((resolve) => {
      let timer: TimerHandle | undefined;
      const done = (o: Outcome) => {
        clock.clearTimeout(timer);
        delete run.hear;
        delete run.endHold;
        resolve(o);
      };
      run.endHold = () => done({ result: "fail", code: "cancelled", message: "the hold was ended" });
      const judge = (s: Record<string, unknown> | undefined) => {
        const calls = callsOf(s);
        const call = run.callId !== undefined ? calls.find((c) => c.id === run.callId) : oursIn(calls, t.number);
        if (!call || call.state === "disconnecting") {
          done({ result: "fail", code: "call_dropped", message: `the call ended after ${durationText(clock.now() - start)} of the hold` });
          return;
        }
        run.callId ??= call.id;
        // A state older than the dial's answer (still connecting) or a held call: no reading to judge.
        if (call.state !== "connected") return;
        if (!hasFigures(call.quality)) return;
        readings++;
        worst = worstOf(worst, call);
        const breach = qualityBreach(call.quality, q);
        if (breach) done({ result: "fail", code: "poor_quality", message: `${breachText(breach, q)}, ${durationText(clock.now() - start)} into the hold`, actual: breach });
      };
      run.hear = {
        state: judge,
        ended: (e) => done({ result: "fail", code: "call_dropped", message: `the call ended after ${durationText(clock.now() - start)} of the hold: ${e.reason} (${e.cause})` }),
      };
      timer = clock.setTimeout(() => {
        if (end < start + t.holdSec * 1000) {
          done({ result: "fail", code: "timeout", message: `the check's deadline came ${durationText(end - start)} into the ${t.holdSec} s hold` });
        } else if (readings === 0) {
          done({ result: "warn", code: "quality_unknown", message: `connected in ${durationText(connectedInMs)} and held ${t.holdSec} s, but the codec gave no loss or jitter figures`, fix: "check that the codec reports call statistics" });
        } else {
          done({ result: "pass", message: `connected in ${durationText(connectedInMs)}, held ${t.holdSec} s: worst loss ${worst.lossPct} %, jitter ${worst.jitterMs} ms`, actual: { ...worst, readings } });
        }
      }, Math.max(0, end - start));
      judge(this.deps.stateOf(device)); // the state the dial left: the call may already be gone
    });
  }

  /** The test call as the codec's latest state shows it. */
  private ours(device: string, number: string): CodecCall | undefined {
    return oursIn(callsOf(this.deps.stateOf(device)), number);
  }

  /** Hangs the test call up; null when done, else why not. */
  private async hangup(device: string, run: Running): Promise<string | null> {
    run.callId ??= this.ours(device, run.number)?.id;
    // Without the call's id, every call: the codec had none when the test began.
    const args = run.callId !== undefined ? { callId: run.callId } : {};
    try {
      await this.deps.run(device, "call.hangup", args, HANGUP_MS);
      return null;
    } catch (err) {
      this.deps.logger.error({ device, call: run.callId, err: errText(err) }, "the readiness test call could not be hung up");
      return errText(err);
    }
  }
}

/**
 * Our outgoing call to `number`; else the only outgoing call (a codec may show the number as a URI,
 * `sip:9999@mcu`, and it had no call when the test began, so the one it has is ours).
 */
function oursIn(calls: CodecCall[], number: string): CodecCall | undefined {
  const outgoing = calls.filter((c) => c.direction === "outgoing");
  return outgoing.find((c) => c.remote === number) ?? (outgoing.length === 1 ? outgoing[0] : undefined);
}

function itemName(device: string, t: TestCall, q: CallQuality): string {
  return `${device}: test call to ${t.number} connects within ${t.connectSec} s and holds ${t.holdSec} s under ${q.lossPct} % loss and ${q.jitterMs} ms jitter`;
}

/** The highest loss and jitter of any medium and direction of the call. */
function worstOf(w: { lossPct: number; jitterMs: number }, call: CodecCall): { lossPct: number; jitterMs: number } {
  const q = call.quality!;
  let { lossPct, jitterMs } = w;
  for (const pair of [q.audio, q.video, ...(q.content ? [q.content] : [])]) {
    for (const s of [pair.rx, pair.tx]) {
      if (s.lossPct !== null) lossPct = Math.max(lossPct, s.lossPct);
      if (s.jitterMs !== null) jitterMs = Math.max(jitterMs, s.jitterMs);
    }
  }
  return { lossPct, jitterMs };
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
