import { describe, expect, it } from "vitest";
import { decodeFrame, encodeRead, encodeReply, encodeWrite } from "./codec.js";
import { NovaFrameSplitter } from "./framer.js";
import { ALL_RECEIVERS, CONTROLLER } from "./registers.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const readReq = (serial: number) => decodeFrame(encodeRead(serial, CONTROLLER, 0x00000002, 2));
const writeReq = (serial: number) => decodeFrame(encodeWrite(serial, ALL_RECEIVERS, 0x02000001, Buffer.from([0x80])));
const readReply = (serial: number) => encodeReply(readReq(serial), { data: Buffer.from([0x03, 0x11]) });
const writeReply = (serial: number, echo = false) => encodeReply(writeReq(serial), { echoWriteData: echo });

function splitter(kind: "reply" | "request" = "reply") {
  const s = new NovaFrameSplitter(kind);
  const bad: { reason: string; bytes: string }[] = [];
  s.onBad = (bytes, reason) => bad.push({ reason, bytes: bytes.toString("hex") });
  return { s, bad };
}

describe("NovaFrameSplitter", () => {
  it("reassembles a reply fed one byte at a time", () => {
    const { s, bad } = splitter();
    const frames = [...readReply(5)].flatMap((b) => s.push(Buffer.from([b])));
    expect(frames.map((f) => [f.serial, f.data.toString("hex")])).toEqual([[5, "0311"]]);
    expect(bad).toEqual([]);
    expect(s.pending).toBe(0);
  });

  it("splits concatenated replies: read (with data), write (without), write echoing its data", () => {
    const { s, bad } = splitter();
    const frames = s.push(Buffer.concat([readReply(1), writeReply(2), writeReply(3, true), readReply(4)]));
    expect(frames.map((f) => [f.serial, f.op, f.data.length])).toEqual([[1, "read", 2], [2, "write", 0], [3, "write", 1], [4, "read", 2]]);
    expect(bad).toEqual([]);
  });

  it("a write reply echoing its data, split right after the length field, still comes out whole", () => {
    const { s } = splitter();
    const whole = writeReply(8, true);
    expect(s.push(whole.subarray(0, 20))).toEqual([]);
    expect(s.push(whole.subarray(20)).map((f) => f.data.toString("hex"))).toEqual(["80"]);
  });

  it("accepts a read reply with an error status and no data", () => {
    const { s } = splitter();
    const frames = s.push(encodeReply(readReq(6), { status: 1 }));
    expect(frames.map((f) => [f.serial, f.status, f.data.length])).toEqual([[6, 1, 0]]);
  });

  it("skips junk before a header and reports it as garbage", () => {
    const { s, bad } = splitter();
    const frames = s.push(Buffer.concat([hex("00 13 FF 55"), readReply(9)]));
    expect(frames.map((f) => f.serial)).toEqual([9]);
    expect(bad).toEqual([{ reason: "garbage", bytes: "0013ff55" }]);
    expect(s.stats).toMatchObject({ frames: 1, garbageBytes: 4, checksumErrors: 0 });
  });

  it("counts a checksum error, reports it, and resyncs on the next AA 55", () => {
    const { s, bad } = splitter();
    const corrupt = readReply(1);
    corrupt[19] = corrupt[19]! ^ 0xff; // a data byte flipped on the line
    const frames = s.push(Buffer.concat([corrupt, readReply(2)]));
    expect(frames.map((f) => f.serial)).toEqual([2]);
    expect(s.stats.checksumErrors).toBe(1);
    expect(bad).toEqual([{ reason: "checksum", bytes: corrupt.toString("hex") }]);
  });

  it("a fake header (AA 55 + junk) in front of a real reply does not stall or swallow it", () => {
    const { s } = splitter();
    expect(s.push(hex("AA 55 13 00 FE"))).toEqual([]);
    const frames = s.push(readReply(3));
    expect(frames.map((f) => f.serial)).toEqual([3]);
    expect(s.pending).toBe(0);
  });

  it("keeps a trailing AA that may start the next header", () => {
    const { s, bad } = splitter();
    const r = readReply(4);
    expect(s.push(Buffer.concat([hex("01 02"), r.subarray(0, 1)]))).toEqual([]);
    expect(s.push(r.subarray(1)).map((f) => f.serial)).toEqual([4]);
    expect(bad).toEqual([{ reason: "garbage", bytes: "0102" }]);
  });

  it("the request side (a simulator) frames 55 AA requests; write requests carry data", () => {
    const { s } = splitter("request");
    const frames = s.push(Buffer.concat([encodeRead(1, CONTROLLER, 2, 2), encodeWrite(2, ALL_RECEIVERS, 0x02000100, Buffer.from([0, 0, 0]))]));
    expect(frames.map((f) => [f.serial, f.op, f.length, f.data.length])).toEqual([[1, "read", 2, 0], [2, "write", 3, 3]]);
  });

  it("reset() drops a partial frame (after a timeout)", () => {
    const { s } = splitter();
    s.push(readReply(1).subarray(0, 10));
    expect(s.reset().length).toBe(10);
    expect(s.push(readReply(2)).map((f) => f.serial)).toEqual([2]);
  });

  it("never throws on random bytes, and still finds a good reply afterwards", () => {
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const { s } = splitter();
    for (let i = 0; i < 300; i++) {
      const chunk = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 40) }, () => (rnd() < 0.1 ? [0xaa, 0x55][i % 2]! : Math.floor(rnd() * 256))));
      expect(() => s.push(chunk)).not.toThrow();
    }
    s.reset();
    expect(s.push(readReply(7)).map((f) => f.serial)).toEqual([7]);
  });
});
