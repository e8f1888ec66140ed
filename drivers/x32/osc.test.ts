import { describe, expect, it } from "vitest";
import { decodePacket, describeMessage, encodeBundle, encodeMessage, OscEncodeError, type OscArg } from "./osc.js";

/** Bytes as they travel: printable ASCII shown as is, the rest as \xNN (for hand-written vectors). */
const bytes = (s: string): Buffer => Buffer.from(s, "latin1");

describe("OSC encode: known byte vectors (OSC 1.0, X32 protocol document)", () => {
  it("/ch/01/mix/fader ,f 0.75: 16-char address padded to 20, ',f' padded to 4, 0.75 big-endian", () => {
    const b = encodeMessage("/ch/01/mix/fader", [{ type: "f", value: 0.75 }]);
    expect(b.toString("hex")).toBe(
      Buffer.concat([bytes("/ch/01/mix/fader\0\0\0\0"), bytes(",f\0\0"), Buffer.from("3f400000", "hex")]).toString("hex"),
    );
    expect(b.length).toBe(28);
  });

  it("/ch/01/mix/on ,i 0 (mute): 13-char address padded with 3 NULs", () => {
    expect(encodeMessage("/ch/01/mix/on", [{ type: "i", value: 0 }])).toEqual(bytes("/ch/01/mix/on\0\0\0,i\0\0\0\0\0\0"));
  });

  it("a query is the address alone, with the empty type-tag string ','", () => {
    expect(encodeMessage("/xinfo")).toEqual(bytes("/xinfo\0\0,\0\0\0"));
    // an 8-char address needs a whole NUL word of padding
    expect(encodeMessage("/xremote")).toEqual(bytes("/xremote\0\0\0\0,\0\0\0"));
  });

  it("/meters ,s /meters/1 and /-action/goscene ,i 5", () => {
    expect(encodeMessage("/meters", [{ type: "s", value: "/meters/1" }])).toEqual(bytes("/meters\0,s\0\0/meters/1\0\0\0"));
    expect(encodeMessage("/-action/goscene", [{ type: "i", value: 5 }])).toEqual(
      bytes("/-action/goscene\0\0\0\0,i\0\0\0\0\0\x05"),
    );
  });

  it("a blob: int32 size, bytes, NUL padding to 4", () => {
    const b = encodeMessage("/b", [{ type: "b", value: Buffer.from([1, 2, 3, 4, 5]) }]);
    expect(b).toEqual(bytes("/b\0\0,b\0\0\0\0\0\x05\x01\x02\x03\x04\x05\0\0\0"));
  });

  it("refuses what cannot go on the wire", () => {
    expect(() => encodeMessage("ch/01", [])).toThrow(OscEncodeError);
    expect(() => encodeMessage("/a", [{ type: "i", value: 2 ** 31 }])).toThrow(/int32 out of range/);
    expect(() => encodeMessage("/a", [{ type: "i", value: 1.5 }])).toThrow(OscEncodeError);
    expect(() => encodeMessage("/a", [{ type: "f", value: Number.NaN }])).toThrow(/finite/);
    expect(() => encodeMessage("/a", [{ type: "s", value: "x\0y" }])).toThrow(/NUL/);
  });
});

