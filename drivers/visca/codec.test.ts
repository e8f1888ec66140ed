import { describe, it, expect } from "vitest";
import {
  decodeReply, decodeRequest, encodeCommand, encodeInquiry, encodeInquiryValue, encodeReply, fromNibbles,
  parseInquiryValue, toNibbles, ViscaCodecError, type ViscaCommand,
} from "./codec.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const show = (b: Buffer): string => b.toString("hex").toUpperCase().replace(/(..)(?!$)/g, "$1 ");

describe("encodeCommand: raw bytes of PROTOCOLS.md", () => {
  const cases: [string, number, ViscaCommand, string][] = [
    ["power on", 1, { type: "power", on: true }, "81 01 04 00 02 FF"],
    ["standby", 1, { type: "power", on: false }, "81 01 04 00 03 FF"],
    ["power on camera 3", 3, { type: "power", on: true }, "83 01 04 00 02 FF"],
    ["IF_Clear broadcast", 8, { type: "ifClear" }, "88 01 00 01 FF"],
    ["AddressSet", 8, { type: "addressSet" }, "88 30 01 FF"],
    ["pan-tilt up", 1, { type: "panTiltDrive", direction: "up", panSpeed: 0x18, tiltSpeed: 0x17 }, "81 01 06 01 18 17 03 01 FF"],
    ["pan-tilt down", 1, { type: "panTiltDrive", direction: "down", panSpeed: 1, tiltSpeed: 1 }, "81 01 06 01 01 01 03 02 FF"],
    ["pan-tilt left", 1, { type: "panTiltDrive", direction: "left", panSpeed: 5, tiltSpeed: 5 }, "81 01 06 01 05 05 01 03 FF"],
    ["pan-tilt right", 1, { type: "panTiltDrive", direction: "right", panSpeed: 5, tiltSpeed: 5 }, "81 01 06 01 05 05 02 03 FF"],
    ["pan-tilt up-left", 1, { type: "panTiltDrive", direction: "up-left", panSpeed: 5, tiltSpeed: 5 }, "81 01 06 01 05 05 01 01 FF"],
    ["pan-tilt down-right", 1, { type: "panTiltDrive", direction: "down-right", panSpeed: 5, tiltSpeed: 5 }, "81 01 06 01 05 05 02 02 FF"],
    ["pan-tilt stop", 1, { type: "panTiltDrive", direction: "stop", panSpeed: 5, tiltSpeed: 5 }, "81 01 06 01 05 05 03 03 FF"],
    ["absolute", 1, { type: "panTiltAbsolute", pan: 0x0990, tilt: -432, panSpeed: 0x18, tiltSpeed: 0x14 },
      "81 01 06 02 18 14 00 09 09 00 0F 0E 05 00 FF"],
    ["relative", 1, { type: "panTiltRelative", pan: -1, tilt: 1, panSpeed: 1, tiltSpeed: 1 },
      "81 01 06 03 01 01 0F 0F 0F 0F 00 00 00 01 FF"],
    ["home", 1, { type: "panTiltHome" }, "81 01 06 04 FF"],
    ["reset", 1, { type: "panTiltReset" }, "81 01 06 05 FF"],
    ["zoom stop", 1, { type: "zoom", mode: "stop" }, "81 01 04 07 00 FF"],
    ["zoom tele", 1, { type: "zoom", mode: "tele" }, "81 01 04 07 02 FF"],
    ["zoom wide", 1, { type: "zoom", mode: "wide" }, "81 01 04 07 03 FF"],
    ["zoom tele variable", 1, { type: "zoomVariable", direction: "tele", speed: 7 }, "81 01 04 07 27 FF"],
    ["zoom wide variable", 1, { type: "zoomVariable", direction: "wide", speed: 0 }, "81 01 04 07 30 FF"],
    ["zoom direct", 1, { type: "zoomDirect", position: 0x4000 }, "81 01 04 47 04 00 00 00 FF"],
    ["zoom direct 0x1A2B", 1, { type: "zoomDirect", position: 0x1a2b }, "81 01 04 47 01 0A 02 0B FF"],
    ["focus auto", 1, { type: "focusMode", mode: "auto" }, "81 01 04 38 02 FF"],
    ["focus manual", 1, { type: "focusMode", mode: "manual" }, "81 01 04 38 03 FF"],
    ["one-push", 1, { type: "focusOnePush" }, "81 01 04 18 01 FF"],
    ["preset recall 5", 1, { type: "preset", op: "recall", preset: 5 }, "81 01 04 3F 02 05 FF"],
    ["preset set 0", 1, { type: "preset", op: "set", preset: 0 }, "81 01 04 3F 01 00 FF"],
    ["preset reset 0x80", 1, { type: "preset", op: "reset", preset: 0x80 }, "81 01 04 3F 00 80 FF"],
    ["cancel socket 2", 1, { type: "cancel", socket: 2 }, "81 22 FF"],
  ];
  for (const [name, address, cmd, bytes] of cases) {
    it(`${name} -> ${bytes}`, () => {
      const frame = encodeCommand(address, cmd);
      expect(show(frame)).toBe(bytes);
      // The simulator side must read back exactly what the driver side wrote.
      const expected = cmd.type === "addressSet" ? { ...cmd, first: 1 } : cmd;
      expect(decodeRequest(frame)).toEqual({ kind: "command", address, command: expected });
    });
  }

  it("rejects out-of-range arguments with ViscaCodecError", () => {
    const bad: [number, ViscaCommand][] = [
      [0, { type: "power", on: true }],
      [9, { type: "power", on: true }],
      [1, { type: "panTiltDrive", direction: "up", panSpeed: 0x19, tiltSpeed: 1 }],
      [1, { type: "panTiltDrive", direction: "up", panSpeed: 1, tiltSpeed: 0x18 }],
      [1, { type: "panTiltDrive", direction: "up", panSpeed: 0, tiltSpeed: 1 }],
      [1, { type: "panTiltAbsolute", pan: 0x8000, tilt: 0, panSpeed: 1, tiltSpeed: 1 }],
      [1, { type: "panTiltAbsolute", pan: 0, tilt: -0x8001, panSpeed: 1, tiltSpeed: 1 }],
      [1, { type: "panTiltAbsolute", pan: 1.5, tilt: 0, panSpeed: 1, tiltSpeed: 1 }],
      [1, { type: "zoomDirect", position: 0x4001 }],
      [1, { type: "zoomDirect", position: -1 }],
      [1, { type: "zoomVariable", direction: "tele", speed: 8 }],
      [1, { type: "preset", op: "recall", preset: 0xff }],
      [1, { type: "preset", op: "recall", preset: -1 }],
    ];
    for (const [address, cmd] of bad) {
      expect(() => encodeCommand(address, cmd), JSON.stringify(cmd)).toThrow(ViscaCodecError);
    }
    try {
      encodeCommand(1, { type: "zoomDirect", position: 0x5000 });
    } catch (err) {
      expect((err as ViscaCodecError).code).toBe("out_of_range");
    }
  });
});

