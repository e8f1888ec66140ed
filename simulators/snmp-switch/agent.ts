/**
 * The simulated switch on the wire: net-snmp's own agent (`snmp.createAgent`) with table providers
 * for IF-MIB ifTable/ifXTable, BRIDGE-MIB's base ports, LLDP-MIB lldpRemTable, the system group and
 * the PoE tables of one vendor variant (RFC 3621; Huawei's hwPoePortTable; Cisco's
 * cpeExtPsePortTable with ENTITY-MIB's physical and alias tables). Values are computed from the
 * model when read (providers' handlers), and a SET of a PoE enable goes to the model. Faults sit
 * on the agent's send path: drop (silent, unplugged), delay (slow), truncate (garbage).
 */
import dgram, { type Socket } from "node:dgram";
import snmp from "net-snmp";
import { CISCO, HUAWEI, IF, IFX, LLDP, PETH } from "../../drivers/snmp-switch/oids.js";
import type { Clock, Logger } from "../../drivers/types.js";
import type { CommonFaults } from "../types.js";
import { DET, type SimPort, type SwitchModel } from "./model.js";

export type Variant = "rfc3621" | "huawei" | "cisco";

export interface SimUser {
  name: string;
  authProtocol: "sha" | "sha224" | "sha256" | "sha384" | "sha512";
  authKey: string;
  privProtocol: "aes" | "aes256b" | "aes256r";
  privKey: string;
}

export interface AgentSpec {
  host: string;
  port: number;
  variant: Variant;
  communities: string[];
  users: SimUser[];
  hcCounters: boolean;
  sysDescr: string;
  pseWatts: number;
  engineID: string;
}

const OT = snmp.ObjectType as unknown as Record<string, number>;
const MA = snmp.MaxAccess as unknown as Record<string, number>;
const RO = MA["read-only"]!;
const RW = MA["read-write"]!;
const NA = MA["not-accessible"]!;
const INT = OT.Integer!;
const STR = OT.OctetString!;
const C32 = OT.Counter32!;
const C64 = OT.Counter64!;
const GAUGE = OT.Gauge32!;
const TICKS = OT.TimeTicks!;
const OID = OT.OID!;

type Column = { number: number; name: string; type: number; maxAccess: number };
type Req = { operation: number; oid: string; instanceNode: { value: unknown }; setValue?: unknown; done(e?: { errorStatus: number }): void };

const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, n));
  return b;
};
/** A socket whose bind() takes `port` whatever port it is handed. */
function bindExactly(socket: Socket, port: number): Socket {
  const bind = socket.bind.bind(socket) as (port: number, address?: string) => Socket;
  (socket as unknown as { bind: (p: number, a?: string) => Socket }).bind = (_p, address) => bind(port, address);
  return socket;
}

const mac = (text: string) => Buffer.from(text.split(":").map((h) => parseInt(h, 16)));

export class SwitchAgent {
  private agent: { close(cb?: () => void): void; getAuthorizer(): Authorizer; listener: { sockets: Record<string, Socket>; send: (m: unknown, rinfo: unknown, s: Socket) => void } };
  private readonly mib: Mib;
  private readonly lldpRows = new Map<number, number[]>();
  boundPort = 0;

  constructor(
    private readonly spec: AgentSpec,
    private readonly model: SwitchModel,
    private readonly faults: CommonFaults & { unplugged: boolean },
    private readonly clock: Clock,
    private readonly logger: Logger | undefined,
    private readonly errors: Error[],
  ) {
    this.mib = snmp.createMib() as Mib;
    this.register();
    this.agent = snmp.createAgent(
      {
        port: spec.port,
        address: spec.host,
        transport: "udp4",
        engineID: spec.engineID,
        accessControlModelType: (snmp.AccessControlModelType as unknown as Record<string, number>).None,
        // net-snmp turns port 0 into 161 (`port || 161`); bind what was asked, 0 included.
        dgramModule: { createSocket: (type: "udp4") => bindExactly(dgram.createSocket(type), spec.port) },
      },
      (err: Error | null) => {
        // Requests with a community or user it does not know, and undecodable datagrams: a real switch drops them too.
        if (err && this.errors.length < 50) this.errors.push(err);
      },
      this.mib,
    );
    const auth = this.agent.getAuthorizer();
    for (const c of spec.communities) auth.addCommunity(c);
    for (const u of spec.users) auth.addUser(this.usmUser(u));
    this.hookSend();
  }

