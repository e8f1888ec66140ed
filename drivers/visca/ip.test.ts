import { describe, it, expect } from "vitest";
import { ViscaCodecError } from "./codec.js";
import {
  CONTROL_ERR_MESSAGE, CONTROL_ERR_SEQUENCE, CONTROL_RESET, decodeIpMessage, encodeIpMessage, nextSequence, PayloadType,
} from "./ip.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("VISCA over IP header", () => {
  it("wraps a command: type 0100, length, sequence, all big-endian", () => {
    const buf = encodeIpMessage({ payloadType: PayloadType.command, sequence: 0x01020304, payload: hex("81 01 04 00 02 FF") });
    expect(buf.toString("hex")).toBe("0100" + "0006" + "01020304" + "810104000" + "2ff");
  });
  it("a reply decodes to its parts and echoes the sequence", () => {
    const m = decodeIpMessage(hex("01 11 00 03 00 00 00 2A 90 41 FF"));
    expect(m).toEqual({ payloadType: PayloadType.reply, sequence: 42, payload: hex("90 41 FF") });
  });
  it("control messages: reset and the two control errors", () => {
    expect(encodeIpMessage({ payloadType: PayloadType.control, sequence: 0, payload: CONTROL_RESET }).toString("hex"))
      .toBe("02000001000000000" + "1");
    expect(decodeIpMessage(hex("02 01 00 02 00 00 00 07 0F 01")).payload).toEqual(CONTROL_ERR_SEQUENCE);
    expect(CONTROL_ERR_MESSAGE).toEqual(hex("0F 02"));
  });
  it("the largest sequence number survives the round trip and wraps to 0", () => {
    const buf = encodeIpMessage({ payloadType: PayloadType.inquiry, sequence: 0xffffffff, payload: hex("81 09 04 00 FF") });
    expect(decodeIpMessage(buf).sequence).toBe(0xffffffff);
    expect(nextSequence(0xffffffff)).toBe(0);
    expect(nextSequence(7)).toBe(8);
  });
  it("throws bad_header for a short datagram or a length field that disagrees", () => {
    for (const s of ["", "01 00 00 00 00 00 00", "01 00 00 05 00 00 00 01 81 09 04 00", "01 00 00 01 00 00 00 01 81 09"]) {
      let error: unknown;
      try {
        decodeIpMessage(hex(s));
      } catch (err) {
        error = err;
      }
      expect(error, s).toBeInstanceOf(ViscaCodecError);
      expect((error as ViscaCodecError).code).toBe("bad_header");
    }
  });
  it("refuses a sequence outside u32", () => {
    expect(() => encodeIpMessage({ payloadType: 0x0100, sequence: 2 ** 32, payload: hex("FF") })).toThrow(ViscaCodecError);
    expect(() => encodeIpMessage({ payloadType: 0x0100, sequence: -1, payload: hex("FF") })).toThrow(ViscaCodecError);
  });
});
