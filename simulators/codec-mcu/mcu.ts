/**
 * The province's MCU as a codec simulator sees it: the registrar and gatekeeper a codec registers
 * with, and the far ends of the numbers it dials. One model, shared by the Poly and Cisco simulators
 * (each speaks its own protocol about the same calls). Pure model on an injected clock: no I/O.
 *
 * A number's behaviour comes from `numbers` (exact match), else the default:
 *   answer       rings `ringMs`, then connects (and, with `hangupAfterMs`, hangs up by itself)
 *   reject       refused at once: `cause` (busy, declined, not found)
 *   no-answer    rings until the caller gives up
 * Faults a test or `roomgate sim` sets: registrations lost and back, a loss or jitter storm on every
 * call, the far end hanging up a call now.
 */
import type { Clock, TimerHandle } from "../../drivers/types.js";

export type NumberBehaviour =
  | { kind: "answer"; ringMs?: number; hangupAfterMs?: number; name?: string }
  | { kind: "reject"; cause: "busy" | "declined" | "not-found"; name?: string }
  | { kind: "no-answer"; name?: string };

export interface McuOptions {
  clock: Clock;
  /** Dial string -> behaviour. */
  numbers?: Record<string, NumberBehaviour>;
  /** For any other number. Default: answer after 300 ms. */
  otherwise?: NumberBehaviour;
  /** Whether the codec's SIP and H.323 registrations succeed at start. Default both true. */
  registered?: { sip: boolean; h323: boolean };
  /** Media figures of a healthy call. Default 0 % loss, 3 ms jitter. */
  baseline?: { lossPct: number; jitterMs: number };
}

export type McuCallState = "ringing" | "connected" | "ended";
export type EndReason = "local" | "remote" | "rejected" | "network";

export interface McuCall {
  readonly id: number;
  readonly number: string;
  readonly name: string;
  readonly protocol: "sip" | "h323";
  readonly rateKbps: number;
  readonly direction: "outgoing" | "incoming";
  state: McuCallState;
  /** When it entered `state` (clock ms). */
  since: number;
  connectedAt?: number;
  endReason?: EndReason;
  /** busy, declined, not-found, remote hangup, ... */
  endCause?: string;
}

export interface MediaFigures {
  lossPct: number;
  jitterMs: number;
  rateKbps: number;
}

export type McuEvent =
  | { type: "call"; call: McuCall }
  | { type: "registration"; protocol: "sip" | "h323"; registered: boolean };

export class SimulatedMcu {
  private readonly clock: Clock;
  private readonly numbers: Record<string, NumberBehaviour>;
  private readonly otherwise: NumberBehaviour;
  private readonly baseline: { lossPct: number; jitterMs: number };
  private readonly calls = new Map<number, McuCall>();
  private readonly timers = new Map<number, TimerHandle[]>();
  private readonly listeners = new Set<(e: McuEvent) => void>();
  private nextId = 1;
  readonly registration: { sip: boolean; h323: boolean };
  /** A storm on every connected call: loss and jitter on top of the baseline. */
  readonly storm = { lossPct: 0, jitterMs: 0 };

  constructor(opts: McuOptions) {
    this.clock = opts.clock;
    this.numbers = { ...(opts.numbers ?? {}) };
    this.otherwise = opts.otherwise ?? { kind: "answer", ringMs: 300 };
    this.registration = { sip: opts.registered?.sip ?? true, h323: opts.registered?.h323 ?? true };
    this.baseline = opts.baseline ?? { lossPct: 0, jitterMs: 3 };
  }

