/**
 * The access-switch simulator: an SNMP agent (net-snmp's own) on loopback serving IF-MIB, BRIDGE-MIB,
 * LLDP-MIB and the PoE tables of one vendor variant, sending linkDown/linkUp and PoE on/off traps to
 * a target (the agent's trap port). Each PoE port feeds a simulated powered device: cutting its power
 * takes the link down (and, under `roomgate sim`, makes the device it feeds go dark: simulators/site.ts).
 *
 * Controls: flap, cable, admin, poe (fault/overload/denied/ok/off/on), errors, traps on|off,
 * credentials wrong|right, ports; plus the common silent/slow/garbage/unplug.
 */
import { readFileSync } from "node:fs";
import snmp from "net-snmp";
import { z } from "zod";
import { systemClock } from "../../drivers/clock.js";
import { IF, PETH, TRAP } from "../../drivers/snmp-switch/oids.js";
import type { SimHandle, SimRuntime, StartFromSite } from "../types.js";
import { SwitchAgent, type SimUser } from "./agent.js";
import { DET, SwitchModel, type PoeFault, type SimPort } from "./model.js";
import { parseSpec } from "../spec.js";

const userSchema = z.strictObject({
  name: z.string().min(1),
  authProtocol: z.enum(["sha", "sha224", "sha256", "sha384", "sha512"]).default("sha"),
  authKey: z.string().min(8),
  privProtocol: z.enum(["aes", "aes256b", "aes256r"]).default("aes"),
  privKey: z.string().min(8),
});

const portSchema = z.strictObject({
  ifIndex: z.number().int().min(1),
  poe: z.boolean().default(true).describe("The port has PoE and feeds a powered device."),
  neighbour: z.string().min(1).optional().describe("LLDP system name of the device on the port (none: no LLDP neighbour)."),
  poeClass: z.number().int().min(0).max(4).default(3),
});

export const snmpSwitchSimSpecSchema = z.strictObject({
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(0).describe("UDP port of the agent (0: any free)."),
  variant: z.enum(["rfc3621", "huawei", "cisco"]).default("rfc3621"),
  communities: z.array(z.string().min(1)).default([]).describe("v2c communities the switch accepts."),
  communityFile: z.string().optional().describe("A file whose first line is one more accepted community."),
  users: z.array(userSchema).default([]).describe("SNMPv3 users (authPriv)."),
  ports: z.record(z.string(), portSchema).optional().describe("Named ports; default 24 ports, 1..23 PoE, 24 the uplink."),
  trapTarget: z.strictObject({ host: z.string().default("127.0.0.1"), port: z.number().int().min(1).max(65535) }).optional().describe("Where traps go (the agent's trapPort)."),
  trapCommunity: z.string().optional().describe("Community the traps carry (default: the first accepted one)."),
  hcCounters: z.boolean().default(true).describe("Serve the 64-bit ifHC*Octets counters."),
  counterStart: z.number().int().min(0).max(2 ** 32 - 1).default(0).describe("Initial value of the 32-bit error/discard counters (near 2^32 to see a wrap)."),
  trafficBps: z.number().min(0).default(8_000_000),
  detectMs: z.number().int().min(0).default(300).describe("PoE detection/classification time before deliveringPower."),
  bootMs: z.number().int().min(0).default(200).describe("Time a powered device takes to link up once powered."),
  pseWatts: z.number().int().min(1).default(370),
  engineID: z.string().regex(/^[0-9a-fA-F]{10,64}$/).default("8000b98303525f6d0a7c01"),
});

export type SnmpSwitchSimSpec = z.input<typeof snmpSwitchSimSpecSchema> & SimRuntime;

export interface SnmpSwitchSimHandle extends SimHandle {
  readonly port: number;
  readonly model: SwitchModel;
  readonly faults: SimHandle["faults"] & { unplugged: boolean; traps: boolean; wrongCredentials: boolean };
  /** Traps sent (and those the `traps off` fault swallowed). */
  readonly trapsSent: { sent: number; lost: number };
  /** Calls `fn(ifIndex, powered)` whenever a PoE port starts or stops powering its load. */
  onPortPower(fn: (ifIndex: number, powered: boolean) => void): () => void;
  /** Sends a v2c trap (for tests: a stranger's or one with the wrong community goes through `from`). */
  sendTrap(oid: string, varbinds: { oid: string; type: number; value: unknown }[], via?: { community?: string; sourceAddress?: string }): Promise<void>;
  control(verb: string, args: readonly string[]): string | undefined;
  readonly controlHelp: string;
}