describe("encodeInquiry", () => {
  it("writes the four inquiries of PROTOCOLS.md", () => {
    expect(show(encodeInquiry(1, "power"))).toBe("81 09 04 00 FF");
    expect(show(encodeInquiry(1, "panTiltPosition"))).toBe("81 09 06 12 FF");
    expect(show(encodeInquiry(2, "zoomPosition"))).toBe("82 09 04 47 FF");
    expect(show(encodeInquiry(1, "focusMode"))).toBe("81 09 04 38 FF");
    expect(decodeRequest(hex("81 09 06 12 FF"))).toEqual({ kind: "inquiry", address: 1, inquiry: "panTiltPosition" });
  });
  it("refuses broadcast and address 0", () => {
    expect(() => encodeInquiry(8, "power")).toThrow(ViscaCodecError);
    expect(() => encodeInquiry(0, "power")).toThrow(ViscaCodecError);
  });
});

describe("decodeReply", () => {
  it("reads ACK, Completion, inquiry answers and network change", () => {
    expect(decodeReply(hex("90 41 FF"))).toEqual({ type: "ack", address: 1, socket: 1 });
    expect(decodeReply(hex("90 52 FF"))).toEqual({ type: "completion", address: 1, socket: 2 });
    expect(decodeReply(hex("A0 51 FF"))).toEqual({ type: "completion", address: 2, socket: 1 });
    expect(decodeReply(hex("90 50 FF"))).toEqual({ type: "completion", address: 1, socket: 0 });
    expect(decodeReply(hex("90 50 02 FF"))).toEqual({ type: "inquiry", address: 1, data: hex("02") });
    expect(decodeReply(hex("90 38 FF"))).toEqual({ type: "networkChange", address: 1 });
    expect(decodeReply(hex("88 30 02 FF"))).toEqual({ type: "addressSet", next: 2 });
    expect(decodeReply(hex("88 01 00 01 FF"))).toEqual({ type: "ifClear" });
  });
  it("reads every error of PROTOCOLS.md", () => {
    expect(decodeReply(hex("90 60 01 FF"))).toEqual({ type: "error", address: 1, socket: 0, code: "message_length", raw: 1 });
    expect(decodeReply(hex("90 60 02 FF"))).toEqual({ type: "error", address: 1, socket: 0, code: "syntax", raw: 2 });
    expect(decodeReply(hex("90 60 03 FF"))).toEqual({ type: "error", address: 1, socket: 0, code: "buffer_full", raw: 3 });
    expect(decodeReply(hex("90 62 04 FF"))).toEqual({ type: "error", address: 1, socket: 2, code: "cancelled", raw: 4 });
    expect(decodeReply(hex("90 61 05 FF"))).toEqual({ type: "error", address: 1, socket: 1, code: "no_socket", raw: 5 });
    expect(decodeReply(hex("90 61 41 FF"))).toEqual({ type: "error", address: 1, socket: 1, code: "not_executable", raw: 0x41 });
    expect(decodeReply(hex("90 60 7E FF"))).toEqual({ type: "error", address: 1, socket: 0, code: "unknown", raw: 0x7e });
  });
  it("never throws: odd frames come back as unknown with their bytes", () => {
    for (const s of ["", "FF", "90 FF", "90 41", "90 41 00 FF", "81 01 FF", "91 41 FF", "90 43 FF", "90 41 FF FF", "90 99 FF"]) {
      const frame = hex(s);
      expect(decodeReply(frame), s).toEqual({ type: "unknown", frame });
    }
  });
});