describe("OSC decode", () => {
  it("decodes the desk's /xinfo answer (,ssss)", () => {
    // "\x00" (not "\0") before a digit: "\01" would be an octal escape.
    const packet = bytes("/xinfo\0\0,ssss\0\0\x00192.168.0.64\0\0\0\0X32-02-4A-53\0\0\0\0X32C\0\0\0\x002.07\0\0\0\0");
    expect(packet.length).toBe(8 + 8 + 16 + 16 + 8 + 8);
    const r = decodePacket(packet);
    expect(r).toEqual({
      ok: true,
      messages: [{
        address: "/xinfo",
        args: ["192.168.0.64", "X32-02-4A-53", "X32C", "2.07"].map((value) => ({ type: "s", value })),
      }],
    });
  });

  it("round-trips every type", () => {
    const args: OscArg[] = [
      { type: "i", value: -123456 },
      { type: "f", value: 0.25 },
      { type: "s", value: "Lectern mic" },
      { type: "b", value: Buffer.from([9, 8, 7]) },
      { type: "T" },
      { type: "N" },
      { type: "s", value: "" },
    ];
    const r = decodePacket(encodeMessage("/ch/07/config/name", args));
    expect(r).toEqual({ ok: true, messages: [{ address: "/ch/07/config/name", args }] });
  });

  it("floats survive as float32 (0.1 comes back as its float32 value)", () => {
    const r = decodePacket(encodeMessage("/f", [{ type: "f", value: 0.1 }]));
    expect(r.ok && r.messages[0]!.args[0]).toEqual({ type: "f", value: Math.fround(0.1) });
  });

  it("accepts an address without type tags (old senders) as a message without arguments", () => {
    expect(decodePacket(bytes("/xremote\0\0\0\0"))).toEqual({ ok: true, messages: [{ address: "/xremote", args: [] }] });
  });

  it("flattens a bundle (and a bundle inside it) into its messages, in order", () => {
    const a = encodeMessage("/ch/01/mix/on", [{ type: "i", value: 1 }]);
    const b = encodeMessage("/ch/02/mix/on", [{ type: "i", value: 0 }]);
    const inner = encodeBundle([b]);
    const packet = encodeBundle([a, inner]);
    expect(packet.subarray(0, 16)).toEqual(Buffer.concat([bytes("#bundle\0"), Buffer.from("0000000000000001", "hex")]));
    const r = decodePacket(packet);
    expect(r.ok && r.messages.map(describeMessage)).toEqual(["/ch/01/mix/on ,i 1", "/ch/02/mix/on ,i 0"]);
  });

  it.each([
    ["bad padding after the address", bytes("/ch/01/mix/on\0XY,i\0\0\0\0\0\x01"), "bad_padding"],
    ["bad padding after the type tags", bytes("/a\0\0,i\0Z\0\0\0\x01"), "bad_padding"],
    ["unknown type tag", bytes("/ch/01/mix/on\0\0\0,x\0\0\0\0\0\x01"), "unknown_type_tag"],
    ["four strings promised, none sent", bytes("/xinfo\0\0,ssss\0\0\0"), "truncated"],
    ["an int32 cut short", bytes("/a\0\0,i\0\0\0\x01"), "bad_length"],
    ["an int32 missing", bytes("/a\0\0,ii\0\0\0\0\x01"), "truncated"],
    ["length not a multiple of 4", bytes("/ch/01/mix/fader\0\0\0\0,f\0\0\x3f\x40"), "bad_length"],
    ["address without a terminator", bytes("/abc"), "truncated"],
    ["address not starting with /", bytes("ch\0\0,\0\0\0"), "bad_address"],
    ["no ',' where the type tags belong", bytes("/a\0\0i\0\0\0\0\0\0\x01"), "missing_type_tags"],
    ["bytes after the last argument", bytes("/a\0\0,i\0\0\0\0\0\x01\0\0\0\0"), "bad_length"],
    ["a negative blob size", bytes("/a\0\0,b\0\0\xff\xff\xff\xff"), "bad_length"],
    ["a blob longer than the packet", bytes("/a\0\0,b\0\0\0\0\0\x10\x01\x02\x03\x04"), "truncated"],
    ["a bundle element of size 0", bytes("#bundle\0\0\0\0\0\0\0\0\x01\0\0\0\0"), "bad_bundle"],
    ["a bundle element past the end", bytes("#bundle\0\0\0\0\0\0\0\0\x01\0\0\0\x20/a\0\0"), "truncated"],
    ["an empty datagram", Buffer.alloc(0), "truncated"],
  ])("malformed: %s -> coded error %s, no throw", (_what, packet, code) => {
    const r = decodePacket(packet);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });

  it("reports an error inside a bundle at its offset in the whole packet", () => {
    const bad = bytes("/a\0\0,x\0\0");
    const r = decodePacket(encodeBundle([encodeMessage("/ok"), bad]));
    expect(r).toMatchObject({ ok: false, error: { code: "unknown_type_tag" } });
    // 16 header + 4 size + 8 "/ok" message + 4 size = 32: the element starts there; the tag is 5 bytes in.
    if (!r.ok) expect(r.error.offset).toBeGreaterThanOrEqual(32);
  });

  it("never throws on random bytes", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 2000; n++) {
      const len = Math.floor(rnd() * 40);
      const b = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
      if (rnd() < 0.5 && len > 0) b[0] = 0x2f; // start like an address half of the time
      expect(() => decodePacket(b)).not.toThrow();
    }
  });
});