  /** Resolves once the socket is bound (the port, for a spec port of 0). */
  async listening(): Promise<number> {
    const socket = Object.values(this.agent.listener.sockets)[0]!;
    await new Promise<void>((resolve, reject) => {
      socket.once("listening", () => resolve());
      socket.once("error", reject);
    });
    this.boundPort = socket.address().port;
    return this.boundPort;
  }

  /** Replaces the credentials the switch accepts (the `credentials wrong` fault sets others). */
  setCredentials(communities: string[], users: SimUser[]): void {
    const auth = this.agent.getAuthorizer();
    for (const c of [...auth.getCommunities()]) auth.deleteCommunity(c);
    for (const u of [...auth.getUsers()]) auth.deleteUser(u.name);
    for (const c of communities) auth.addCommunity(c);
    for (const u of users) auth.addUser(this.usmUser(u));
  }

  /** LLDP rows follow the PD: its neighbour entry is there while its link is up. */
  syncLldp(p: SimPort): void {
    const present = this.lldpRows.has(p.basePort);
    const want = p.neighbour !== null && this.model.oper(p) === 1;
    if (want && !present) {
      const n = p.neighbour!;
      const row = [0, p.basePort, 1];
      this.mib.addTableRow("lldpRemTable", [...row, 4, mac(n.chassisMac), 5, n.portId, n.portId, n.sysName]);
      this.lldpRows.set(p.basePort, row);
    } else if (!want && present) {
      this.mib.deleteTableRow("lldpRemTable", this.lldpRows.get(p.basePort)!);
      this.lldpRows.delete(p.basePort);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.agent.close(() => resolve());
      } catch (err) {
        this.logger?.debug({ err: (err as Error).message }, "snmp agent close");
        resolve();
      }
    });
  }

  private usmUser(u: SimUser): Record<string, unknown> {
    return {
      name: u.name,
      level: snmp.SecurityLevel.authPriv,
      authProtocol: (snmp.AuthProtocols as unknown as Record<string, string>)[u.authProtocol],
      authKey: u.authKey,
      privProtocol: (snmp.PrivProtocols as unknown as Record<string, string>)[u.privProtocol],
      privKey: u.privKey,
    };
  }

  /** Faults on the way out: nothing (silent, unplugged), later (slow), or cut short (garbage). */
  private hookSend(): void {
    const listener = this.agent.listener;
    const send = listener.send.bind(listener);
    listener.send = (message, rinfo, socket) => {
      if (this.faults.unplugged || this.faults.silent) return;
      const go = () => {
        if (this.faults.unplugged) return;
        if (!this.faults.garbage) return send(message, rinfo, socket);
        const buf = (message as { toBuffer(): Buffer }).toBuffer();
        const r = rinfo as { port: number; address: string };
        // A PDU cut short: the BER lengths promise more than arrives.
        socket.send(buf.subarray(0, Math.max(2, buf.length - 9)), r.port, r.address);
      };
      if (this.faults.slowMs > 0) this.clock.setTimeout(go, this.faults.slowMs);
      else go();
    };
  }

  // ---------------------------------------------------------------- MIB

  private table(name: string, oid: string, columns: Column[], index: { columnName: string; foreign?: string }[]): void {
    this.mib.registerProvider({ name, type: snmp.MibProviderType.Table, oid, maxAccess: NA, tableColumns: columns, tableIndex: index, handler: (req: Req) => this.handle(name, oid, req) });
  }

  private register(): void {
    const m = this.model;
    const s = this.spec;
    for (const [name, oid, type] of [["sysDescr", "1.3.6.1.2.1.1.1", STR], ["sysUpTime", "1.3.6.1.2.1.1.3", TICKS]] as const) {
      this.mib.registerProvider({ name, type: snmp.MibProviderType.Scalar, oid, scalarType: type, maxAccess: RO, handler: (req: Req) => this.handle(name, oid, req) });
    }
    this.mib.setScalarValue("sysDescr", s.sysDescr);
    this.mib.setScalarValue("sysUpTime", 0);
    const col = (number: number, name: string, type: number, maxAccess = RO): Column => ({ number, name, type, maxAccess });
    this.table("ifTable", IF.table, [
      col(1, "ifIndex", INT), col(2, "ifDescr", STR), col(3, "ifType", INT), col(5, "ifSpeed", GAUGE), col(7, "ifAdminStatus", INT, RW), col(8, "ifOperStatus", INT),
      col(10, "ifInOctets", C32), col(13, "ifInDiscards", C32), col(14, "ifInErrors", C32), col(16, "ifOutOctets", C32), col(19, "ifOutDiscards", C32), col(20, "ifOutErrors", C32),
    ], [{ columnName: "ifIndex" }]);
    const xcols = [col(1, "ifName", STR), ...(s.hcCounters ? [col(6, "ifHCInOctets", C64), col(10, "ifHCOutOctets", C64)] : []), col(15, "ifHighSpeed", GAUGE), col(18, "ifAlias", STR)];
    this.table("ifXTable", IFX.table, xcols, [{ columnName: "ifIndex", foreign: "ifTable" }]);
    this.table("dot1dBasePortTable", "1.3.6.1.2.1.17.1.4.1", [col(1, "dot1dBasePort", INT), col(2, "dot1dBasePortIfIndex", INT)], [{ columnName: "dot1dBasePort" }]);
    this.table("lldpRemTable", LLDP.remTable, [
      col(1, "lldpRemTimeMark", INT, NA), col(2, "lldpRemLocalPortNum", INT, NA), col(3, "lldpRemIndex", INT, NA),
      col(4, "lldpRemChassisIdSubtype", INT), col(5, "lldpRemChassisId", STR), col(6, "lldpRemPortIdSubtype", INT), col(7, "lldpRemPortId", STR), col(8, "lldpRemPortDesc", STR), col(9, "lldpRemSysName", STR),
    ], [{ columnName: "lldpRemTimeMark" }, { columnName: "lldpRemLocalPortNum" }, { columnName: "lldpRemIndex" }]);
    this.table("pethMainPseTable", PETH.mainTable, [col(1, "pethMainPseGroupIndex", INT, NA), col(2, "pethMainPsePower", GAUGE), col(3, "pethMainPseOperStatus", INT), col(4, "pethMainPseConsumptionPower", GAUGE)], [{ columnName: "pethMainPseGroupIndex" }]);
    for (const p of m.ports) {
      this.mib.addTableRow("ifTable", [p.ifIndex, p.name, 6, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
      this.mib.addTableRow("ifXTable", [p.ifIndex, p.name, ...(s.hcCounters ? [u64(0n), u64(0n)] : []), 0, ""]);
      this.mib.addTableRow("dot1dBasePortTable", [p.basePort, p.ifIndex]);
    }
    this.mib.addTableRow("pethMainPseTable", [1, s.pseWatts, 1, 0]);
    if (s.variant === "huawei") {
      this.table("hwPoePortTable", HUAWEI.portTable, [
        col(1, "hwPoePortIndex", INT, NA), col(2, "hwPoePortName", STR), col(3, "hwPoePortEnable", INT, RW), col(6, "hwPoePortPowerOnStatus", STR), col(7, "hwPoePortPowerStatus", STR), col(8, "hwPoePortPdClass", INT), col(10, "hwPoePortConsumingPower", INT),
      ], [{ columnName: "hwPoePortIndex" }]);
      for (const p of m.ports) if (p.poe) this.mib.addTableRow("hwPoePortTable", [p.ifIndex, p.name, 1, "off", "Detecting", 0, 0]);
    } else {
      this.table("pethPsePortTable", PETH.portTable, [
        col(1, "pethPsePortGroupIndex", INT, NA), col(2, "pethPsePortIndex", INT, NA), col(3, "pethPsePortAdminEnable", INT, RW), col(6, "pethPsePortDetectionStatus", INT), col(7, "pethPsePortPowerPriority", INT, RW),
        col(10, "pethPsePortPowerClassifications", INT), col(12, "pethPsePortPowerDeniedCounter", C32), col(13, "pethPsePortOverLoadCounter", C32),
      ], [{ columnName: "pethPsePortGroupIndex" }, { columnName: "pethPsePortIndex" }]);
      for (const p of m.ports) if (p.poeRow) this.mib.addTableRow("pethPsePortTable", [p.poeRow.group, p.poeRow.port, 1, 2, 3, 1, 0, 0]);
    }
    if (s.variant === "cisco") {
      this.table("cpeExtPsePortTable", CISCO.portTable, [col(1, "cpeExtPsePortEnable", INT, RW), col(9, "cpeExtPsePortPwrConsumption", GAUGE), col(11, "cpeExtPsePortEntPhyIndex", INT)], [
        { columnName: "pethPsePortGroupIndex", foreign: "pethPsePortTable" },
        { columnName: "pethPsePortIndex", foreign: "pethPsePortTable" },
      ]);
      this.table("entPhysicalTable", "1.3.6.1.2.1.47.1.1.1", [col(1, "entPhysicalIndex", INT, NA), col(2, "entPhysicalDescr", STR)], [{ columnName: "entPhysicalIndex" }]);
      this.table("entAliasMappingTable", "1.3.6.1.2.1.47.1.3.2.1", [col(1, "entAliasLogicalIndexOrZero", INT, NA), col(2, "entAliasMappingIdentifier", OID)], [
        { columnName: "entPhysicalIndex", foreign: "entPhysicalTable" },
        { columnName: "entAliasLogicalIndexOrZero" },
      ]);
      for (const p of m.ports) {
        const phy = 1000 + p.ifIndex;
        this.mib.addTableRow("entPhysicalTable", [phy, `port ${p.name}`]);
        this.mib.addTableRow("entAliasMappingTable", [phy, 0, `${IF.index}.${p.ifIndex}`]);
        if (p.poeRow) this.mib.addTableRow("cpeExtPsePortTable", [p.poeRow.group, p.poeRow.port, 1, 0, phy]);
      }
    }
    for (const p of m.ports) this.syncLldp(p);
  }

  /** Fresh values on read; a SET of a PoE or admin column goes to the model. */
  private handle(name: string, base: string, req: Req): void {
    try {
      if (req.operation === snmp.PduType.SetRequest) {
        const err = this.apply(name, req.oid.slice(base.length + 1).split(".").map(Number), req.setValue);
        return req.done(err === undefined ? undefined : { errorStatus: err });
      }
      const fresh = this.value(name, req.oid.slice(base.length + 1).split(".").map(Number));
      if (fresh !== undefined) req.instanceNode.value = fresh;
      req.done();
    } catch (err) {
      if (this.errors.length < 50) this.errors.push(err as Error);
      req.done({ errorStatus: snmp.ErrorStatus.GeneralError });
    }
  }

  private apply(table: string, sub: number[], v: unknown): number | undefined {
    const [c, ...idx] = sub;
    const WRONG = snmp.ErrorStatus.WrongValue as number;
    const port =
      table === "ifTable" || table === "hwPoePortTable" ? this.model.byIndex(idx[0]!) : table === "pethPsePortTable" || table === "cpeExtPsePortTable" ? this.model.byRow(idx[0]!, idx[1]!) : undefined;
    if (!port) return snmp.ErrorStatus.NoCreation as number;
    if (table === "ifTable" && c === 7) {
      if (v !== 1 && v !== 2) return WRONG;
      this.model.setAdmin(port, v === 1);
    } else if ((table === "pethPsePortTable" && c === 3) || (table === "hwPoePortTable" && c === 3)) {
      if (v !== 1 && v !== 2) return WRONG;
      this.model.setPoeEnable(port, v === 1);
    } else if (table === "cpeExtPsePortTable" && c === 1) {
      if (typeof v !== "number" || v < 1 || v > 4) return WRONG;
      this.model.setPoeEnable(port, v !== 4);
    }
    return undefined;
  }

  private value(table: string, sub: number[]): unknown {
    const m = this.model;
    const [c, ...idx] = sub;
    if (table === "sysUpTime") return m.upTime();
    if (table === "ifTable" || table === "ifXTable") {
      const p = m.byIndex(idx[0]!);
      if (!p) return undefined;
      const k = m.count(p);
      const c32 = (n: bigint) => Number(n % 2n ** 32n);
      if (table === "ifTable") {
        return ({ 5: Math.min(p.speedMbps * 1e6, 2 ** 32 - 1), 7: p.admin, 8: m.oper(p), 10: c32(k.inOctets), 13: k.inDiscards, 14: k.inErrors, 16: c32(k.outOctets), 19: k.outDiscards, 20: k.outErrors } as Record<number, unknown>)[c!];
      }
      return ({ 6: u64(k.inOctets), 10: u64(k.outOctets), 15: p.speedMbps } as Record<number, unknown>)[c!];
    }
    if (table === "pethPsePortTable" || table === "cpeExtPsePortTable") {
      const poe = m.byRow(idx[0]!, idx[1]!)?.poe;
      if (!poe) return undefined;
      if (table === "cpeExtPsePortTable") return ({ 1: poe.enable ? 1 : 4, 9: poe.detection === DET.deliveringPower ? [4000, 4000, 7000, 15400, 25500][poe.cls] : 0 } as Record<number, unknown>)[c!];
      return ({ 3: poe.enable ? 1 : 2, 6: poe.detection, 10: poe.cls + 1, 12: poe.deniedCount, 13: poe.overloadCount } as Record<number, unknown>)[c!];
    }
    if (table === "hwPoePortTable") {
      const p = m.byIndex(idx[0]!);
      const poe = p?.poe;
      if (!poe) return undefined;
      const on = poe.detection === DET.deliveringPower;
      const status = poe.fault === "denied" ? "Power-deny" : poe.fault !== "none" ? "Fault" : on ? "Powered" : poe.enable ? "Detecting" : "Disabled";
      return ({ 3: poe.enable ? 1 : 2, 6: on ? "on" : "off", 7: status, 8: poe.cls, 10: on ? [4000, 4000, 7000, 15400, 25500][poe.cls] : 0 } as Record<number, unknown>)[c!];
    }
    if (table === "pethMainPseTable") return ({ 4: m.consumptionW() } as Record<number, unknown>)[c!];
    return undefined;
  }
}

interface Authorizer {
  addCommunity(c: string): void;
  deleteCommunity(c: string): void;
  getCommunities(): string[];
  addUser(u: Record<string, unknown>): void;
  deleteUser(name: string): void;
  getUsers(): { name: string }[];
}

interface Mib {
  registerProvider(p: Record<string, unknown>): void;
  setScalarValue(name: string, v: unknown): void;
  addTableRow(name: string, row: unknown[]): void;
  deleteTableRow(name: string, index: unknown[]): void;
}


