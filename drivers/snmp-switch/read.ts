/**
 * One read of the switch for the named ports: IF-MIB status and counters (rates from deltas; the
 * 64-bit ifHC* octet counters where the switch has them), PoE per the vendor variant, the main PSE,
 * and the LLDP neighbour of each port. Every value that is missing or of the wrong type is null in
 * the result (counted by the Decoder); nothing here throws but the link's coded errors.
 */
import type { Clock, Logger } from "../types.js";
import { Decoder, ifIndexFromOid, lldpNeighbours, ratePerSec, suffix, type CounterSample, type RawVarbind } from "./codec.js";
import type { SnmpLink } from "./link.js";
import { ADMIN_STATUS, BRIDGE, CISCO, ENTITY, IF, IFX, LLDP, OPER_STATUS, PETH, PSE_OPER, SYS, enumName } from "./oids.js";
import type { NamedPort, SnmpSwitchOptions } from "./options.js";
import type { PoeRef, PoeState, PoeVariant } from "./poe.js";
import { emptyPort, type PortState, type SwitchState } from "./state.js";

const COUNTERS32 = { inErrors: IF.inErrors, outErrors: IF.outErrors, inDiscards: IF.inDiscards, outDiscards: IF.outDiscards } as const;

export interface Reading {
  sysDescr: string | null;
  upTimeS: number | null;
  ports: Record<string, PortState>;
  pse: SwitchState["pse"];
  /** Per port: the PoE denied / overload counters grew since the last read. */
  poeGrowth: Record<string, { denied: boolean; overload: boolean; deniedNow: boolean }>;
}

export class SwitchReader {
  private readonly prev = new Map<string, CounterSample>();
  private readonly prevPoe = new Map<string, { denied: number | null; overload: number | null }>();
  /** LLDP local port number -> ifIndex (BRIDGE-MIB), learnt once; null until then. */
  private baseToIf: Map<number, number> | null = null;
  /** Cisco: ifIndex -> pethPsePortTable row, learnt once through ENTITY-MIB. */
  private ciscoRows: Map<number, PoeRef> | null = null;