export const CONTROL_HELP = [
  "  flap DEV PORT [MS]            link down for MS (default 1000), then up: linkDown/linkUp traps",
  "  cable DEV PORT on|off         the port's cable in or out",
  "  admin DEV PORT up|down        ifAdminStatus",
  "  poe DEV PORT on|off|fault|overload|denied|ok   PoE enable, or a fault (overload and denied count in the RFC 3621 counters)",
  "  errors DEV PORT N             the port's in-errors grow N per second (0: stop)",
  "  traps DEV on|off              send traps, or lose them (polling must notice)",
  "  credentials DEV wrong|right   the switch's community and v3 user differ from the agent's",
  "  ports DEV                     ports, link and PoE",
].join("\n");

function defaultPorts(variant: string): Record<string, z.input<typeof portSchema>> {
  const base = variant === "cisco" ? 10100 : 0;
  const out: Record<string, z.input<typeof portSchema>> = {};
  for (let n = 1; n <= 24; n++) out[`port${n}`] = { ifIndex: base + n, poe: n < 24, ...(n < 24 ? { neighbour: `pd-${n}` } : { neighbour: "core-sw" }) };
  return out;
}

export async function startSnmpSwitchSimulator(spec: SnmpSwitchSimSpec = {}): Promise<SnmpSwitchSimHandle> {
  const { clock = systemClock, logger, ...data } = spec;
  const s = parseSpec(snmpSwitchSimSpecSchema, data, "SNMP switch simulator spec", Error);
  const communities = [...s.communities];
  if (s.communityFile !== undefined) communities.push(readFileSync(s.communityFile, "utf8").split(/\r?\n/)[0]!);
  const users: SimUser[] = s.users;
  const ports = Object.entries(s.ports ?? defaultPorts(s.variant)).map(([name, p], i) => ({
    name,
    ifIndex: p.ifIndex,
    basePort: i + 1,
    // RFC 3621 on HP/Aruba: port index = ifIndex; Cisco: the port's position in module 1 (its ifIndex comes through ENTITY-MIB).
    poeRow: p.poe === false ? null : s.variant === "cisco" ? { group: 1, port: i + 1 } : { group: 1, port: p.ifIndex },
    poe: p.poe === false ? null : { enable: true, detection: DET.deliveringPower, fault: "none" as PoeFault, cls: p.poeClass ?? 3, deniedCount: 0, overloadCount: 0 },
    neighbour: p.neighbour === undefined ? null : { chassisMac: `02:00:00:00:${((i + 1) >> 8).toString(16).padStart(2, "0")}:${((i + 1) & 255).toString(16).padStart(2, "0")}`, portId: `eth0`, sysName: p.neighbour },
  }));
  const model = new SwitchModel(ports, clock, { detectMs: s.detectMs, bootMs: s.bootMs, counterStart: s.counterStart, trafficBps: s.trafficBps, pseWatts: s.pseWatts });
  const errors: Error[] = [];
  const faults = { silent: false, garbage: false, slowMs: 0, unplugged: false, traps: true, wrongCredentials: false };
  const agent = new SwitchAgent(
    { host: s.host, port: s.port, variant: s.variant, communities, users, hcCounters: s.hcCounters, sysDescr: `roomgate simulated access switch (${s.variant})`, pseWatts: s.pseWatts, engineID: s.engineID },
    model,
    faults,
    clock,
    logger,
    errors,
  );
  const boundPort = await agent.listening();
  const trapsSent = { sent: 0, lost: 0 };
  const trapCommunity = s.trapCommunity ?? communities[0];

  const sendTrap: SnmpSwitchSimHandle["sendTrap"] = (oid, varbinds, via = {}) =>
    new Promise((resolve, reject) => {
      if (!s.trapTarget) return reject(new Error("no trapTarget"));
      const community = via.community ?? trapCommunity;
      if (community === undefined) return reject(new Error("no trap community"));
      const session = snmp.createSession(s.trapTarget.host, community, { version: snmp.Version2c, trapPort: s.trapTarget.port, ...(via.sourceAddress ? { sourceAddress: via.sourceAddress } : {}) } as snmp.SessionOptions);
      session.on("error", (err: Error) => errors.length < 50 && errors.push(err));
      session.trap(oid, varbinds as snmp.Varbind[], (err: Error | null) => {
        session.close();
        if (err) reject(err);
        else resolve();
      });
    });

  const notify = (oid: string, varbinds: { oid: string; type: number; value: unknown }[]) => {
    if (!s.trapTarget || faults.unplugged) return;
    if (!faults.traps) {
      trapsSent.lost++;
      return;
    }
    trapsSent.sent++;
    sendTrap(oid, varbinds).catch((err: unknown) => errors.length < 50 && errors.push(err as Error));
  };
  const INT = 2;
  model.on("link", (p, up) => {
    agent.syncLldp(p);
    notify(up ? TRAP.linkUp : TRAP.linkDown, [
      { oid: `${IF.index}.${p.ifIndex}`, type: INT, value: p.ifIndex },
      { oid: `${IF.adminStatus}.${p.ifIndex}`, type: INT, value: p.admin },
      { oid: `${IF.operStatus}.${p.ifIndex}`, type: INT, value: up ? 1 : 2 },
    ]);
  });
  model.on("poe", (p) => {
    if (s.variant === "huawei" || !p.poeRow || !p.poe) return;
    notify(PETH.portOnOffNotification, [{ oid: `${PETH.detectionStatus}.${p.poeRow.group}.${p.poeRow.port}`, type: INT, value: p.poe.detection }]);
  });

  const portArg = (name: string | undefined): SimPort => {
    const p = name === undefined ? undefined : model.byName(name);
    if (!p) throw new Error(`no port "${name ?? ""}"; ports: ${model.ports.map((x) => x.name).join(", ")}`);
    return p;
  };
  const onOff = (v: string | undefined, usage: string): boolean => {
    if (v !== "on" && v !== "off") throw new Error(`usage: ${usage}`);
    return v === "on";
  };

  const control = (verb: string, args: readonly string[]): string | undefined => {
    switch (verb) {
      case "flap": {
        const p = portArg(args[0]);
        const ms = args[1] === undefined ? 1000 : Number(args[1]);
        if (!Number.isInteger(ms) || ms < 0) throw new Error("usage: flap DEV PORT [MS]");
        model.flap(p, ms);
        return `${p.name} down for ${ms} ms`;
      }
      case "cable": {
        const p = portArg(args[0]);
        model.setCable(p, onOff(args[1], "cable DEV PORT on|off"));
        return `${p.name} cable ${args[1]}`;
      }
      case "admin": {
        const p = portArg(args[0]);
        if (args[1] !== "up" && args[1] !== "down") throw new Error("usage: admin DEV PORT up|down");
        model.setAdmin(p, args[1] === "up");
        return `${p.name} admin ${args[1]}`;
      }
      case "poe": {
        const p = portArg(args[0]);
        if (!p.poe) throw new Error(`port ${p.name} has no PoE`);
        const v = args[1];
        if (v === "on" || v === "off") model.setPoeEnable(p, v === "on");
        else if (v === "fault" || v === "overload" || v === "denied" || v === "ok") model.setPoeFault(p, v === "ok" ? "none" : v);
        else throw new Error("usage: poe DEV PORT on|off|fault|overload|denied|ok");
        return `${p.name} poe ${v}`;
      }
      case "errors": {
        const p = portArg(args[0]);
        const n = Number(args[1]);
        if (!Number.isFinite(n) || n < 0) throw new Error("usage: errors DEV PORT N");
        model.setErrorRate(p, n);
        return `${p.name} errors ${n}/s`;
      }
      case "traps":
        faults.traps = onOff(args[0], "traps DEV on|off");
        return `traps ${args[0]}`;
      case "credentials": {
        if (args[0] !== "wrong" && args[0] !== "right") throw new Error("usage: credentials DEV wrong|right");
        faults.wrongCredentials = args[0] === "wrong";
        if (faults.wrongCredentials) agent.setCredentials(communities.map((c) => `${c}-changed`), users.map((u) => ({ ...u, name: `${u.name}-changed` })));
        else agent.setCredentials(communities, users);
        return `credentials ${args[0]}`;
      }
      case "ports":
        return model.ports
          .map((p) => `${p.name}(${p.ifIndex}) ${model.oper(p) === 1 ? "up" : "down"}${p.poe ? ` poe=${p.poe.enable ? "on" : "off"}/${Object.entries(DET).find(([, v]) => v === p.poe!.detection)?.[0]}` : ""}`)
          .join("\n");
      default:
        return undefined;
    }
  };

  return {
    protocol: "snmp",
    port: boundPort,
    model,
    faults,
    trapsSent,
    get errors() {
      return errors;
    },
    unplug: async () => {
      faults.unplugged = true;
    },
    replug: async () => {
      faults.unplugged = false;
    },
    close: async () => {
      model.close();
      await agent.close();
    },
    describe: () => `snmp ${s.variant} udp:${s.host}:${boundPort}${faults.unplugged ? " (unplugged)" : ""}`,
    onPortPower(fn) {
      model.on("power", fn);
      return () => model.off("power", fn);
    },
    sendTrap,
    control,
    controlHelp: CONTROL_HELP,
  };
}

/**
 * `roomgate sim`: the switch on the device's udp endpoint. `simulator.options` as the spec above
 * (communities/communityFile, users, ports, variant, trapTarget: the agent's trapPort).
 */
export const startFromSite: StartFromSite = async (transport, options, runtime = {}) => {
  if (transport.type !== "udp") throw new Error(`the SNMP switch simulator needs a udp transport; got ${transport.type}`);
  return startSnmpSwitchSimulator({ ...options, host: transport.host, port: transport.port, ...runtime } as SnmpSwitchSimSpec);
};
