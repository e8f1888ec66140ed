/**
 * Options of the access-switch driver (`protocol: snmp`, kind `switch`). Secrets are never in the
 * site file: the community and the v3 keys are read from files by the driver (relative paths are
 * made absolute against the site file by config/load.ts), never logged, never in state or errors.
 */
import { z } from "zod";
import { DeviceError } from "../types.js";

const portName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "expected a port name of a-z, 0-9 and -");
const ifIndex = z.number().int().min(1).max(2_147_483_647);

const portSchema = z.union([
  ifIndex.describe("The port's ifIndex."),
  z.strictObject({
    ifIndex: ifIndex.describe("The port's ifIndex (IF-MIB)."),
    protected: z.boolean().default(false).describe("Refuse every action that could cut this port (the uplink)."),
    poe: z
      .strictObject({ group: z.number().int().min(1).describe("pethPsePortGroupIndex."), port: z.number().int().min(1).describe("pethPsePortIndex.") })
      .optional()
      .describe("The port's row in pethPsePortTable, when the vendor's mapping is not the default one (overrides `variant`'s)."),
  }),
]);

export const AUTH_PROTOCOLS = ["sha", "sha224", "sha256", "sha384", "sha512"] as const;
export const PRIV_PROTOCOLS = ["aes", "aes256b", "aes256r"] as const;
export const POE_VARIANTS = ["rfc3621", "huawei", "cisco"] as const;
export type PoeVariantName = (typeof POE_VARIANTS)[number];

export const snmpSwitchOptionsSchema = z
  .strictObject({
    version: z.enum(["2c", "3"]).default("2c").describe("SNMP version: 2c (community) or 3 (USM authPriv)."),
    communityFile: z.string().min(1).optional().describe("File holding the v2c community (first line). Required for v2c. Never logged."),
    user: z.string().min(1).max(32).optional().describe("SNMPv3 user name (v3)."),
    authProtocol: z.enum(AUTH_PROTOCOLS).default("sha").describe("SNMPv3 authentication protocol."),
    authKeyFile: z.string().min(1).optional().describe("File holding the v3 authentication passphrase (first line). Never logged."),
    privProtocol: z.enum(PRIV_PROTOCOLS).default("aes").describe("SNMPv3 privacy protocol (aes256r: Cisco's key localisation)."),
    privKeyFile: z.string().min(1).optional().describe("File holding the v3 privacy passphrase (first line). Never logged."),
    ports: z.record(portName, portSchema).refine((p) => Object.keys(p).length > 0, "name at least one port").describe("Named ports: name -> ifIndex or {ifIndex, protected, poe}."),
    variant: z
      .enum(POE_VARIANTS)
      .default("rfc3621")
      .describe("How PoE is read and switched: rfc3621 (pethPsePortTable, port index = ifIndex: HP/Aruba), huawei (hwPoePortEnable by ifIndex), cisco (pethPsePortTable rows mapped to ifIndex through ENTITY-MIB)."),
    poeGroup: z.number().int().min(1).default(1).describe("pethPsePortGroupIndex of the ports and pethMainPseGroupIndex (1 on a non-modular switch)."),
    lldpLocalPort: z
      .enum(["bridgePort", "ifIndex"])
      .default("bridgePort")
      .describe("What lldpRemLocalPortNum counts: the bridge port (mapped through BRIDGE-MIB dot1dBasePortIfIndex; identity when the switch has no such table) or the ifIndex [A]."),
    trapPort: z.number().int().min(1024).max(65535).optional().describe("Unprivileged UDP port the agent receives linkDown/linkUp traps on (e.g. 1162); absent: polling only."),
    trapAddress: z.string().min(1).default("0.0.0.0").describe("Local address the trap receiver binds."),
    trapCommunityFile: z.string().min(1).optional().describe("File holding the community traps must carry (default: communityFile). Never logged."),
    trapSources: z.array(z.string().min(1)).optional().describe("Addresses traps may come from (default: the switch's transport host); others are dropped and counted."),
    errorRatePerSec: z.number().min(0).default(1).describe("Errors per second (in + out) on a named port above which health is degraded [A]."),
    timeoutMs: z.number().int().min(50).max(60_000).default(2000).describe("Deadline of one SNMP request."),
    maxVarbinds: z.number().int().min(1).max(100).default(20).describe("Most varbinds in one GET (a switch answers tooBig above its limit)."),
    deliverTimeoutMs: z.number().int().min(100).max(300_000).default(30_000).describe("port.powercycle: how long to wait for deliveringPower after power is back."),
    linkGraceMs: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .default(60_000)
      .describe("After the agent powers a port (on, or at the end of a cycle), how long its device may take to boot and link up before `{port}-down` is raised [A]."),
    statusWatchMs: z.number().int().min(20).max(10_000).default(250).describe("How often PoE status is read while an action waits for it."),
  })
  .superRefine((o, ctx) => {
    if (o.version === "2c" && o.communityFile === undefined) ctx.addIssue({ code: "custom", path: ["communityFile"], message: "SNMPv2c needs communityFile" });
    if (o.version === "3") {
      for (const k of ["user", "authKeyFile", "privKeyFile"] as const) {
        if (o[k] === undefined) ctx.addIssue({ code: "custom", path: [k], message: `SNMPv3 authPriv needs ${k}` });
      }
    }
    if (o.trapPort !== undefined && o.trapCommunityFile === undefined && o.communityFile === undefined) {
      ctx.addIssue({ code: "custom", path: ["trapCommunityFile"], message: "traps are v2c: give trapCommunityFile (or communityFile)" });
    }
    const seen = new Map<number, string>();
    for (const [name, p] of Object.entries(o.ports)) {
      const i = typeof p === "number" ? p : p.ifIndex;
      const other = seen.get(i);
      if (other !== undefined) ctx.addIssue({ code: "custom", path: ["ports", name], message: `ifIndex ${i} is already port ${other}` });
      seen.set(i, name);
    }
  })
  .describe("Options of an access switch reached over SNMP.");

export type SnmpSwitchOptions = z.output<typeof snmpSwitchOptionsSchema>;

export interface NamedPort {
  name: string;
  ifIndex: number;
  protected: boolean;
  poe?: { group: number; port: number } | undefined;
}

/** Validates the options; a bad one is a DeviceError `invalid_args` naming the field. */
export function parseSnmpSwitchOptions(raw: unknown): SnmpSwitchOptions {
  const r = snmpSwitchOptionsSchema.safeParse(raw ?? {});
  if (!r.success) {
    const first = r.error.issues[0]!;
    throw new DeviceError("invalid_args", `options.${first.path.join(".")}: ${first.message}`);
  }
  return r.data;
}

export function namedPorts(o: SnmpSwitchOptions): NamedPort[] {
  return Object.entries(o.ports).map(([name, p]) =>
    typeof p === "number" ? { name, ifIndex: p, protected: false } : { name, ifIndex: p.ifIndex, protected: p.protected, poe: p.poe },
  );
}
