/**
 * PoE by vendor (part D: "POWER-ETHERNET-MIB doesn't define a mapping of its module/port index to
 * ifIndex. Different vendors do this in different ways", N4). Each variant says which OIDs to read
 * for one port, how they decode into the common PoE state, and which varbind switches the port.
 *
 * - rfc3621: pethPsePortTable row <poeGroup>.<ifIndex> (HP/Aruba ProCurve: port index = ifIndex [S]).
 * - huawei: hwPoePortTable by ifIndex (hwPoePortEnable RW [S]; status strings [A], see oids.ts).
 * - cisco: pethPsePortTable rows whose ifIndex is learnt through cpeExtPsePortEntPhyIndex and
 *   ENTITY-MIB's alias mapping (part D [A]); AdminEnable is set (cpeExtPsePortEnable mirrors it [A]).
 * A port's `poe: {group, port}` option overrides the row for rfc3621 and cisco.
 */
import { CISCO, DETECTION, HUAWEI, PETH, enumName, type Detection } from "./oids.js";
import type { Decoder, RawVarbind } from "./codec.js";
import type { PoeVariantName } from "./options.js";

export interface PoeState {
  /** Admin enable: power allowed on the port. */
  enabled: boolean | null;
  detection: Detection | null;
  /** IEEE class 0..4 (RFC 3621 class0(1)..class4(5)), or the vendor's PD class. */
  class: number | null;
  /** Per-port draw in watts where the vendor reports it (Cisco, Huawei); RFC 3621 has none. */
  powerW: number | null;
  /** pethPsePortPowerDeniedCounter / OverLoadCounter (RFC 3621 rows), for alarms on growth. */
  deniedCount: number | null;
  overloadCount: number | null;
  /** Huawei says "power denied" in words only [A]. */
  denied: boolean;
}

/** Where a port's PoE lives: an RFC 3621 row, or an ifIndex (Huawei). */
export type PoeRef = { group: number; port: number } | { ifIndex: number };

export interface PoeVariant {
  readonly name: PoeVariantName;
  /** OIDs to GET for `ref`, by key. */
  reads(ref: PoeRef): Record<string, string>;
  decode(values: Record<string, RawVarbind | undefined>, d: Decoder): PoeState;
  /** The varbind that turns the port's power on or off. */
  write(ref: PoeRef, on: boolean): { oid: string; type: number; value: number };
}

const INTEGER = 2;
const rowOf = (ref: PoeRef) => ("ifIndex" in ref ? `${ref.ifIndex}` : `${ref.group}.${ref.port}`);

const truth = (v: number | null): boolean | null => (v === 1 ? true : v === 2 ? false : null);

function rfcReads(ref: PoeRef): Record<string, string> {
  const r = rowOf(ref);
  return {
    admin: `${PETH.adminEnable}.${r}`,
    detection: `${PETH.detectionStatus}.${r}`,
    class: `${PETH.powerClassifications}.${r}`,
    denied: `${PETH.powerDeniedCounter}.${r}`,
    overload: `${PETH.overLoadCounter}.${r}`,
  };
}

function rfcDecode(v: Record<string, RawVarbind | undefined>, d: Decoder): PoeState {
  const cls = d.int(v.class);
  return {
    enabled: truth(d.int(v.admin)),
    detection: enumName(DETECTION, d.int(v.detection)),
    class: cls !== null && cls >= 1 && cls <= 5 ? cls - 1 : null,
    powerW: null,
    deniedCount: d.unsigned(v.denied),
    overloadCount: d.unsigned(v.overload),
    denied: false,
  };
}

export const rfc3621: PoeVariant = {
  name: "rfc3621",
  reads: rfcReads,
  decode: rfcDecode,
  write: (ref, on) => ({ oid: `${PETH.adminEnable}.${rowOf(ref)}`, type: INTEGER, value: on ? 1 : 2 }),
};

export const cisco: PoeVariant = {
  name: "cisco",
  reads: (ref) => ({ ...rfcReads(ref), power: `${CISCO.pwrConsumption}.${rowOf(ref)}` }),
  decode: (v, d) => {
    const mw = d.unsigned(v.power, 66, 65);
    return { ...rfcDecode(v, d), powerW: mw === null ? null : mw / 1000 };
  },
  write: rfc3621.write,
};

/**
 * Huawei: hwPoePortPowerOnStatus "on"/"off" and hwPoePortPowerStatus text [A]; read into the RFC
 * 3621 words so that readiness and alarms speak one language.
 */
export const huawei: PoeVariant = {
  name: "huawei",
  reads: (ref) => {
    const r = rowOf(ref);
    return { enable: `${HUAWEI.enable}.${r}`, on: `${HUAWEI.powerOnStatus}.${r}`, status: `${HUAWEI.powerStatus}.${r}`, class: `${HUAWEI.pdClass}.${r}`, power: `${HUAWEI.consumingPower}.${r}` };
  },
  decode: (v, d) => {
    const enabled = truth(d.int(v.enable));
    const on = d.text(v.on)?.trim().toLowerCase() ?? null;
    const status = d.text(v.status)?.trim().toLowerCase() ?? "";
    const mw = d.int(v.power);
    let detection: Detection | null = null;
    if (enabled === false) detection = "disabled";
    else if (/fault|overload|short|over-current/.test(status)) detection = "fault";
    else if (on === "on") detection = "deliveringPower";
    else if (on === "off") detection = "searching";
    const cls = d.int(v.class);
    return {
      enabled,
      detection,
      class: cls !== null && cls >= 0 && cls <= 8 ? cls : null,
      powerW: mw === null || mw < 0 ? null : mw / 1000,
      deniedCount: null,
      overloadCount: null,
      denied: /den(y|ied)/.test(status),
    };
  },
  write: (ref, on) => ({ oid: `${HUAWEI.enable}.${rowOf(ref)}`, type: INTEGER, value: on ? 1 : 2 }),
};

export const VARIANTS: Record<PoeVariantName, PoeVariant> = { rfc3621, huawei, cisco };
