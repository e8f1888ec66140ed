/**
 * A simulated link encryptor speaking ENC/1: heartbeat every `heartbeatMs`, a status line on every
 * change and every `statusEveryMs`, alarm lines, identity on `$Q,ID`, `ER` for bad or unknown lines.
 * Time comes from an injectable clock. State changes come only from this class's methods (the
 * handle API and `roomgate sim` controls), never from the device line: the line only answers
 * queries and records acks, as the real read-only status port would.
 *
 * It records every byte the agent sent, so tests can prove the driver read-only end to end.
 */
import { systemClock } from "../../drivers/clock.js";
import type { Clock, TimerHandle } from "../../drivers/types.js";
import type { CommonFaults } from "../types.js";
import {
  alarmBody, errorBody, heartbeatBody, identityBody, parseRequest, sentence, statusBody,
  type SimKey, type SimSeverity, type SimState, type SimTunnel,
} from "./lines.js";

export interface Enc1Faults extends CommonFaults {
  /** Every line goes out with a wrong checksum. */
  badChecksum: boolean;
}

export interface Enc1DeviceOptions {
  clock?: Clock;
  /** Default 2000 (PROTOCOLS.md). */
  heartbeatMs?: number;
  /** Periodic status line. Default 10 000 (PROTOCOLS.md). */
  statusEveryMs?: number;
  /** State after the self-test. Default SECURE. */
  state?: SimState;
  /** Time in SELFTEST after power-on; 0 (default) = straight to `state`. */
  selftestMs?: number;
  model?: string;
  firmware?: string;
  /** The junk line the garbage fault puts before every line. */
  garbageLine?: Buffer;
}

/** An opaque "who asked" (a TCP socket); undefined = every listener. */
export type Peer = unknown;
export type Sink = (bytes: Buffer, to: Peer | undefined) => void;

/** Default garbage: control and high bytes, its own line (no `$`), so only that junk line is lost. */
export const DEFAULT_GARBAGE = Buffer.from([0x7e, 0x00, 0xff, 0x13, 0x37, 0x07, 0x0a]);
/** Alarms that go with a state, raised on entering it. TAMPER and ZEROIZED latch (cleared only by an `alarm ... clear`). */
const STATE_ALARMS: Partial<Record<SimState, { code: string; severity: SimSeverity; latch: boolean }>> = {
  BYPASS: { code: "BYPASS_ACTIVE", severity: "CRIT", latch: false },
  TUNNEL_DOWN: { code: "TUNNEL_DOWN", severity: "MAJ", latch: false },
  KEY_EXPIRED: { code: "KEY_EXPIRED", severity: "MAJ", latch: false },
  TAMPER: { code: "TAMPER", severity: "CRIT", latch: true },
  ZEROIZED: { code: "ZEROIZED", severity: "CRIT", latch: true },
};
const RANK: Record<SimSeverity, number> = { CRIT: 3, MAJ: 2, MIN: 1 };
const MAX_RECORDED_BYTES = 1 << 20;

export class Enc1Device {
  readonly faults: Enc1Faults = { silent: false, garbage: false, slowMs: 0, badChecksum: false };
  /** Output; set by the endpoint. Lines written while it is unset are lost, as on a pulled cable. */
  sink: Sink | undefined;
  state: SimState;
  tunnel: SimTunnel = "UP";
  key: SimKey = "VALID";
  /** Active alarms in raise order (the last raised of the highest severity is the one ST reports). */
  readonly alarms = new Map<string, SimSeverity>();
  /** Seqs of the $ACK lines received. */
  readonly acks: number[] = [];
  readonly model: string;
  readonly firmware: string;
  private readonly clock: Clock;
  private readonly bootAt: number;
  private seq = 0;
  private readonly timers = new Set<TimerHandle>();
  private readonly intervals: TimerHandle[] = [];
  private received: Buffer[] = [];
  private receivedBytes = 0;
  private partial = "";
  private pendingAlarms: { code: string; severity: SimSeverity; action: "RAISE" | "CLEAR" }[] = [];
  private garbageLine: Buffer;
  private closed = false;