describe("inquiry values", () => {
  it("power and focus", () => {
    expect(parseInquiryValue("power", hex("02"))).toBe("on");
    expect(parseInquiryValue("power", hex("03"))).toBe("standby");
    expect(parseInquiryValue("focusMode", hex("02"))).toBe("auto");
    expect(parseInquiryValue("focusMode", hex("03"))).toBe("manual");
    expect(show(encodeInquiryValue("power", "standby"))).toBe("03");
    expect(show(encodeInquiryValue("focusMode", "auto"))).toBe("02");
  });
  it("pan-tilt position nibbles are signed 16-bit", () => {
    const data = hex("0F 0F 0F 0F 00 01 02 03");
    expect(parseInquiryValue("panTiltPosition", data)).toEqual({ pan: -1, tilt: 0x0123 });
    expect(show(encodeInquiryValue("panTiltPosition", { pan: -2448, tilt: 1296 }))).toBe("0F 06 07 00 00 05 01 00");
    expect(parseInquiryValue("panTiltPosition", hex("0F 06 07 00 00 05 01 00"))).toEqual({ pan: -2448, tilt: 1296 });
  });
  it("zoom position is unsigned 16-bit", () => {
    expect(parseInquiryValue("zoomPosition", hex("04 00 00 00"))).toBe(0x4000);
    expect(show(encodeInquiryValue("zoomPosition", 0x1a2b))).toBe("01 0A 02 0B");
  });
  it("throws ViscaCodecError (bad_data) on bad data", () => {
    const bad: [Parameters<typeof parseInquiryValue>[0], string][] = [
      ["power", "04"], ["power", "02 02"], ["power", ""], ["focusMode", "01"],
      ["panTiltPosition", "00 00 00 00 00 00 00"], ["panTiltPosition", "00 00 00 10 00 00 00 00"],
      ["zoomPosition", "00 00 00 00 00"], ["zoomPosition", "00 00 00 1F"],
    ];
    for (const [inq, s] of bad) {
      let error: unknown;
      try {
        parseInquiryValue(inq, hex(s));
      } catch (err) {
        error = err;
      }
      expect(error, `${inq} ${s}`).toBeInstanceOf(ViscaCodecError);
      expect((error as ViscaCodecError).code).toBe("bad_data");
    }
  });
});

