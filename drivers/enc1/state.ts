/**
 * What the driver knows about the encryptor, and the rules that turn lines and silence into it.
 * No I/O and no timers: the driver feeds it lines, heartbeat loss and link changes.
 *
 * Fail closed: `state` is the device's last reported state only while the link is open and
 * heartbeats flow; otherwise UNKNOWN. `secure` is true only for SECURE with at least one heartbeat
 * since the link came up and none missed since. Silence never reads as secure.
 */
import type { Enc1Key, Enc1Line, Enc1Severity, Enc1State, Enc1Tunnel } from "./codec.js";

/** A type alias (not an interface) so that it is assignable to the agent's `Record<string, unknown>`. */
export type Enc1DriverState = {
  state: Enc1State;
  secure: boolean;
  tunnel: Enc1Tunnel | null;
  key: Enc1Key | null;
  /** The alarm code of the last status line, or null (alarm=NONE). Kept through heartbeat loss. */
  alarm: string | null;
  /** Active device alarm codes from AL lines, sorted. Kept through heartbeat loss (silence clears nothing). */
  alarms: string[];
  model: string | null;
  firmware: string | null;
  lastStatusSeq: number | null;
  checksumErrors: number;
  /** Lines discarded for any reason but a bad checksum: over-long, not ASCII, malformed, unknown type. */
  droppedLines: number;
};

export const STATE_FIELDS = [
  "state", "secure", "tunnel", "key", "alarm", "alarms", "model", "firmware", "lastStatusSeq", "checksumErrors", "droppedLines",
] as const satisfies readonly (keyof Enc1DriverState)[];

export type AlarmSeverity = "critical" | "major" | "minor";
export interface AlarmChange {
  code: string;
  severity: AlarmSeverity;
  action: "raise" | "clear";
}

const SEVERITY: Record<Enc1Severity, AlarmSeverity> = { CRIT: "critical", MAJ: "major", MIN: "minor" };

export class Enc1Model {
  checksumErrors = 0;
  droppedLines = 0;
  private linkOpen = false;
  private hbSeen = false;
  private hbLost = false;
  /** The state of the last ST line since the link came up or heartbeats resumed; null = none yet. */
  private reported: Enc1State | null = null;
  private tunnel: Enc1Tunnel | null = null;
  private key: Enc1Key | null = null;
  private alarm: string | null = null;
  private readonly active = new Map<string, AlarmSeverity>();
  private model: string | null = null;
  private firmware: string | null = null;
  private lastStatusSeq: number | null = null;

  /** The link (re)opened: nothing is known about the present until lines arrive. */
  linkUp(): void {
    this.linkOpen = true;
    this.hbSeen = false;
    this.hbLost = false;
    this.forgetPresent();
  }

  /** The link closed: UNKNOWN at once. */
  linkDown(): void {
    this.linkOpen = false;
    this.hbSeen = false;
    this.hbLost = false;
    this.forgetPresent();
  }

  /** Heartbeats stopped: UNKNOWN until a heartbeat and a fresh status line. */
  heartbeatsLost(): void {
    this.hbLost = true;
    this.forgetPresent();
  }

  get heartbeatsFresh(): boolean {
    return this.linkOpen && this.hbSeen && !this.hbLost;
  }

  /** A heartbeat line. Returns true when it ends a heartbeat loss. */
  heartbeat(): boolean {
    const recovered = this.hbLost;
    this.hbSeen = true;
    this.hbLost = false;
    return recovered;
  }

  /**
   * A status line. Returns the alarms cleared by reconciliation (alarm=NONE while codes are still
   * listed: their CLEAR lines were missed), when `reconcile` is on.
   */
  status(line: Extract<Enc1Line, { type: "ST" }>, reconcile: boolean): AlarmChange[] {
    this.reported = line.state;
    this.tunnel = line.tunnel;
    this.key = line.key;
    this.alarm = line.alarm;
    this.lastStatusSeq = line.seq;
    if (!reconcile || line.alarm !== null) return [];
    const cleared = [...this.active].map(([code, severity]): AlarmChange => ({ code, severity, action: "clear" }));
    this.active.clear();
    return cleared;
  }

  /** An alarm line. Returns the change, or null when it changes nothing (a repeat, or a CLEAR of an inactive code). */
  alarmLine(line: Extract<Enc1Line, { type: "AL" }>): AlarmChange | null {
    const severity = SEVERITY[line.severity];
    if (line.action === "RAISE") {
      if (this.active.get(line.code) === severity) return null;
      this.active.set(line.code, severity);
      return { code: line.code, severity, action: "raise" };
    }
    const was = this.active.get(line.code);
    if (was === undefined) return null;
    this.active.delete(line.code);
    return { code: line.code, severity: was, action: "clear" };
  }

  identity(line: Extract<Enc1Line, { type: "ID" }>): void {
    this.model = line.model;
    this.firmware = line.firmware;
  }

  get modelKnown(): boolean {
    return this.model !== null;
  }

  snapshot(): Enc1DriverState {
    const state: Enc1State = this.linkOpen && !this.hbLost && this.reported !== null ? this.reported : "UNKNOWN";
    return {
      state,
      secure: state === "SECURE" && this.heartbeatsFresh,
      tunnel: this.tunnel,
      key: this.key,
      alarm: this.alarm,
      alarms: [...this.active.keys()].sort(),
      model: this.model,
      firmware: this.firmware,
      lastStatusSeq: this.lastStatusSeq,
      checksumErrors: this.checksumErrors,
      droppedLines: this.droppedLines,
    };
  }

  /**
   * The fields whose change is pushed at once. Counters and lastStatusSeq are left out so a flood
   * of bad lines or periodic status lines does not become a flood of state messages; poll() reads them.
   */
  static signature(s: Enc1DriverState): string {
    return JSON.stringify([s.state, s.secure, s.tunnel, s.key, s.alarm, s.alarms, s.model, s.firmware]);
  }

  private forgetPresent(): void {
    this.reported = null;
    this.tunnel = null;
    this.key = null;
  }
}