  constructor(options: Enc1DeviceOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.bootAt = this.clock.now();
    this.model = options.model ?? "RG-ENC1-SIM";
    this.firmware = options.firmware ?? "1.0.0";
    this.garbageLine = options.garbageLine ?? DEFAULT_GARBAGE;
    const target = options.state ?? "SECURE";
    const selftestMs = options.selftestMs ?? 0;
    this.state = selftestMs > 0 ? "SELFTEST" : target;
    this.applyFieldDefaults(this.state);
    if (selftestMs > 0) this.later(selftestMs, () => this.setState(target));
    this.intervals.push(this.clock.setInterval(() => this.heartbeat(), options.heartbeatMs ?? 2000));
    this.intervals.push(this.clock.setInterval(() => this.sendStatus(), options.statusEveryMs ?? 10_000));
  }

  // ---- controls (handle API and `roomgate sim`; never the device line) ----

  /** Forces a state, with the tunnel/key fields and alarms that go with it. */
  setState(s: SimState): void {
    this.change(() => {
      this.applyFieldDefaults(s);
      this.enter(s);
    });
  }

  setTunnel(t: SimTunnel): void {
    this.change(() => {
      this.tunnel = t;
      if (t === "DOWN" && this.state === "SECURE") this.enter("TUNNEL_DOWN");
      if (t === "UP" && this.state === "TUNNEL_DOWN") this.enter(this.keyUsable() ? "SECURE" : "KEY_EXPIRED");
    });
  }

  setKey(k: SimKey): void {
    this.change(() => {
      this.key = k;
      if (!this.keyUsable() && (this.state === "SECURE" || this.state === "TUNNEL_DOWN")) this.enter("KEY_EXPIRED");
      if (this.keyUsable() && this.state === "KEY_EXPIRED") this.enter(this.tunnel === "UP" ? "SECURE" : "TUNNEL_DOWN");
    });
  }

  tamper(): void {
    this.change(() => this.enter("TAMPER"));
  }

  /** Keys erased, tunnel down: ZEROIZED until an operator forces another state. */
  zeroize(): void {
    this.change(() => {
      this.key = "NONE";
      this.tunnel = "DOWN";
      this.enter("ZEROIZED");
    });
  }

  /** Raises or clears one alarm line (the state stays as it is). */
  alarm(code: string, action: "RAISE" | "CLEAR", severity?: SimSeverity): void {
    this.change(() => this.raiseOrClear(code, action, severity));
  }

  /** `n` heartbeat lines at once (a flood). */
  flood(n: number): void {
    for (let i = 0; i < n; i++) this.heartbeat();
  }

  /** Raw bytes on the device line (tests of over-long, split or binary lines). Faults do not apply. */
  sendRaw(bytes: Buffer, to?: Peer): void {
    this.sink?.(bytes, to);
  }

  /** The ST alarm field: the most severe active alarm, the latest raised among equals; null = NONE. */
  summaryAlarm(): string | null {
    let best: [string, SimSeverity] | null = null;
    for (const entry of this.alarms) if (best === null || RANK[entry[1]] >= RANK[best[1]]) best = entry;
    return best?.[0] ?? null;
  }

  // ---- the device line ----

  /** Bytes from the agent: recorded, then each complete line answered. */
  receive(chunk: Buffer, from?: Peer): void {
    this.record(chunk);
    const text = this.partial + chunk.toString("latin1");
    const lines = text.split("\n");
    this.partial = lines.pop()!.slice(-256); // a real console's input buffer is small
    for (const line of lines) this.request(line, from);
  }

  /** Everything the agent ever sent, in order (bounded to the last 1 MiB). */
  receivedData(): Buffer {
    return Buffer.concat(this.received);
  }

  /** The received bytes as lines (LF kept off; a partial last line included). */
  receivedLines(): string[] {
    const text = this.receivedData().toString("latin1");
    return text === "" ? [] : text.split(/(?<=\n)/);
  }

