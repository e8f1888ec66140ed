/**
 * Pure decoding of SNMP values (no I/O, no net-snmp import): a varbind of the type the MIB says, or
 * null. A reply of the wrong type, a hole in a table (noSuchInstance/noSuchObject) or a value out
 * of range is never a crash: it decodes to null and, when it is the device's fault (the wrong
 * type), is counted by the caller through `Decoder.bad`.
 *
 * Counters: deltas between two polls with one wrap allowed (RFC 2863 §3.1.6: a manager polls more
 * often than a counter wraps); a sysUpTime that went backwards is a discontinuity (the switch
 * restarted) and gives no rate.
 */

/** ASN.1/SMI tags as they arrive in net-snmp's varbinds. */
export const T = {
  Integer: 2,
  OctetString: 4,
  Null: 5,
  Oid: 6,
  IpAddress: 64,
  Counter32: 65,
  Gauge32: 66,
  TimeTicks: 67,
  Counter64: 70,
  NoSuchObject: 128,
  NoSuchInstance: 129,
  EndOfMibView: 130,
} as const;

export interface RawVarbind {
  oid: string;
  type?: number | undefined;
  value?: unknown;
}

/** Counts the values that came back with a type the MIB does not allow. */
export class Decoder {
  bad = 0;
  /** The first few wrong ones, for a log line (oid and type only: values may be anything). */
  readonly samples: string[] = [];

  private wrong(vb: RawVarbind, want: string): null {
    this.bad++;
    if (this.samples.length < 5) this.samples.push(`${vb.oid}: expected ${want}, got type ${String(vb.type)}`);
    return null;
  }

  /** A hole (noSuch*, endOfMibView, absent) is null without blame. */
  private hole(vb: RawVarbind | undefined): boolean {
    return vb === undefined || vb.type === undefined || vb.type === T.Null || vb.type === T.NoSuchObject || vb.type === T.NoSuchInstance || vb.type === T.EndOfMibView;
  }

  int(vb: RawVarbind | undefined): number | null {
    if (this.hole(vb)) return null;
    if (vb!.type !== T.Integer || typeof vb!.value !== "number" || !Number.isInteger(vb!.value)) return this.wrong(vb!, "INTEGER");
    return vb!.value;
  }

  /** Counter32, Gauge32 or TimeTicks (all unsigned 32-bit). */
  unsigned(vb: RawVarbind | undefined, ...types: number[]): number | null {
    if (this.hole(vb)) return null;
    const ok = (types.length === 0 ? [T.Counter32, T.Gauge32, T.TimeTicks] : types).includes(vb!.type!);
    const v = vb!.value;
    if (!ok || typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) return this.wrong(vb!, "an unsigned 32-bit value");
    return v;
  }

  /** Counter64: a big-endian Buffer of up to 9 bytes (a leading 0x00 is allowed; node-net-snmp #44, #290). */
  counter64(vb: RawVarbind | undefined): bigint | null {
    if (this.hole(vb)) return null;
    if (vb!.type !== T.Counter64) return this.wrong(vb!, "Counter64");
    const v = vb!.value;
    if (typeof v === "bigint") return v >= 0n && v < 1n << 64n ? v : this.wrong(vb!, "Counter64");
    if (typeof v === "number") return Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : this.wrong(vb!, "Counter64");
    if (!Buffer.isBuffer(v) || v.length === 0 || v.length > 9) return this.wrong(vb!, "Counter64");
    const n = BigInt(`0x${v.toString("hex")}`);
    return n < 1n << 64n ? n : this.wrong(vb!, "Counter64");
  }

  /** OCTET STRING as text: UTF-8 when printable, else hex pairs joined by `:` (MAC addresses, binary ids). */
  text(vb: RawVarbind | undefined): string | null {
    if (this.hole(vb)) return null;
    const v = vb!.value;
    if (vb!.type !== T.OctetString) return this.wrong(vb!, "OCTET STRING");
    if (typeof v === "string") return v;
    if (!Buffer.isBuffer(v)) return this.wrong(vb!, "OCTET STRING");
    return printable(v) ? v.toString("utf8") : hexPairs(v);
  }

  /** OCTET STRING always as hex pairs (a MAC address chassis or port id). */
  hex(vb: RawVarbind | undefined): string | null {
    if (this.hole(vb)) return null;
    if (vb!.type !== T.OctetString || !Buffer.isBuffer(vb!.value)) return this.wrong(vb!, "OCTET STRING");
    return hexPairs(vb!.value);
  }

  /** OBJECT IDENTIFIER as dotted text. */
  oid(vb: RawVarbind | undefined): string | null {
    if (this.hole(vb)) return null;
    if (vb!.type !== T.Oid || typeof vb!.value !== "string" || !/^\d+(\.\d+)*$/.test(vb!.value)) return this.wrong(vb!, "OBJECT IDENTIFIER");
    return vb!.value;
  }
}