describe("encodeReply (simulator side)", () => {
  it("writes the replies of PROTOCOLS.md", () => {
    expect(show(encodeReply({ type: "ack", address: 1, socket: 1 }))).toBe("90 41 FF");
    expect(show(encodeReply({ type: "completion", address: 1, socket: 1 }))).toBe("90 51 FF");
    expect(show(encodeReply({ type: "inquiry", address: 1, data: hex("02") }))).toBe("90 50 02 FF");
    expect(show(encodeReply({ type: "error", address: 1, socket: 0, code: "syntax", raw: 0 }))).toBe("90 60 02 FF");
    expect(show(encodeReply({ type: "error", address: 1, socket: 1, code: "not_executable", raw: 0 }))).toBe("90 61 41 FF");
    expect(show(encodeReply({ type: "error", address: 1, socket: 0, code: "buffer_full", raw: 0 }))).toBe("90 60 03 FF");
    expect(show(encodeReply({ type: "networkChange", address: 1 }))).toBe("90 38 FF");
    expect(show(encodeReply({ type: "addressSet", next: 2 }))).toBe("88 30 02 FF");
    expect(show(encodeReply({ type: "ifClear" }))).toBe("88 01 00 01 FF");
    expect(show(encodeReply({ type: "ack", address: 7, socket: 2 }))).toBe("F0 42 FF");
  });
  it("refuses an address outside 1..7 and FF in inquiry data", () => {
    expect(() => encodeReply({ type: "ack", address: 0, socket: 1 })).toThrow(ViscaCodecError);
    expect(() => encodeReply({ type: "inquiry", address: 1, data: hex("FF") })).toThrow(ViscaCodecError);
  });
});

describe("decodeRequest (simulator side)", () => {
  it("malformed: too short, too long, no FF, FF inside, header not 8x", () => {
    expect(decodeRequest(hex("81 FF")).kind).toBe("malformed");
    expect(decodeRequest(hex("81 01 04 00 02")).kind).toBe("malformed");
    expect(decodeRequest(hex("81 01 FF 00 FF")).kind).toBe("malformed");
    expect(decodeRequest(hex("81" + " 00".repeat(15) + " FF"))).toMatchObject({ kind: "malformed", address: 1 });
    expect(decodeRequest(hex("90 41 FF"))).toMatchObject({ kind: "malformed", address: 0 });
  });
  it("unknown: framed but not a known command, or out of range", () => {
    for (const s of ["81 01 04 00 05 FF", "81 01 04 FF", "81 01 06 01 19 01 03 01 FF", "81 01 06 01 01 01 03 04 FF",
      "81 01 04 47 04 00 00 01 FF", "81 01 04 3F 03 01 FF", "81 01 04 07 28 FF", "81 30 01 FF", "81 23 FF",
      "81 01 06 02 01 01 00 00 00 10 00 00 00 00 FF"]) {
      expect(decodeRequest(hex(s)), s).toEqual({ kind: "unknown", address: 1, frame: hex(s) });
    }
  });
  it("AddressSet from a camera up the chain carries the next address", () => {
    expect(decodeRequest(hex("88 30 03 FF"))).toEqual({ kind: "command", address: 8, command: { type: "addressSet", first: 3 } });
  });
});

describe("nibbles", () => {
  it("packs and unpacks, most significant first", () => {
    expect(show(toNibbles(0x1234, 4))).toBe("01 02 03 04");
    expect(show(toNibbles(-2, 4))).toBe("0F 0F 0F 0E");
    expect(fromNibbles(hex("00 0F 0F 0F 0E"), 1, 4, true)).toBe(-2);
    expect(fromNibbles(hex("0F 0F 0F 0E"), 0, 4)).toBe(0xfffe);
  });
  it("throws on values that do not fit and on missing bytes", () => {
    expect(() => toNibbles(0x10000, 4)).toThrow(ViscaCodecError);
    expect(() => toNibbles(-0x8001, 4)).toThrow(ViscaCodecError);
    expect(() => fromNibbles(hex("01 02"), 0, 4)).toThrow(ViscaCodecError);
  });
});
