import { describe, it, expect } from "vitest";
import { MdcFrameSplitter, type JunkReason } from "./framer.js";
import { hexBytes, toHex } from "../transport/fake.js";

const ACK_ON = "AA FF 01 03 41 11 01 56";
const ACK_BRIGHT = "AA FF 02 03 41 25 32 9C"; // display 2, brightness 50

function splitter(mode: "reply" | "request" = "reply") {
  const s = new MdcFrameSplitter(mode);
  const junk: [string, JunkReason][] = [];
  s.onJunk = (b, r) => junk.push([toHex(b), r]);
  const feed = (...chunks: string[]) => chunks.flatMap((c) => s.push(hexBytes(c)).map(toHex));
  return { s, junk, feed };
}

describe("MDC framer", () => {
  it("one whole frame in one chunk", () => {
    const { feed, junk } = splitter();
    expect(feed(ACK_ON)).toEqual([ACK_ON]);
    expect(junk).toEqual([]);
  });

  it("fragmented byte by byte: one frame, emitted only when complete", () => {
    const { feed, s } = splitter();
    const bytes = ACK_ON.split(" ");
    const out = bytes.slice(0, -1).flatMap((b) => feed(b));
    expect(out).toEqual([]);
    expect(s.pending).toBe(7);
    expect(feed(bytes.at(-1)!)).toEqual([ACK_ON]);
  });

  it("concatenated frames in one chunk, split across the next", () => {
    const { feed } = splitter();
    expect(feed(`${ACK_ON} ${ACK_BRIGHT} AA FF`, "01 03 41 11 01 56")).toEqual([ACK_ON, ACK_BRIGHT, ACK_ON]);
  });

  it("resyncs on junk before a header", () => {
    const { feed, junk } = splitter();
    expect(feed(`13 37 00 ${ACK_ON}`)).toEqual([ACK_ON]);
    expect(junk).toEqual([["13 37 00", "no_header"]]);
  });

  it("a bad checksum is dropped and reported; the next frame still comes through", () => {
    const { feed, junk } = splitter();
    expect(feed(`AA FF 01 03 41 11 01 57 ${ACK_BRIGHT}`)).toEqual([ACK_BRIGHT]);
    expect(junk).toEqual([["AA FF 01 03 41 11 01 57", "bad_checksum"]]);
  });

  it("a frame cut short and glued to the next one: the cut part is dropped, the whole one found", () => {
    const { feed, junk } = splitter();
    // "AA FF 01 03 41" lost its last 3 bytes; LEN 3 makes the candidate swallow "AA FF 01" of the next frame.
    expect(feed(`AA FF 01 03 41 ${ACK_ON}`)).toEqual([ACK_ON]);
    expect(junk).toEqual([["AA FF 01 03 41", "bad_checksum"]]);
  });

  it("reply mode drops an AA that is not followed by FF at once (it cannot be an answer)", () => {
    const { feed, junk } = splitter();
    expect(feed(`AA 11 ${ACK_ON}`)).toEqual([ACK_ON]);
    expect(junk).toEqual([["AA", "not_reply"], ["11", "no_header"]]);
  });

  it("reply mode: AA FF with a data byte that is neither A nor N is dropped before LEN is trusted", () => {
    const { feed, junk } = splitter();
    expect(feed(`AA FF 01 F0 00 ${ACK_ON}`)).toEqual([ACK_ON]);
    expect(junk[0]).toEqual(["AA", "not_reply"]);
  });

  it("a short frame left pending is handed back by reset() and does not glue onto later bytes", () => {
    const { feed, s } = splitter();
    expect(feed("AA FF 01 03 41")).toEqual([]);
    expect(toHex(s.reset())).toBe("AA FF 01 03 41");
    expect(feed(ACK_ON)).toEqual([ACK_ON]);
  });

  it("request mode (the simulator) frames controller commands", () => {
    const { feed, junk } = splitter("request");
    expect(feed("AA 11 01 00 12 AA 14 01 01", "21 37")).toEqual(["AA 11 01 00 12", "AA 14 01 01 21 37"]);
    expect(junk).toEqual([]);
  });
});
