/** The switch's state as published (one snapshot per poll or trap), and its alarm bookkeeping. */
import type { AdminStatus, Detection, OperStatus } from "./oids.js";
import type { LldpNeighbour } from "./codec.js";

export interface PortPoe {
  enabled: boolean | null;
  detection: Detection | null;
  class: number | null;
  powerW: number | null;
}

export interface PortState {
  ifIndex: number;
  protected: boolean;
  /** ifName (ifXTable), else ifDescr. */
  ifName: string | null;
  admin: AdminStatus | null;
  oper: OperStatus | null;
  /** ifHighSpeed, else ifSpeed / 1e6. */
  speedMbps: number | null;
  inErrorsPerSec: number | null;
  outErrorsPerSec: number | null;
  inDiscardsPerSec: number | null;
  outDiscardsPerSec: number | null;
  inBitsPerSec: number | null;
  outBitsPerSec: number | null;
  /** The octet rates came from the 64-bit ifHC* counters (false: 32-bit ifIn/OutOctets). */
  hcCounters: boolean | null;
  /** null: the port has no PoE row (or it could not be read). */
  poe: PortPoe | null;
  neighbour: LldpNeighbour | null;
}

export type SwitchState = {
  sysDescr: string | null;
  upTimeS: number | null;
  ports: Record<string, PortState>;
  /** pethMainPseTable of `poeGroup`: nominal power, consumption (W) and status. */
  pse: { powerW: number | null; consumptionW: number | null; status: "on" | "off" | "faulty" | null } | null;
  traps: { listening: boolean; received: number; dropped: number };
  /** Active alarm codes of this switch (`{port}-down`, `{port}-poe-fault`, `{port}-poe-denied`). */
  alarms: string[];
  /** Ports off for a power-cycle, or waiting to be switched back on (a cycle the agent did not finish). */
  cycling: string[];
  /** Values that came back with a type the MIB does not allow (ignored). */
  badValues: number;
};

export function emptyPort(ifIndex: number, isProtected: boolean): PortState {
  return {
    ifIndex,
    protected: isProtected,
    ifName: null,
    admin: null,
    oper: null,
    speedMbps: null,
    inErrorsPerSec: null,
    outErrorsPerSec: null,
    inDiscardsPerSec: null,
    outDiscardsPerSec: null,
    inBitsPerSec: null,
    outBitsPerSec: null,
    hcCounters: null,
    poe: null,
    neighbour: null,
  };
}

export function emptyState(ports: Record<string, PortState>): SwitchState {
  return { sysDescr: null, upTimeS: null, ports, pse: null, traps: { listening: false, received: 0, dropped: 0 }, alarms: [], cycling: [], badValues: 0 };
}

export type AlarmSeverity = "critical" | "major" | "minor" | "warning";
export interface AlarmChange {
  code: string;
  severity: AlarmSeverity;
  action: "raise" | "clear";
}

/** The switch's active alarm codes; `set` returns the change to announce, or null for none. */
export class AlarmSet {
  private readonly active = new Map<string, AlarmSeverity>();

  set(code: string, on: boolean, severity: AlarmSeverity = "major"): AlarmChange | null {
    if (on === this.active.has(code)) return null;
    if (on) this.active.set(code, severity);
    else this.active.delete(code);
    return { code, severity, action: on ? "raise" : "clear" };
  }

  list(): string[] {
    return [...this.active.keys()].sort();
  }
}