  /** Every change of a call or a registration; returns the remover. */
  on(listener: (e: McuEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sets how a number behaves from now on (`roomgate sim`: `number DEV 8001 reject busy`). */
  setNumber(number: string, behaviour: NumberBehaviour): void {
    this.numbers[number] = behaviour;
  }

  /** Registrations lost (false) or back (true). */
  setRegistered(protocol: "sip" | "h323", on: boolean): void {
    if (this.registration[protocol] === on) return;
    this.registration[protocol] = on;
    this.emit({ type: "registration", protocol, registered: on });
  }

  /** Places a call; its progress arrives as events. Returns at once with the call ringing (or ended). */
  dial(number: string, protocol: "sip" | "h323", rateKbps: number): McuCall {
    const b = this.numbers[number] ?? this.otherwise;
    const call: McuCall = {
      id: this.nextId++,
      number,
      name: b.name ?? number,
      protocol,
      rateKbps,
      direction: "outgoing",
      state: "ringing",
      since: this.clock.now(),
    };
    this.calls.set(call.id, call);
    if (!this.registration[protocol]) {
      // Nothing routes a call from an unregistered endpoint: refused as "not found".
      queueMicrotask(() => this.end(call, "rejected", "not-registered"));
      return call;
    }
    this.emit({ type: "call", call });
    if (b.kind === "reject") this.after(call, 50, () => this.end(call, "rejected", b.cause));
    else if (b.kind === "answer") {
      this.after(call, b.ringMs ?? 300, () => {
        this.connect(call);
        if (b.hangupAfterMs !== undefined) this.after(call, b.hangupAfterMs, () => this.end(call, "remote", "remote hangup"));
      });
    }
    return call;
  }

  /** A far end calls the codec (`roomgate sim`: `incoming DEV 8001`). */
  incoming(number: string, protocol: "sip" | "h323" = "sip", rateKbps = 1920): McuCall {
    const call: McuCall = { id: this.nextId++, number, name: this.numbers[number]?.name ?? number, protocol, rateKbps, direction: "incoming", state: "ringing", since: this.clock.now() };
    this.calls.set(call.id, call);
    this.emit({ type: "call", call });
    return call;
  }

  /** The codec answers an incoming call. False if there is no such ringing call. */
  answer(id: number): boolean {
    const call = this.calls.get(id);
    if (!call || call.direction !== "incoming" || call.state !== "ringing") return false;
    this.connect(call);
    return true;
  }

  /** The codec hangs up (`local`), or gives up ringing. False if the call is not active. */
  hangup(id: number): boolean {
    const call = this.calls.get(id);
    if (!call || call.state === "ended") return false;
    this.end(call, "local", "local hangup");
    return true;
  }

  /** The far end hangs up now (a fault control), or the network drops the call (`network`). */
  drop(id: number, reason: "remote" | "network" = "remote"): boolean {
    const call = this.calls.get(id);
    if (!call || call.state === "ended") return false;
    this.end(call, reason, reason === "remote" ? "remote hangup" : "network failure");
    return true;
  }

  /** Calls not yet ended, oldest first. */
  active(): McuCall[] {
    return [...this.calls.values()].filter((c) => c.state !== "ended");
  }

  get(id: number): McuCall | undefined {
    return this.calls.get(id);
  }

  /**
   * The media figures of a connected call now, per kind and direction. Jitter wobbles by a few ms
   * (deterministic: from the call id and the clock), loss is the storm's.
   */
  media(id: number): { audio: { rx: MediaFigures; tx: MediaFigures }; video: { rx: MediaFigures; tx: MediaFigures } } | undefined {
    const call = this.calls.get(id);
    if (!call || call.state !== "connected") return undefined;
    const wobble = ((call.id * 7 + Math.floor(this.clock.now() / 1000)) % 3) - 1;
    const loss = Math.round((this.baseline.lossPct + this.storm.lossPct) * 100) / 100;
    const jitter = Math.max(0, this.baseline.jitterMs + this.storm.jitterMs + wobble);
    const audioRate = 64;
    const videoRate = Math.max(0, call.rateKbps - audioRate);
    const f = (rate: number): MediaFigures => ({ lossPct: loss, jitterMs: jitter, rateKbps: rate });
    return { audio: { rx: f(audioRate), tx: f(audioRate) }, video: { rx: f(videoRate), tx: f(videoRate) } };
  }

  /** Stops every timer; calls stay as they are. */
  close(): void {
    for (const hs of this.timers.values()) for (const h of hs) this.clock.clearTimeout(h);
    this.timers.clear();
    this.listeners.clear();
  }

  private connect(call: McuCall): void {
    if (call.state !== "ringing") return;
    call.state = "connected";
    call.since = this.clock.now();
    call.connectedAt = call.since;
    this.emit({ type: "call", call });
  }

  private end(call: McuCall, reason: EndReason, cause: string): void {
    if (call.state === "ended") return;
    for (const h of this.timers.get(call.id) ?? []) this.clock.clearTimeout(h);
    this.timers.delete(call.id);
    call.state = "ended";
    call.since = this.clock.now();
    call.endReason = reason;
    call.endCause = cause;
    this.emit({ type: "call", call });
  }

  private after(call: McuCall, ms: number, fn: () => void): void {
    const h = this.clock.setTimeout(() => {
      const list = this.timers.get(call.id) ?? [];
      list.splice(list.indexOf(h), 1);
      fn();
    }, ms);
    this.timers.set(call.id, [...(this.timers.get(call.id) ?? []), h]);
  }

  private emit(e: McuEvent): void {
    for (const l of [...this.listeners]) l(e);
  }
}