  constructor(
    private link: SnmpLink,
    private readonly o: SnmpSwitchOptions,
    private readonly ports: readonly NamedPort[],
    private readonly variant: PoeVariant,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Where `port`'s PoE lives, or null when the switch has no row for it (Cisco mapping without it). */
  async poeRef(port: NamedPort): Promise<PoeRef | null> {
    if (port.poe) return port.poe;
    if (this.variant.name === "huawei") return { ifIndex: port.ifIndex };
    if (this.variant.name === "rfc3621") return { group: this.o.poeGroup, port: port.ifIndex };
    if (this.ciscoRows === null) this.ciscoRows = await this.learnCiscoRows();
    const ref = this.ciscoRows.get(port.ifIndex) ?? null;
    if (this.ciscoRows.size === 0) this.ciscoRows = null; // nothing learnt: ask again next time
    return ref;
  }

  /** The PoE state of one port now (for actions that wait on it). */
  async poe(port: NamedPort, d = new Decoder()): Promise<PoeState | null> {
    const ref = await this.poeRef(port);
    if (!ref) return null;
    const reads = this.variant.reads(ref);
    const keys = Object.keys(reads);
    const got = await this.link.get(keys.map((k) => reads[k]!));
    return this.decodePoe(keys, got, d);
  }

  async read(d: Decoder): Promise<Reading> {
    const oids: string[] = [SYS.descr, SYS.upTime];
    const refs = new Map<string, PoeRef | null>();
    const poeKeys = new Map<string, string[]>();
    for (const p of this.ports) {
      const i = p.ifIndex;
      oids.push(
        `${IF.adminStatus}.${i}`, `${IF.operStatus}.${i}`, `${IF.speed}.${i}`, `${IFX.highSpeed}.${i}`, `${IFX.name}.${i}`, `${IF.descr}.${i}`,
        `${IF.inErrors}.${i}`, `${IF.outErrors}.${i}`, `${IF.inDiscards}.${i}`, `${IF.outDiscards}.${i}`,
        `${IFX.hcInOctets}.${i}`, `${IFX.hcOutOctets}.${i}`, `${IF.inOctets}.${i}`, `${IF.outOctets}.${i}`,
      );
      const ref = await this.poeRef(p);
      refs.set(p.name, ref);
      if (ref) {
        const reads = this.variant.reads(ref);
        poeKeys.set(p.name, Object.keys(reads));
        oids.push(...Object.values(reads));
      }
    }
    const g = this.o.poeGroup;
    oids.push(`${PETH.mainPower}.${g}`, `${PETH.mainOperStatus}.${g}`, `${PETH.mainConsumption}.${g}`);
    const got = await this.link.get(oids);
    const at = this.clock.now();
    const byOid = new Map(got.map((vb) => [vb.oid, vb]));
    const v = (oid: string) => byOid.get(oid);
    const upTime = d.unsigned(v(SYS.upTime), 67);
    const neighbours = await this.neighbours(d);
    const ports: Record<string, PortState> = {};
    const poeGrowth: Reading["poeGrowth"] = {};
    for (const p of this.ports) {
      const i = p.ifIndex;
      const s = emptyPort(i, p.protected);
      s.admin = enumName(ADMIN_STATUS, d.int(v(`${IF.adminStatus}.${i}`)));
      s.oper = enumName(OPER_STATUS, d.int(v(`${IF.operStatus}.${i}`)));
      const high = d.unsigned(v(`${IFX.highSpeed}.${i}`), 66);
      const speed = d.unsigned(v(`${IF.speed}.${i}`), 66);
      s.speedMbps = high ?? (speed === null ? null : speed / 1e6);
      s.ifName = d.text(v(`${IFX.name}.${i}`)) ?? d.text(v(`${IF.descr}.${i}`));
      const rate = (key: string, value: bigint | null, bits: 32 | 64): number | null => {
        if (value === null) {
          this.prev.delete(`${p.name}.${key}`);
          return null;
        }
        const cur: CounterSample = { at, upTime, value, bits };
        const r = ratePerSec(this.prev.get(`${p.name}.${key}`), cur);
        this.prev.set(`${p.name}.${key}`, cur);
        return r;
      };
      const c32 = (oid: string) => {
        const n = d.unsigned(v(`${oid}.${i}`), 65);
        return n === null ? null : BigInt(n);
      };
      s.inErrorsPerSec = rate("inErrors", c32(COUNTERS32.inErrors), 32);
      s.outErrorsPerSec = rate("outErrors", c32(COUNTERS32.outErrors), 32);
      s.inDiscardsPerSec = rate("inDiscards", c32(COUNTERS32.inDiscards), 32);
      s.outDiscardsPerSec = rate("outDiscards", c32(COUNTERS32.outDiscards), 32);
      const hcIn = d.counter64(v(`${IFX.hcInOctets}.${i}`));
      const hcOut = d.counter64(v(`${IFX.hcOutOctets}.${i}`));
      const hc = hcIn !== null && hcOut !== null;
      s.hcCounters = hc || (c32(IF.inOctets) !== null ? false : null);
      const bytesIn = rate("inOctets", hc ? hcIn : c32(IF.inOctets), hc ? 64 : 32);
      const bytesOut = rate("outOctets", hc ? hcOut : c32(IF.outOctets), hc ? 64 : 32);
      s.inBitsPerSec = bytesIn === null ? null : bytesIn * 8;
      s.outBitsPerSec = bytesOut === null ? null : bytesOut * 8;
      const keys = poeKeys.get(p.name);
      if (keys) {
        const ref = refs.get(p.name)!;
        const reads = this.variant.reads(ref);
        const poe = this.decodePoe(keys, keys.map((k) => v(reads[k]!) ?? { oid: reads[k]! }), d);
        if (poe) {
          s.poe = { enabled: poe.enabled, detection: poe.detection, class: poe.class, powerW: poe.powerW };
          const before = this.prevPoe.get(p.name);
          const grew = (a: number | null | undefined, b: number | null) => a !== null && a !== undefined && b !== null && b !== a;
          poeGrowth[p.name] = { denied: grew(before?.denied, poe.deniedCount), overload: grew(before?.overload, poe.overloadCount), deniedNow: poe.denied };
          this.prevPoe.set(p.name, { denied: poe.deniedCount, overload: poe.overloadCount });
        }
      }
      s.neighbour = neighbours.get(i) ?? null;
      ports[p.name] = s;
    }
    const power = d.unsigned(v(`${PETH.mainPower}.${g}`), 66);
    const cons = d.unsigned(v(`${PETH.mainConsumption}.${g}`), 66);
    const status = enumName(PSE_OPER, d.int(v(`${PETH.mainOperStatus}.${g}`)));
    const pse = power === null && cons === null && status === null ? null : { powerW: power, consumptionW: cons, status };
    return { sysDescr: d.text(v(SYS.descr)), upTimeS: upTime === null ? null : Math.floor(upTime / 100), ports, pse, poeGrowth };
  }

  private decodePoe(keys: readonly string[], got: readonly RawVarbind[], d: Decoder): PoeState | null {
    const values: Record<string, RawVarbind | undefined> = {};
    keys.forEach((k, n) => (values[k] = got[n]));
    const poe = this.variant.decode(values, d);
    // A port without any PoE object (noSuchInstance everywhere) has no PoE.
    return poe.enabled === null && poe.detection === null ? null : poe;
  }

  /** ifIndex -> LLDP neighbour, mapping the local port number as `lldpLocalPort` says. */
  private async neighbours(d: Decoder): Promise<Map<number, NonNullable<PortState["neighbour"]>>> {
    const rows = await this.link.walk(LLDP.remTable);
    const byLocal = lldpNeighbours(rows, { chassisSubtype: LLDP.remChassisIdSubtype, chassis: LLDP.remChassisId, portSubtype: LLDP.remPortIdSubtype, port: LLDP.remPortId, sysName: LLDP.remSysName }, d);
    if (this.o.lldpLocalPort === "ifIndex" || byLocal.size === 0) return byLocal;
    if (this.baseToIf === null || [...byLocal.keys()].some((k) => !this.baseToIf!.has(k))) this.baseToIf = await this.learnBridgePorts(d);
    const out = new Map<number, NonNullable<PortState["neighbour"]>>();
    for (const [local, n] of byLocal) out.set(this.baseToIf.size === 0 ? local : (this.baseToIf.get(local) ?? -1), n);
    return out;
  }

  private async learnBridgePorts(d: Decoder): Promise<Map<number, number>> {
    const map = new Map<number, number>();
    for (const vb of await this.link.walk(BRIDGE.basePortIfIndex)) {
      const base = Number(suffix(vb.oid, BRIDGE.basePortIfIndex));
      const i = d.int(vb);
      if (Number.isInteger(base) && i !== null && i > 0) map.set(base, i);
    }
    if (map.size === 0) this.log.info("no BRIDGE-MIB dot1dBasePortIfIndex: LLDP local ports taken as ifIndex");
    return map;
  }

  /** Cisco: cpeExtPsePortEntPhyIndex.<g>.<p> = entPhysicalIndex, entAliasMappingIdentifier.<phy>.0 = ifIndex.<n>. */
  private async learnCiscoRows(): Promise<Map<number, PoeRef>> {
    const d = new Decoder();
    const phyToIf = new Map<number, number>();
    for (const vb of await this.link.walk(ENTITY.aliasMappingIdentifier)) {
      const parts = suffix(vb.oid, ENTITY.aliasMappingIdentifier)?.split(".").map(Number);
      const ifIndex = ifIndexFromOid(d.oid(vb));
      if (parts?.length === 2 && Number.isInteger(parts[0]) && ifIndex !== null) phyToIf.set(parts[0]!, ifIndex);
    }
    const rows = new Map<number, PoeRef>();
    for (const vb of await this.link.walk(CISCO.entPhyIndex)) {
      const parts = suffix(vb.oid, CISCO.entPhyIndex)?.split(".").map(Number);
      const phy = d.int(vb);
      const ifIndex = phy === null ? undefined : phyToIf.get(phy);
      if (parts?.length === 2 && parts.every((x) => Number.isInteger(x) && x > 0) && ifIndex !== undefined) rows.set(ifIndex, { group: parts[0]!, port: parts[1]! });
    }
    this.log.info({ rows: rows.size }, "Cisco PoE rows mapped to ifIndex through ENTITY-MIB");
    return rows;
  }

  /** Reads through a new session from now on (after a reconnect). */
  relink(link: SnmpLink): void {
    this.link = link;
  }

  /** Forget what was learnt (after the switch restarted: its tables may have changed). */
  forget(): void {
    this.baseToIf = null;
    this.ciscoRows = null;
  }
}
