import { describe, it, expect } from "vitest";
import {
  checksum, decodeFrame, decodeReply, encodeAck, encodeFrame, encodeGet, encodeNak, encodeSet, MdcCodecError,
  parseErrorStatus, parseModelNumber, parseStatus, parseText,
} from "./codec.js";
import { INPUT_CODES, inputName } from "./codec-tables.js";
import { hexBytes, toHex } from "../transport/fake.js";

describe("MDC codec: the PROTOCOLS.md example", () => {
  it("power get for display 1 is AA 11 01 00 12", () => {
    expect(toHex(encodeGet(1, "power"))).toBe("AA 11 01 00 12");
  });

  it("the answer AA FF 01 03 41 11 01 56 is an ACK from display 1: power on", () => {
    const r = decodeReply(hexBytes("AA FF 01 03 41 11 01 56"));
    expect(r).toEqual({ type: "ack", id: 1, rcmd: 0x11, values: Buffer.from([0x01]) });
    expect(toHex(encodeAck(1, 0x11, [0x01]))).toBe("AA FF 01 03 41 11 01 56");
  });

  it("checksum leaves the AA out and wraps at 256 (the spec's 11+FE+01+01 = 0x111 -> 11)", () => {
    expect(checksum([0x11, 0xfe, 0x01, 0x01])).toBe(0x11);
    expect(toHex(encodeSet(0xfe, { type: "power", value: "on" }))).toBe("AA 11 FE 01 01 11");
  });
});

describe("MDC codec: sets", () => {
  const cases: [Parameters<typeof encodeSet>[1], string][] = [
    [{ type: "power", value: "off" }, "AA 11 01 01 00 13"],
    [{ type: "power", value: "reboot" }, "AA 11 01 01 02 15"],
    [{ type: "volume", percent: 30 }, "AA 12 01 01 1E 32"],
    [{ type: "mute", on: true }, "AA 13 01 01 01 16"],
    [{ type: "input", input: "hdmi1" }, "AA 14 01 01 21 37"],
    [{ type: "input", input: "hdbaset" }, "AA 14 01 01 55 6B"],
    [{ type: "brightness", percent: 100 }, "AA 25 01 01 64 8B"],
    [{ type: "panel", blanked: true }, "AA F9 01 01 01 FC"],
    [{ type: "panel", blanked: false }, "AA F9 01 01 00 FB"],
  ];
  it.each(cases)("%j -> %s", (set, bytes) => {
    expect(toHex(encodeSet(1, set))).toBe(bytes);
  });

  it("refuses values the display cannot take", () => {
    expect(() => encodeSet(1, { type: "brightness", percent: 101 })).toThrow(MdcCodecError);
    expect(() => encodeSet(1, { type: "volume", percent: -1 })).toThrow(/0\.\.100/);
    expect(() => encodeFrame(0x11, 256)).toThrow(/not a byte/);
  });

  it("input table: the PROTOCOLS.md codes", () => {
    expect(INPUT_CODES).toEqual({
      hdmi1: 0x21, hdmi2: 0x23, hdmi3: 0x31, hdmi4: 0x33, dp1: 0x25, dp2: 0x26, dvi: 0x18, pc: 0x14, av: 0x0c, hdbaset: 0x55,
    });
    expect(inputName(0x22)).toBe("hdmi1"); // HDMI1 in PC mode is still the HDMI1 port
    expect(inputName(0x99)).toBe("code-0x99");
  });
});

describe("MDC codec: answers", () => {
  it("NAK AA FF 01 03 4E 14 02 67 carries the error code", () => {
    const nak = encodeNak(1, 0x14, 0x02);
    expect(toHex(nak)).toBe("AA FF 01 03 4E 14 02 67");
    expect(decodeReply(nak)).toEqual({ type: "nak", id: 1, rcmd: 0x14, error: 0x02 });
  });

  it("status: power, volume, mute, input (aspect and timers ignored)", () => {
    const r = decodeReply(hexBytes("AA FF 01 09 41 00 01 1E 00 21 10 00 00 9A"));
    expect(r.type).toBe("ack");
    if (r.type !== "ack") return;
    expect(parseStatus(r.values)).toEqual({ power: "on", volume: 30, mute: false, input: "hdmi1", inputCode: 0x21 });
  });

  it("error status: lamp, temperature error, sensor, no-sync, temperature, fan", () => {
    expect(parseErrorStatus(hexBytes("00 01 00 01 55 01"))).toEqual({
      lampError: false, temperatureError: true, noSync: true, temperature: 85, fanFault: true,
    });
    expect(parseErrorStatus(hexBytes("00 00 00 00 2A 02")).fanFault).toBeNull(); // 02: no fan
  });

  it("strings lose their NUL padding; model number reads species and code", () => {
    expect(parseText(Buffer.from("QM55R\0\0\0", "latin1"))).toBe("QM55R");
    expect(parseModelNumber(hexBytes("04 1F 01"))).toBe("LED 0x1f");
  });

  it("refuses cut, misaddressed or corrupted frames with a coded error", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as MdcCodecError).code;
      }
      return "none";
    };
    expect(code(() => decodeFrame(hexBytes("AA FF 01")))).toBe("short");
    expect(code(() => decodeFrame(hexBytes("AB FF 01 00 00")))).toBe("bad_header");
    expect(code(() => decodeFrame(hexBytes("AA FF 01 03 41 11 56")))).toBe("bad_length");
    expect(code(() => decodeFrame(hexBytes("AA FF 01 03 41 11 01 57")))).toBe("bad_checksum");
    expect(code(() => decodeReply(hexBytes("AA 11 01 00 12")))).toBe("not_reply");
    expect(code(() => decodeReply(encodeFrame(0xff, 1, [0x41])))).toBe("short");
    expect(code(() => decodeReply(encodeFrame(0xff, 1, [0x42, 0x11])))).toBe("not_reply");
  });
});