function printable(b: Buffer): boolean {
  for (const c of b) if (c < 0x20 || c > 0x7e) return false;
  return true;
}

export function hexPairs(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

// ---------------------------------------------------------------- counters

/**
 * How much a counter of `bits` grew from `prev` to `cur`, allowing one wrap. A 64-bit counter that
 * "wrapped" was reset (no manager sees an HC counter wrap): null, like any discontinuity.
 */
export function counterDelta(prev: bigint, cur: bigint, bits: 32 | 64): bigint | null {
  if (cur >= prev) return cur - prev;
  if (bits === 64) return null;
  return (1n << 32n) - prev + cur;
}

export interface CounterSample {
  at: number;
  /** sysUpTime (centiseconds) when read; a smaller one later means the switch restarted. */
  upTime: number | null;
  value: bigint;
  bits: 32 | 64;
}

/**
 * Per-second rate between two samples of one counter; null for the first sample, a counter that
 * changed width (HC appeared or vanished), a restart in between, or no time elapsed.
 */
export function ratePerSec(prev: CounterSample | undefined, cur: CounterSample): number | null {
  if (!prev || prev.bits !== cur.bits) return null;
  if (prev.upTime !== null && cur.upTime !== null && cur.upTime < prev.upTime) return null;
  const ms = cur.at - prev.at;
  if (ms <= 0) return null;
  const d = counterDelta(prev.value, cur.value, cur.bits);
  if (d === null) return null;
  return Math.round((Number(d) * 1000 * 1000) / ms) / 1000;
}

// ---------------------------------------------------------------- OIDs

/** The instance part of `oid` under `base` (`1.3.6.1.2.1.2.2.1.8.7` under ifOperStatus -> `7`), or null. */
export function suffix(oid: string, base: string): string | null {
  return oid.startsWith(`${base}.`) ? oid.slice(base.length + 1) : null;
}

/** -1, 0, 1 comparing two dotted OIDs arc by arc. */
export function compareOids(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i]! !== y[i]!) return x[i]! < y[i]! ? -1 : 1;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

/** The ifIndex an OID value such as `1.3.6.1.2.1.2.2.1.1.7` (ENTITY-MIB alias mapping) names, or null. */
export function ifIndexFromOid(value: string | null): number | null {
  const s = value === null ? null : suffix(value, "1.3.6.1.2.1.2.2.1.1");
  const n = s === null ? Number.NaN : Number(s);
  return Number.isInteger(n) && n > 0 ? n : null;
}

// ---------------------------------------------------------------- LLDP

export interface LldpNeighbour {
  chassisId: string | null;
  portId: string | null;
  sysName: string | null;
}

/** LldpChassisIdSubtype macAddress(4) and LldpPortIdSubtype macAddress(3) are binary: shown as hex pairs. */
const MAC_CHASSIS = 4;
const MAC_PORT = 3;

/**
 * lldpRemTable rows from a walk: `localPortNum -> neighbour` (the first remote per port; a row
 * whose index is not timeMark.localPort.remIndex is a hole and ignored).
 */
export function lldpNeighbours(rows: readonly RawVarbind[], cols: { chassisSubtype: string; chassis: string; portSubtype: string; port: string; sysName: string }, d: Decoder): Map<number, LldpNeighbour> {
  const byRow = new Map<string, { local: number; remIndex: number; vals: Record<string, RawVarbind> }>();
  for (const vb of rows) {
    for (const [key, base] of Object.entries(cols)) {
      const s = suffix(vb.oid, base);
      if (s === null) continue;
      const parts = s.split(".").map(Number);
      if (parts.length !== 3 || parts.some((p) => !Number.isInteger(p) || p < 0)) break;
      const row = byRow.get(s) ?? { local: parts[1]!, remIndex: parts[2]!, vals: {} };
      row.vals[key] = vb;
      byRow.set(s, row);
      break;
    }
  }
  const out = new Map<number, LldpNeighbour & { remIndex: number }>();
  for (const row of byRow.values()) {
    const prev = out.get(row.local);
    if (prev && prev.remIndex < row.remIndex) continue;
    const chassisMac = d.int(row.vals.chassisSubtype) === MAC_CHASSIS;
    const portMac = d.int(row.vals.portSubtype) === MAC_PORT;
    out.set(row.local, {
      remIndex: row.remIndex,
      chassisId: chassisMac ? d.hex(row.vals.chassis) : d.text(row.vals.chassis),
      portId: portMac ? d.hex(row.vals.port) : d.text(row.vals.port),
      sysName: d.text(row.vals.sysName),
    });
  }
  return new Map([...out].map(([k, { remIndex: _r, ...n }]) => [k, n]));
}
