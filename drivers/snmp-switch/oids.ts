/**
 * The MIB objects the switch driver reads and writes (shared/PROTOCOLS-CONFERENCE-NETWORK.md part D),
 * as dotted OIDs without the instance. Standard objects are [S] (IF-MIB, POWER-ETHERNET-MIB RFC 3621,
 * LLDP-MIB, BRIDGE-MIB, ENTITY-MIB); the vendor ones say where they come from.
 */

export const SYS = {
  descr: "1.3.6.1.2.1.1.1.0",
  upTime: "1.3.6.1.2.1.1.3.0",
} as const;

/** IF-MIB ifTable 1.3.6.1.2.1.2.2.1.<col>.<ifIndex>. */
export const IF = {
  table: "1.3.6.1.2.1.2.2.1",
  index: "1.3.6.1.2.1.2.2.1.1",
  descr: "1.3.6.1.2.1.2.2.1.2",
  speed: "1.3.6.1.2.1.2.2.1.5",
  adminStatus: "1.3.6.1.2.1.2.2.1.7",
  operStatus: "1.3.6.1.2.1.2.2.1.8",
  inOctets: "1.3.6.1.2.1.2.2.1.10",
  inDiscards: "1.3.6.1.2.1.2.2.1.13",
  inErrors: "1.3.6.1.2.1.2.2.1.14",
  outOctets: "1.3.6.1.2.1.2.2.1.16",
  outDiscards: "1.3.6.1.2.1.2.2.1.19",
  outErrors: "1.3.6.1.2.1.2.2.1.20",
} as const;

/** IF-MIB ifXTable 1.3.6.1.2.1.31.1.1.1.<col>.<ifIndex>. */
export const IFX = {
  table: "1.3.6.1.2.1.31.1.1.1",
  name: "1.3.6.1.2.1.31.1.1.1.1",
  hcInOctets: "1.3.6.1.2.1.31.1.1.1.6",
  hcOutOctets: "1.3.6.1.2.1.31.1.1.1.10",
  highSpeed: "1.3.6.1.2.1.31.1.1.1.15",
  alias: "1.3.6.1.2.1.31.1.1.1.18",
} as const;

/** POWER-ETHERNET-MIB (RFC 3621). Port table index: <group>.<port>; main PSE table index: <group>. */
export const PETH = {
  portTable: "1.3.6.1.2.1.105.1.1.1",
  adminEnable: "1.3.6.1.2.1.105.1.1.1.3",
  detectionStatus: "1.3.6.1.2.1.105.1.1.1.6",
  powerPriority: "1.3.6.1.2.1.105.1.1.1.7",
  powerClassifications: "1.3.6.1.2.1.105.1.1.1.10",
  powerDeniedCounter: "1.3.6.1.2.1.105.1.1.1.12",
  overLoadCounter: "1.3.6.1.2.1.105.1.1.1.13",
  mainTable: "1.3.6.1.2.1.105.1.3.1",
  mainPower: "1.3.6.1.2.1.105.1.3.1.2",
  mainOperStatus: "1.3.6.1.2.1.105.1.3.1.3",
  mainConsumption: "1.3.6.1.2.1.105.1.3.1.4",
  /** pethPsePortOnOffNotification {pethPsePortDetectionStatus}. */
  portOnOffNotification: "1.3.6.1.2.1.105.0.1",
} as const;

/**
 * HUAWEI-POE-MIB hwPoePortTable 1.3.6.1.4.1.2011.5.25.195.3.1.<col>.<ifIndex>: hwPoePortEnable 3
 * (enabled1/disabled2, RW) [S] part D. Columns 6 (hwPoePortPowerOnStatus, "on"/"off"), 7
 * (hwPoePortPowerStatus, e.g. "Powered"), 8 (hwPoePortPdClass) and 10 (hwPoePortConsumingPower, mW)
 * as LibreNMS and Observium poll them on VRP [A]: the strings' full vocabulary is not documented there.
 */
