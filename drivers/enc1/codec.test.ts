/**
 * ENC/1 codec: checksums and parsing of every line type, checked against byte strings computed
 * independently (Python, XOR of the bytes between $ and *), and the three query encodings.
 */
import { describe, expect, it } from "vitest";
import { checksum, encodeQuery, parseLine, type Enc1Query } from "./codec.js";

describe("checksum", () => {
  it("is the XOR of the bytes between $ and *, two uppercase hex digits", () => {
    expect(checksum("Q,ST")).toBe("7A");
    expect(checksum("Q,ID")).toBe("70");
    expect(checksum("ACK,42")).toBe("63");
    expect(checksum("ENC,HB,17,34")).toBe("6F");
    expect(checksum("ENC,ST,18,SECURE,tun=UP,key=VALID,alarm=NONE")).toBe("5E");
    expect(checksum("ENC,AL,20,BYPASS_ACTIVE,CRIT,RAISE")).toBe("72");
    expect(checksum("ENC,ID,RG-ENC1-SIM,1.0.0")).toBe("63");
    expect(checksum("ENC,ER,22,CHECKSUM")).toBe("7E");
    expect(checksum("")).toBe("00"); // pads to two digits
  });

  it("matches a published NMEA 0183 sentence (the same sum as the Vaisala WXT530 and iXblue GAPS manuals define)", () => {
    // $GPRMC,155123.000,A,4043.8432,N,07359.7653,W,0.15,83.25,200407,,*28 (tigoe.net, "XOR calculation for NMEA checksums")
    expect(checksum("GPRMC,155123.000,A,4043.8432,N,07359.7653,W,0.15,83.25,200407,,")).toBe("28");
  });
});

describe("encodeQuery: the only lines the driver can send", () => {
  it("encodes $Q,ST, $Q,ID and $ACK,<seq> with checksum and LF", () => {
    expect(encodeQuery({ query: "ST" }).toString("latin1")).toBe("$Q,ST*7A\n");
    expect(encodeQuery({ query: "ID" }).toString("latin1")).toBe("$Q,ID*70\n");
    expect(encodeQuery({ ack: 0 }).toString("latin1")).toBe("$ACK,0*55\n");
    expect(encodeQuery({ ack: 42 }).toString("latin1")).toBe("$ACK,42*63\n");
    expect(encodeQuery({ ack: 4294967295 }).toString("latin1")).toBe("$ACK,4294967295*68\n");
  });

  it("refuses anything outside the union, even when a caller casts past the type", () => {
    for (const bad of [{ query: "ZEROIZE" }, { query: "ST,BYPASS" }, { ack: -1 }, { ack: 1.5 }, { ack: 2 ** 32 }, { ack: Number.NaN }, {}, { cmd: "KEY" }]) {
      expect(() => encodeQuery(bad as unknown as Enc1Query), JSON.stringify(bad)).toThrow(/ack seq|not an ENC\/1 query/);
    }
  });
});

describe("parseLine: every line type", () => {
  it("HB", () => {
    expect(parseLine("$ENC,HB,17,34*6F")).toEqual({ ok: true, line: { type: "HB", seq: 17, uptimeS: 34 } });
  });

  it("ST with every field", () => {
    expect(parseLine("$ENC,ST,18,SECURE,tun=UP,key=VALID,alarm=NONE*5E")).toEqual({
      ok: true,
      line: { type: "ST", seq: 18, state: "SECURE", word: "SECURE", tunnel: "UP", key: "VALID", alarm: null },
    });
    expect(parseLine("$ENC,ST,19,BYPASS,tun=UP,key=VALID,alarm=BYPASS_ACTIVE*11")).toMatchObject({
      ok: true, line: { state: "BYPASS", alarm: "BYPASS_ACTIVE" },
    });
  });

  it("ST with an unknown state word is UNKNOWN (not secure), the word kept sanitised", () => {
    expect(parseLine("$ENC,ST,3,MELTDOWN,tun=UP,key=VALID,alarm=NONE*71")).toMatchObject({
      ok: true, line: { type: "ST", state: "UNKNOWN", word: "MELTDOWN" },
    });
    // Lower case is not a state of the protocol either.
    const body = "ENC,ST,4,secure,tun=UP,key=VALID,alarm=NONE";
    expect(parseLine(`$${body}*${checksum(body)}`)).toMatchObject({ ok: true, line: { state: "UNKNOWN", word: "secure" } });
  });

  it("ST fields in another order, unknown values null, unknown keys ignored", () => {
    const body = "ENC,ST,7,TUNNEL_DOWN,alarm=TUNNEL_DOWN,key=WEIRD,psk=00112233,tun=SIDEWAYS";
    expect(parseLine(`$${body}*${checksum(body)}`)).toEqual({
      ok: true,
      line: { type: "ST", seq: 7, state: "TUNNEL_DOWN", word: "TUNNEL_DOWN", tunnel: null, key: null, alarm: "TUNNEL_DOWN" },
    });
  });

  it("AL", () => {
    expect(parseLine("$ENC,AL,20,BYPASS_ACTIVE,CRIT,RAISE*72")).toEqual({
      ok: true, line: { type: "AL", seq: 20, code: "BYPASS_ACTIVE", severity: "CRIT", action: "RAISE" },
    });
    expect(parseLine("$ENC,AL,21,TEMP,MIN,CLEAR*75")).toEqual({
      ok: true, line: { type: "AL", seq: 21, code: "TEMP", severity: "MIN", action: "CLEAR" },
    });
  });

  it("ID", () => {
    expect(parseLine("$ENC,ID,RG-ENC1-SIM,1.0.0*63")).toEqual({ ok: true, line: { type: "ID", model: "RG-ENC1-SIM", firmware: "1.0.0" } });
  });

  it("ER", () => {
    expect(parseLine("$ENC,ER,22,CHECKSUM*7E")).toEqual({ ok: true, line: { type: "ER", seq: 22, reason: "CHECKSUM", word: "CHECKSUM" } });
    expect(parseLine("$ENC,ER,23,UNSUPPORTED*27")).toMatchObject({ ok: true, line: { reason: "UNSUPPORTED" } });
  });

  it("accepts a lower-case checksum and a trailing CR", () => {
    expect(parseLine("$ENC,ST,19,BYPASS,tun=UP,key=VALID,alarm=BYPASS_ACTIVE*11\r")).toMatchObject({ ok: true });
    expect(parseLine("$ENC,ER,22,CHECKSUM*7e")).toMatchObject({ ok: true, line: { type: "ER" } });
  });
});

