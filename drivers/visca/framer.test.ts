import { describe, it, expect } from "vitest";
import { FrameSplitter, ViscaFramer, type GarbageReason } from "./framer.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const show = (b: Buffer): string => b.toString("hex").toUpperCase().replace(/(..)(?!$)/g, "$1 ");

function splitter(): { s: FrameSplitter; garbage: [string, GarbageReason][] } {
  const s = new FrameSplitter();
  const garbage: [string, GarbageReason][] = [];
  s.onGarbage = (bytes, reason) => garbage.push([show(bytes), reason]);
  return { s, garbage };
}

describe("FrameSplitter", () => {
  it("reassembles a frame fed byte by byte", () => {
    const { s, garbage } = splitter();
    const out: Buffer[] = [];
    for (const b of hex("90 50 02 FF")) out.push(...s.push(Buffer.from([b])));
    expect(out.map(show)).toEqual(["90 50 02 FF"]);
    expect(garbage).toEqual([]);
    expect(s.pending).toBe(0);
  });

  it("splits several frames in one chunk", () => {
    const { s } = splitter();
    expect(s.push(hex("90 41 FF 90 51 FF 90 50 02 FF 90 42")).map(show)).toEqual(["90 41 FF", "90 51 FF", "90 50 02 FF"]);
    expect(s.pending).toBe(2);
    expect(s.push(hex("FF")).map(show)).toEqual(["90 42 FF"]);
  });

  it("drops bytes before a header, stray FF included, and reports them once per run", () => {
    const { s, garbage } = splitter();
    expect(s.push(hex("00 13 FF 7E 90 41 FF 05 06 90 51 FF")).map(show)).toEqual(["90 41 FF", "90 51 FF"]);
    expect(garbage).toEqual([["00 13 FF 7E", "no_header"], ["05 06", "no_header"]]);
  });

  it("keeps data bytes with the high bit set inside a frame (preset 0x81)", () => {
    const { s } = splitter();
    expect(s.push(hex("81 01 04 3F 02 81 FF")).map(show)).toEqual(["81 01 04 3F 02 81 FF"]);
  });

  it("drops 16 bytes without FF as too_long and resyncs on the next header", () => {
    const { s, garbage } = splitter();
    const long = hex("81 01 06 02 18 14 00 00 00 00 00 00 00 00 00 00");
    expect(s.push(Buffer.concat([long, hex("00 FF 90 41 FF")])).map(show)).toEqual(["90 41 FF"]);
    expect(garbage).toEqual([[show(long), "too_long"], ["00 FF", "no_header"]]);
  });

  it("a truncated frame merges with the next one (lost FF), and the stream resyncs after it", () => {
    const { s, garbage } = splitter();
    // `90 41` lost its FF: what follows up to the next FF is one (bad) frame, the next frame is intact.
    expect(s.push(hex("90 41 90 51 FF 90 50 03 FF")).map(show)).toEqual(["90 41 90 51 FF", "90 50 03 FF"]);
    expect(garbage).toEqual([]);
  });

  it("reset() forgets the frame in progress and returns it", () => {
    const { s } = splitter();
    s.push(hex("90 50 0F"));
    expect(show(s.reset())).toBe("90 50 0F");
    expect(s.push(hex("02 FF 90 41 FF")).map(show)).toEqual(["90 41 FF"]);
  });
});

describe("ViscaFramer (Transform)", () => {
  it("emits one Buffer per frame and reports garbage as an event", async () => {
    const framer = new ViscaFramer();
    const frames: string[] = [];
    const garbage: [string, GarbageReason][] = [];
    framer.on("data", (f: Buffer) => frames.push(show(f)));
    framer.on("garbage", (bytes, reason) => garbage.push([show(bytes), reason]));
    const ended = new Promise<void>((resolve) => framer.on("end", () => resolve()));
    framer.write(hex("55 90"));
    framer.write(hex("41"));
    framer.write(hex("FF 90 51 FF 90"));
    framer.end(hex("50"));
    await ended;
    expect(frames).toEqual(["90 41 FF", "90 51 FF"]);
    expect(garbage).toEqual([["55", "no_header"], ["90 50", "no_header"]]);
  });
});