export const HUAWEI = {
  portTable: "1.3.6.1.4.1.2011.5.25.195.3.1",
  enable: "1.3.6.1.4.1.2011.5.25.195.3.1.3",
  powerOnStatus: "1.3.6.1.4.1.2011.5.25.195.3.1.6",
  powerStatus: "1.3.6.1.4.1.2011.5.25.195.3.1.7",
  pdClass: "1.3.6.1.4.1.2011.5.25.195.3.1.8",
  consumingPower: "1.3.6.1.4.1.2011.5.25.195.3.1.10",
} as const;

/**
 * CISCO-POWER-ETHERNET-EXT-MIB cpeExtPsePortTable 1.3.6.1.4.1.9.9.402.1.2.1.<col>.<group>.<port>
 * (augments pethPsePortEntry): cpeExtPsePortEnable 1 (auto/static/limit/disable),
 * cpeExtPsePortPwrConsumption 9 (mW), cpeExtPsePortEntPhyIndex 11; the ifIndex of a PoE row comes
 * through ENTITY-MIB entAliasMappingIdentifier.<entPhysicalIndex>.0 = ifIndex.<n> (part D [A]).
 */
export const CISCO = {
  portTable: "1.3.6.1.4.1.9.9.402.1.2.1",
  enable: "1.3.6.1.4.1.9.9.402.1.2.1.1",
  pwrConsumption: "1.3.6.1.4.1.9.9.402.1.2.1.9",
  entPhyIndex: "1.3.6.1.4.1.9.9.402.1.2.1.11",
} as const;

/** ENTITY-MIB entAliasMappingTable: entAliasMappingIdentifier.<entPhysicalIndex>.<logicalIndexOrZero>. */
export const ENTITY = {
  aliasMappingIdentifier: "1.3.6.1.2.1.47.1.3.2.1.2",
} as const;

/** BRIDGE-MIB dot1dBasePortIfIndex.<basePort> = ifIndex: LLDP's local port number is the base port on bridges [A]. */
export const BRIDGE = {
  basePortIfIndex: "1.3.6.1.2.1.17.1.4.1.2",
} as const;

/** LLDP-MIB lldpRemTable 1.0.8802.1.1.2.1.4.1.1.<col>.<timeMark>.<localPortNum>.<remIndex>. */
export const LLDP = {
  remTable: "1.0.8802.1.1.2.1.4.1.1",
  remChassisIdSubtype: "1.0.8802.1.1.2.1.4.1.1.4",
  remChassisId: "1.0.8802.1.1.2.1.4.1.1.5",
  remPortIdSubtype: "1.0.8802.1.1.2.1.4.1.1.6",
  remPortId: "1.0.8802.1.1.2.1.4.1.1.7",
  remPortDesc: "1.0.8802.1.1.2.1.4.1.1.8",
  remSysName: "1.0.8802.1.1.2.1.4.1.1.9",
} as const;

/** SNMPv2 notifications (RFC 3418 / IF-MIB). */
export const TRAP = {
  snmpTrapOid: "1.3.6.1.6.3.1.1.4.1.0",
  linkDown: "1.3.6.1.6.3.1.1.5.3",
  linkUp: "1.3.6.1.6.3.1.1.5.4",
} as const;

/** ifOperStatus / ifAdminStatus values (IF-MIB). */
export const OPER_STATUS = ["up", "down", "testing", "unknown", "dormant", "notPresent", "lowerLayerDown"] as const;
export type OperStatus = (typeof OPER_STATUS)[number];
export const ADMIN_STATUS = ["up", "down", "testing"] as const;
export type AdminStatus = (typeof ADMIN_STATUS)[number];

/** pethPsePortDetectionStatus values (RFC 3621). */
export const DETECTION = ["disabled", "searching", "deliveringPower", "fault", "test", "otherFault"] as const;
export type Detection = (typeof DETECTION)[number];

/** pethMainPseOperStatus values (RFC 3621). */
export const PSE_OPER = ["on", "off", "faulty"] as const;

/** An enumerated INTEGER as its name (1-based), or null for a value outside the list. */
export function enumName<T extends string>(names: readonly T[], value: number | null): T | null {
  if (value === null || !Number.isInteger(value) || value < 1 || value > names.length) return null;
  return names[value - 1]!;
}
