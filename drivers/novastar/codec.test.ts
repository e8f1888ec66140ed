import { describe, expect, it } from "vitest";
import {
  checksum, decodeFrame, encodeFrame, encodeRead, encodeReply, encodeWrite, NovaCodecError, statusName, type NovaFrame,
} from "./codec.js";
import { ALL_RECEIVERS, BUILTIN_MODELS, COMMON, CONTROLLER } from "./registers.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const show = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, "0").toUpperCase()).join(" ");

describe("NovaStar codec: the byte examples", () => {
  it("encodes the PROTOCOLS.md brightness example (~50 %) exactly", () => {
    const frame = encodeWrite(0x00, ALL_RECEIVERS, 0x02000001, Buffer.from([0x80]));
    expect(show(frame)).toBe("55 AA 00 00 FE FF 01 FF FF FF 01 00 01 00 00 02 01 00 80 D5 5A");
  });

  it("decodes the PROTOCOLS.md example field by field", () => {
    const f = decodeFrame(hex("55 AA 00 00 FE FF 01 FF FF FF 01 00 01 00 00 02 01 00 80 D5 5A"));
    expect(f).toEqual({
      kind: "request", status: 0, serial: 0, source: 0xfe, destination: 0xff, deviceType: 1, port: 0xff,
      boardIndex: 0xffff, op: "write", reserved: 0, register: 0x02000001, length: 1, data: Buffer.from([0x80]),
    });
  });

  it("checksum = sum(status..data) + 0x5555 (the MCTRL300 capture: 32+FE+1+A+1+5555 = 5691)", () => {
    const frame = hex("55 AA 00 32 FE 00 01 00 00 00 00 00 00 00 00 0A 00 01 91 56");
    expect(checksum(frame.subarray(2, 18))).toBe(0x5691);
    expect(decodeFrame(frame)).toMatchObject({ serial: 0x32, op: "read", register: 0x0a000000, length: 0x0100, data: Buffer.alloc(0) });
  });

  it("matches frames captured by the public Companion module (serial, targets, registers)", () => {
    // MCTRL4K input DVI, serial 3E: destination FF, sending card, port 0, board 0.
    const m = BUILTIN_MODELS["mctrl4k"]!;
    expect(show(encodeWrite(0x3e, m.input.ref.target, m.input.ref.register, Buffer.from([m.input.values["dvi"]!]))))
      .toBe("55 AA 00 3E FE FF 00 00 00 00 01 00 23 00 00 02 01 00 61 18 58");
    // VX4S input DVI.
    const v = BUILTIN_MODELS["vx4s"]!;
    expect(show(encodeWrite(0x00, v.input.ref.target, v.input.ref.register, Buffer.from([v.input.values["dvi"]!]))))
      .toBe("55 AA 00 00 FE 00 00 00 00 00 01 00 2D 00 20 02 01 00 10 B4 56");
    // Brightness 100 % and 0 %.
    expect(show(encodeWrite(0, COMMON.brightness.target, COMMON.brightness.register, Buffer.from([0xff])))).toMatch(/FF 54 5B$/);
    expect(show(encodeWrite(0, COMMON.brightness.target, COMMON.brightness.register, Buffer.from([0x00])))).toMatch(/00 55 5A$/);
    // Model id read: 2 bytes at 0x00000002 on the controller; no data in the request.
    expect(show(encodeRead(0, CONTROLLER, COMMON.modelId.register, 2))).toBe("55 AA 00 00 FE 00 00 00 00 00 00 00 02 00 00 00 02 00 57 56");
  });
});

describe("NovaStar codec: replies", () => {
  const read = decodeFrame(encodeRead(7, CONTROLLER, 0x00000002, 2));

  it("a read reply carries the data, the echoed serial and addresses, header AA 55", () => {
    const reply = encodeReply(read, { data: Buffer.from([0x03, 0x11]) });
    expect(show(reply.subarray(0, 4))).toBe("AA 55 00 07");
    expect(decodeFrame(reply)).toMatchObject({ kind: "reply", status: 0, serial: 7, op: "read", register: 2, length: 2, data: Buffer.from([0x03, 0x11]) });
  });

  it("a write reply echoes the length without data by default, with data when asked", () => {
    const write = decodeFrame(encodeWrite(9, ALL_RECEIVERS, 0x02000100, Buffer.from([0, 0, 0])));
    const plain = encodeReply(write);
    expect(plain.length).toBe(20);
    expect(decodeFrame(plain)).toMatchObject({ op: "write", length: 3, data: Buffer.alloc(0) });
    expect(decodeFrame(encodeReply(write, { echoWriteData: true }))).toMatchObject({ length: 3, data: Buffer.from([0, 0, 0]) });
  });

  it("carries a status byte: 01 timeout, 02/03 check error, 04 bad command", () => {
    const reply = encodeReply(read, { status: 4 });
    expect(reply[2]).toBe(4);
    expect(statusName(decodeFrame(reply).status)).toBe("bad_command");
    expect([0, 1, 2, 3, 4, 9].map(statusName)).toEqual(["ok", "timeout", "check_error", "check_error", "bad_command", "unknown"]);
  });
});

describe("NovaStar codec: bad input", () => {
  const good = hex("55 AA 00 00 FE FF 01 FF FF FF 01 00 01 00 00 02 01 00 80 D5 5A");
  const code = (b: Buffer) => {
    try {
      decodeFrame(b);
      return "decoded";
    } catch (e) {
      expect(e).toBeInstanceOf(NovaCodecError);
      return (e as NovaCodecError).code;
    }
  };

  it("refuses short frames, foreign headers, bad checksums, bad lengths and op bytes", () => {
    expect(code(good.subarray(0, 19))).toBe("short");
    expect(code(Buffer.concat([hex("55 55"), good.subarray(2)]))).toBe("bad_header");
    const flipped = Buffer.from(good);
    flipped[18] = 0x81;
    expect(code(flipped)).toBe("bad_checksum");
    expect(code(Buffer.concat([good.subarray(0, 19), hex("00"), good.subarray(19)]))).toBe("bad_length");
    const op = Buffer.from(good);
    op[10] = 2;
    expect(code(op)).toBe("bad_op");
  });

  it("refuses fields out of range when encoding", () => {
    const base: NovaFrame = decodeFrame(good);
    expect(() => encodeFrame({ ...base, serial: 256 })).toThrow(/serial must be an integer 0..255/);
    expect(() => encodeRead(0, CONTROLLER, 2, 0)).toThrow(NovaCodecError);
    expect(() => encodeWrite(0, CONTROLLER, 2, Buffer.alloc(0))).toThrow(NovaCodecError);
  });
});
