/**
 * The simulated access switch's state, apart from SNMP: ports with their link, counters and PoE, the
 * powered device (PD) each PoE port feeds, and its LLDP neighbour. Time comes from the injected
 * clock: PoE detection takes `detectMs`, a PD links up `bootMs` after it gets power, counters grow
 * at their rate between reads (computed when read, so no timer runs for them).
 */
import { EventEmitter } from "node:events";
import type { Clock, TimerHandle } from "../../drivers/types.js";

/** RFC 3621 pethPsePortDetectionStatus. */
export const DET = { disabled: 1, searching: 2, deliveringPower: 3, fault: 4, test: 5, otherFault: 6 } as const;
export type PoeFault = "none" | "fault" | "overload" | "denied";

export interface SimPort {
  name: string;
  ifIndex: number;
  /** BRIDGE-MIB base port (LLDP's local port number). */
  basePort: number;
  /** pethPsePortTable row (group, port); null: no PoE on this port. */
  poeRow: { group: number; port: number } | null;
  admin: 1 | 2;
  /** The cable (and the far end's PHY) is there; `flap` takes it away for a while. */
  linked: boolean;
  speedMbps: number;
  poe: { enable: boolean; detection: number; fault: PoeFault; cls: number; deniedCount: number; overloadCount: number } | null;
  /** The PD on a PoE port is powered and has booted (its link is up). */
  pdUp: boolean;
  neighbour: { chassisMac: string; portId: string; sysName: string } | null;
  counters: { inErrors: number; outErrors: number; inDiscards: number; outDiscards: number; inOctets: bigint; outOctets: bigint };
  /** Rates the counters grow at (per second). */
  rates: { errors: number; discards: number; octets: number };
  countedAt: number;
}

export interface SwitchModelEvents {
  /** ifOperStatus changed (1 up, 2 down). */
  link: [port: SimPort, up: boolean];
  /** pethPsePortDetectionStatus changed. */
  poe: [port: SimPort];
  /** The port's PoE now powers (or no longer powers) its load. */
  power: [ifIndex: number, powered: boolean];
}

export interface ModelOptions {
  detectMs: number;
  bootMs: number;
  counterStart: number;
  trafficBps: number;
  pseWatts: number;
}

const U32 = 2 ** 32;

export class SwitchModel extends EventEmitter<SwitchModelEvents> {
  readonly ports: SimPort[];
  readonly startedAt: number;
  private readonly timers = new Set<TimerHandle>();

  constructor(
    ports: Omit<SimPort, "counters" | "rates" | "countedAt" | "pdUp" | "admin" | "linked" | "speedMbps">[],
    private readonly clock: Clock,
    private readonly o: ModelOptions,
  ) {
    super();
    this.startedAt = clock.now();
    const c = o.counterStart;
    this.ports = ports.map((p) => ({
      ...p,
      admin: 1,
      linked: true,
      speedMbps: 1000,
      pdUp: p.poe === null || p.poe.detection === DET.deliveringPower,
      counters: { inErrors: c, outErrors: c, inDiscards: c, outDiscards: c, inOctets: 0n, outOctets: 0n },
      rates: { errors: 0, discards: 0, octets: o.trafficBps / 8 },
      countedAt: clock.now(),
    }));
  }

  byIndex(ifIndex: number): SimPort | undefined {
    return this.ports.find((p) => p.ifIndex === ifIndex);
  }

  byName(name: string): SimPort | undefined {
    return this.ports.find((p) => p.name === name || String(p.ifIndex) === name);
  }

  byRow(group: number, port: number): SimPort | undefined {
    return this.ports.find((p) => p.poeRow?.group === group && p.poeRow.port === port);
  }

  /** sysUpTime in centiseconds. */
  upTime(): number {
    return Math.floor((this.clock.now() - this.startedAt) / 10) % U32;
  }

  oper(p: SimPort): 1 | 2 {
    return p.admin === 1 && p.linked && (p.poe === null || p.pdUp) ? 1 : 2;
  }

