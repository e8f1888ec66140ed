import { describe, expect, it } from "vitest";
import { Decoder, T, counterDelta, lldpNeighbours, ratePerSec } from "./codec.js";
import { parseTrap } from "./traps.js";
import { LLDP } from "./oids.js";

describe("SNMP values as the MIB types them", () => {
  it("Counter64 arrives as a big-endian Buffer, with or without a leading 0x00 (node-net-snmp #44, #290)", () => {
    const d = new Decoder();
    expect(d.counter64({ oid: "x", type: T.Counter64, value: Buffer.from([0x00, 0xff, 0, 0, 0, 0, 0, 0, 1]) })).toBe(0xff00000000000001n);
    expect(d.counter64({ oid: "x", type: T.Counter64, value: Buffer.from([0x01, 0x00]) })).toBe(256n);
    expect(d.bad).toBe(0);
  });

  it("a value of the wrong type is null and counted, never a crash; a hole is null and not blamed", () => {
    const d = new Decoder();
    expect(d.int({ oid: "1.3.6.1.2.1.2.2.1.8.7", type: T.OctetString, value: Buffer.from("up") })).toBeNull();
    expect(d.unsigned({ oid: "1.3.6.1.2.1.2.2.1.14.7", type: T.Integer, value: -4 }, T.Counter32)).toBeNull();
    expect(d.counter64({ oid: "1.3.6.1.2.1.31.1.1.1.6.7", type: T.Counter64, value: Buffer.alloc(12) })).toBeNull();
    expect(d.text({ oid: "1.3.6.1.2.1.1.1.0", type: T.Integer, value: 3 })).toBeNull();
    expect(d.bad).toBe(4);
    expect(d.samples[0]).toMatch(/1\.3\.6\.1\.2\.1\.2\.2\.1\.8\.7: expected INTEGER, got type 4/);
    expect(d.int({ oid: "x", type: T.NoSuchInstance, value: null })).toBeNull();
    expect(d.int(undefined)).toBeNull();
    expect(d.bad).toBe(4);
  });

  it("octet strings: text when printable, hex pairs otherwise", () => {
    const d = new Decoder();
    expect(d.text({ oid: "x", type: T.OctetString, value: Buffer.from("codec-1") })).toBe("codec-1");
    expect(d.text({ oid: "x", type: T.OctetString, value: Buffer.from([0x00, 0x1b, 0x2c]) })).toBe("00:1b:2c");
  });
});

describe("rates from counter deltas", () => {
  it("a 32-bit counter that wrapped between two reads counts what it really grew", () => {
    expect(counterDelta(4_294_967_290n, 4n, 32)).toBe(10n);
    expect(ratePerSec({ at: 0, upTime: 100, value: 4_294_967_290n, bits: 32 }, { at: 10_000, upTime: 1100, value: 94n, bits: 32 })).toBe(10);
  });

  it("a 64-bit counter going backwards, a restart (sysUpTime smaller), a change of width or no time: no rate", () => {
    expect(counterDelta(100n, 5n, 64)).toBeNull();
    expect(ratePerSec({ at: 0, upTime: 5000, value: 10n, bits: 32 }, { at: 1000, upTime: 20, value: 2n, bits: 32 })).toBeNull();
    expect(ratePerSec({ at: 0, upTime: 1, value: 10n, bits: 32 }, { at: 1000, upTime: 2, value: 20n, bits: 64 })).toBeNull();
    expect(ratePerSec({ at: 5, upTime: 1, value: 10n, bits: 32 }, { at: 5, upTime: 2, value: 20n, bits: 32 })).toBeNull();
    expect(ratePerSec(undefined, { at: 5, upTime: 2, value: 20n, bits: 32 })).toBeNull();
  });
});

describe("LLDP remote table", () => {
  const cols = { chassisSubtype: LLDP.remChassisIdSubtype, chassis: LLDP.remChassisId, portSubtype: LLDP.remPortIdSubtype, port: LLDP.remPortId, sysName: LLDP.remSysName };
  it("rows by local port (timeMark.localPort.remIndex); a MAC chassis id in hex; holes and bad indexes ignored", () => {
    const d = new Decoder();
    const rows = [
      { oid: `${LLDP.remChassisIdSubtype}.0.7.1`, type: T.Integer, value: 4 },
      { oid: `${LLDP.remChassisId}.0.7.1`, type: T.OctetString, value: Buffer.from([2, 0, 0, 0, 0, 7]) },
      { oid: `${LLDP.remPortId}.0.7.1`, type: T.OctetString, value: Buffer.from("eth0") },
      { oid: `${LLDP.remSysName}.0.7.1`, type: T.OctetString, value: Buffer.from("codec-1") },
      // A row with only its name (the rest are holes), and one whose index is short.
      { oid: `${LLDP.remSysName}.0.9.3`, type: T.OctetString, value: Buffer.from("cam") },
      { oid: `${LLDP.remSysName}.9`, type: T.OctetString, value: Buffer.from("junk") },
    ];
    const n = lldpNeighbours(rows, cols, d);
    expect(n.get(7)).toEqual({ chassisId: "02:00:00:00:00:07", portId: "eth0", sysName: "codec-1" });
    expect(n.get(9)).toEqual({ chassisId: null, portId: null, sysName: "cam" });
    expect(n.size).toBe(2);
  });
});

describe("traps", () => {
  const trap = (oid: string, ...vbs: { oid: string; type: number; value: unknown }[]) => [{ oid: "1.3.6.1.2.1.1.3.0", type: T.TimeTicks, value: 5 }, { oid: "1.3.6.1.6.3.1.1.4.1.0", type: T.Oid, value: oid }, ...vbs];
  it("linkDown/linkUp name the port by the ifIndex instance of their objects", () => {
    expect(parseTrap(trap("1.3.6.1.6.3.1.1.5.3", { oid: "1.3.6.1.2.1.2.2.1.1.7", type: T.Integer, value: 7 }))).toEqual({ kind: "link", up: false, ifIndex: 7 });
    expect(parseTrap(trap("1.3.6.1.6.3.1.1.5.4", { oid: "1.3.6.1.2.1.2.2.1.8.12", type: T.Integer, value: 1 }))).toEqual({ kind: "link", up: true, ifIndex: 12 });
  });
  it("a notification without its objects, or without snmpTrapOID, is not acted on", () => {
    expect(parseTrap(trap("1.3.6.1.6.3.1.1.5.3"))).toBeNull();
    expect(parseTrap([{ oid: "1.3.6.1.2.1.1.3.0", type: T.TimeTicks, value: 5 }])).toBeNull();
    expect(parseTrap(trap("1.3.6.1.2.1.105.0.1", { oid: "1.3.6.1.2.1.105.1.1.1.6.1.7", type: T.Integer, value: 3 }))).toEqual({ kind: "poe", group: 1, port: 7, detection: 3 });
  });
});