describe("parseLine: bad input is a value, never a throw", () => {
  const cases: [string, string][] = [
    ["$ENC,HB,17,34*6E", "bad_checksum"],
    ["$ENC,ST,18,SECURE,tun=UP,key=VALID,alarm=NONE*5F", "bad_checksum"],
    ["$ENC,HB,17,34", "no_checksum"],
    ["$ENC,HB,17,34*6", "no_checksum"],
    ["$ENC,HB,17,34*ZZ", "no_checksum"],
    ["ENC,HB,17,34*6F", "no_start"],
    ["junk$ENC,HB,17,34*6F", "no_start"],
    ["$ENC,HB,17,\u00ff4*6F", "not_ascii"],
    ["$ENC,HB,17,\u00004*6F", "not_ascii"],
    [`$ENC,HB,1,${"9".repeat(200)}*00`, "too_long"],
  ];
  it.each(cases)("%s -> %s", (line, fault) => {
    expect(parseLine(line)).toMatchObject({ ok: false, fault });
  });

  it("structurally wrong lines with a valid checksum are malformed or unknown", () => {
    const at = (body: string) => parseLine(`$${body}*${checksum(body)}`);
    expect(at("ENC,HB,x,1")).toMatchObject({ ok: false, fault: "malformed" });
    expect(at("ENC,HB,1")).toMatchObject({ ok: false, fault: "malformed" });
    expect(at("ENC,HB,99999999999,1")).toMatchObject({ ok: false, fault: "malformed" });
    expect(at("ENC,ST,1")).toMatchObject({ ok: false, fault: "malformed" });
    expect(at("ENC,ST,1,SECURE,tunUP")).toMatchObject({ ok: false, fault: "malformed" });
    expect(at("ENC,AL,1,TEMP,HUGE,RAISE")).toMatchObject({ ok: false, fault: "malformed" });
    expect(at("ENC,AL,1,TEMP,MIN,MAYBE")).toMatchObject({ ok: false, fault: "malformed" });
    expect(at("ENC,ID,only-model")).toMatchObject({ ok: false, fault: "malformed" });
    expect(at("ENC,ER,1")).toMatchObject({ ok: false, fault: "malformed" });
    expect(at("ENC,ZZ,1")).toMatchObject({ ok: false, fault: "unknown_type" });
    expect(at("GPS,HB,1,1")).toMatchObject({ ok: false, fault: "unknown_type" });
  });

  it("fault details never echo the line's content", () => {
    const secret = "A1B2C3D4E5F60718293A4B5C";
    for (const line of [`$ENC,ID,${secret}*00`, `$ENC,XX,${secret}*${checksum(`ENC,XX,${secret}`)}`, `${secret}`]) {
      const r = parseLine(line);
      expect(r.ok).toBe(false);
      expect(JSON.stringify(r)).not.toContain(secret);
    }
  });

  it("sanitises device text in ID and AL lines", () => {
    const body = "ENC,ID,Model key=ABCD1234 X,fw 0123456789abcdef0123";
    expect(parseLine(`$${body}*${checksum(body)}`)).toEqual({ ok: true, line: { type: "ID", model: "Model key=[redacted] X", firmware: "fw [redacted]" } });
    const al = "ENC,AL,5,DEADBEEFDEADBEEFDEADBEEF,CRIT,RAISE";
    expect(parseLine(`$${al}*${checksum(al)}`)).toMatchObject({ ok: true, line: { code: "[redacted]" } });
  });
});