  /** Brings the counters up to now (32-bit ones wrap; octets are 64-bit). */
  count(p: SimPort): SimPort["counters"] {
    const now = this.clock.now();
    const s = (now - p.countedAt) / 1000;
    if (s > 0) {
      const up = this.oper(p) === 1;
      const add = (v: number, rate: number) => (v + Math.floor(rate * s)) % U32;
      p.counters.inErrors = add(p.counters.inErrors, p.rates.errors);
      p.counters.outErrors = add(p.counters.outErrors, p.rates.errors / 2);
      p.counters.inDiscards = add(p.counters.inDiscards, p.rates.discards);
      p.counters.outDiscards = add(p.counters.outDiscards, p.rates.discards);
      if (up) {
        p.counters.inOctets += BigInt(Math.floor(p.rates.octets * s));
        p.counters.outOctets += BigInt(Math.floor(p.rates.octets * s));
      }
      p.countedAt = now;
    }
    return p.counters;
  }

  /** Watts the PSE delivers now (class-based draw of each powered PD). */
  consumptionW(): number {
    const draw = [4, 4, 7, 15, 25];
    return this.ports.reduce((w, p) => w + (p.poe?.detection === DET.deliveringPower ? draw[p.poe.cls] ?? 4 : 0), 0);
  }

  setAdmin(p: SimPort, up: boolean): void {
    this.withLink(p, () => {
      p.admin = up ? 1 : 2;
    });
  }

  /** The cable out for `ms`, then back (a flap); `ms` 0: out until `cable on`. */
  flap(p: SimPort, ms: number): void {
    this.withLink(p, () => {
      p.linked = false;
    });
    if (ms > 0) this.after(ms, () => this.withLink(p, () => (p.linked = true)));
  }

  setCable(p: SimPort, on: boolean): void {
    this.withLink(p, () => {
      p.linked = on;
    });
  }

  /** pethPsePortAdminEnable / hwPoePortEnable / cpeExtPsePortEnable written. */
  setPoeEnable(p: SimPort, on: boolean): void {
    if (!p.poe || p.poe.enable === on) return;
    p.poe.enable = on;
    this.evaluatePoe(p);
  }

  setPoeFault(p: SimPort, fault: PoeFault): void {
    if (!p.poe) return;
    p.poe.fault = fault;
    if (fault === "denied") p.poe.deniedCount = (p.poe.deniedCount + 1) % U32;
    if (fault === "overload") p.poe.overloadCount = (p.poe.overloadCount + 1) % U32;
    this.evaluatePoe(p);
  }

  setErrorRate(p: SimPort, perSec: number): void {
    this.count(p);
    p.rates.errors = perSec;
  }

  /** Detection follows enable and faults: off at once, searching then delivering after detectMs. */
  private evaluatePoe(p: SimPort): void {
    const poe = p.poe!;
    if (!poe.enable) return this.setDetection(p, DET.disabled);
    if (poe.fault === "fault" || poe.fault === "overload") return this.setDetection(p, DET.fault);
    if (poe.fault === "denied") return this.setDetection(p, DET.searching);
    if (poe.detection === DET.deliveringPower) return;
    this.setDetection(p, DET.searching);
    this.after(this.o.detectMs, () => {
      if (poe.enable && poe.fault === "none" && poe.detection === DET.searching) this.setDetection(p, DET.deliveringPower);
    });
  }

  private setDetection(p: SimPort, det: number): void {
    const poe = p.poe!;
    if (poe.detection === det) return;
    const wasPowered = poe.detection === DET.deliveringPower;
    poe.detection = det;
    this.emit("poe", p);
    const powered = det === DET.deliveringPower;
    if (powered === wasPowered) return;
    this.emit("power", p.ifIndex, powered);
    if (!powered) {
      this.withLink(p, () => (p.pdUp = false));
      return;
    }
    // The PD boots, then its PHY links up.
    this.after(this.o.bootMs, () => {
      if (poe.detection === DET.deliveringPower) this.withLink(p, () => (p.pdUp = true));
    });
  }

  /** Runs `change` and announces a change of ifOperStatus. */
  private withLink(p: SimPort, change: () => void): void {
    const before = this.oper(p);
    this.count(p);
    change();
    const after = this.oper(p);
    if (after !== before) this.emit("link", p, after === 1);
  }

  private after(ms: number, fn: () => void): void {
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  close(): void {
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    this.removeAllListeners();
  }
}