  /** Drops a partial request (the link went away). */
  resetInput(): void {
    this.partial = "";
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    for (const i of this.intervals) this.clock.clearInterval(i);
    this.intervals.length = 0;
  }

  // ---- internals ----

  private request(line: string, from: Peer | undefined): void {
    const req = parseRequest(line);
    switch (req.kind) {
      case "query":
        if (req.what === "ST") this.sendStatus(from);
        else this.emit(identityBody(this.model, this.firmware), from);
        return;
      case "ack":
        if (this.acks.length >= 10_000) this.acks.shift();
        this.acks.push(req.seq);
        return;
      case "bad_checksum":
        return this.emit(errorBody(this.nextSeq(), "CHECKSUM"), from);
      case "unsupported":
        return this.emit(errorBody(this.nextSeq(), "UNSUPPORTED"), from);
      case "noise":
        return;
    }
  }

  private keyUsable(): boolean {
    return this.key === "VALID" || this.key === "EXPIRING";
  }

  private applyFieldDefaults(s: SimState): void {
    if (s === "SECURE") {
      this.tunnel = "UP";
      if (!this.keyUsable()) this.key = "VALID";
    } else if (s === "TUNNEL_DOWN") {
      this.tunnel = "DOWN";
    } else if (s === "KEY_EXPIRED") {
      if (this.keyUsable()) this.key = "EXPIRED";
    } else if (s === "ZEROIZED") {
      this.key = "NONE";
      this.tunnel = "DOWN";
    }
  }

  /** Enters a state: clears the old state's (non-latching) alarm and raises the new one's. */
  private enter(s: SimState): void {
    if (s === this.state) return;
    const old = STATE_ALARMS[this.state];
    if (old && !old.latch && this.alarms.has(old.code)) this.raiseOrClear(old.code, "CLEAR");
    this.state = s;
    const now = STATE_ALARMS[s];
    if (now) this.raiseOrClear(now.code, "RAISE", now.severity);
  }

  private raiseOrClear(code: string, action: "RAISE" | "CLEAR", severity?: SimSeverity): void {
    const sev = severity ?? this.alarms.get(code) ?? "MAJ";
    this.alarms.delete(code); // re-raise moves it to the end: the latest
    if (action === "RAISE") this.alarms.set(code, sev);
    this.pendingAlarms.push({ code, severity: sev, action });
  }

  /** Runs a change; sends ST if state/tunnel/key/alarm changed, then the alarm lines it made. */
  private change(fn: () => void): void {
    const sig = () => `${this.state}|${this.tunnel}|${this.key}|${this.summaryAlarm()}`;
    const before = sig();
    fn();
    const alarms = this.pendingAlarms;
    this.pendingAlarms = [];
    if (sig() !== before) this.sendStatus();
    for (const a of alarms) this.emit(alarmBody(this.nextSeq(), a.code, a.severity, a.action));
  }

  private heartbeat(): void {
    this.emit(heartbeatBody(this.nextSeq(), Math.floor((this.clock.now() - this.bootAt) / 1000)));
  }

  private sendStatus(to?: Peer): void {
    this.emit(statusBody(this.nextSeq(), this.state, this.tunnel, this.key, this.summaryAlarm()), to);
  }

  private nextSeq(): number {
    this.seq = this.seq >= 0xffff_ffff ? 0 : this.seq + 1;
    return this.seq;
  }

  private emit(body: string, to?: Peer): void {
    if (this.faults.silent || this.closed) return;
    let bytes = sentence(body, this.faults.badChecksum);
    if (this.faults.garbage) bytes = Buffer.concat([this.garbageLine, bytes]);
    if (this.faults.slowMs > 0) this.later(this.faults.slowMs, () => this.sink?.(bytes, to));
    else this.sink?.(bytes, to);
  }

  private later(ms: number, fn: () => void): void {
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private record(chunk: Buffer): void {
    this.received.push(Buffer.from(chunk));
    this.receivedBytes += chunk.length;
    while (this.receivedBytes > MAX_RECORDED_BYTES && this.received.length > 1) this.receivedBytes -= this.received.shift()!.length;
  }
}
