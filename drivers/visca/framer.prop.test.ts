/**
 * Property tests of FrameSplitter (issue 9, item 5).
 *
 * What the splitter guarantees (framer.ts): outside a frame, bytes < 0x80 and FF are dropped; a byte
 * >= 0x80 (not FF) opens a frame; inside a frame only FF closes it, or 16 bytes without FF drop it.
 * Hence, precisely:
 *  - chunking does not matter: any cut of the same bytes yields the same frames;
 *  - frames separated by header-free bytes (0x00..0x7F, FF) come out exactly, in order;
 *  - after arbitrary garbage, one FF puts the splitter back at a frame boundary, so every valid frame
 *    that follows is recovered (the garbage itself may yield extra frames before them);
 *  - every byte is accounted for: emitted + dropped + pending = pushed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameSplitter, MAX_FRAME_LENGTH } from "./framer.js";

const RUNS = 500;

/** A frame as the splitter defines it: header 0x80..0xFE, body without FF, FF; at most 16 bytes. */
const frameArb = fc
  .tuple(fc.integer({ min: 0x80, max: 0xfe }), fc.array(fc.integer({ min: 0, max: 0xfe }), { maxLength: MAX_FRAME_LENGTH - 2 }))
  .map(([h, body]) => Buffer.from([h, ...body, 0xff]));

/** Bytes that can never open a frame. */
const headerFreeArb = fc.array(fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.constant(0xff)), { maxLength: 8 });

/** Cut `bytes` at the given (unsorted, possibly repeated) positions. */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(from, p));
    from = p;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

function run(chunks: Buffer[]): { frames: Buffer[]; dropped: number; splitter: FrameSplitter } {
  const splitter = new FrameSplitter();
  let dropped = 0;
  splitter.onGarbage = (bytes) => (dropped += bytes.length);
  const frames = chunks.flatMap((c) => splitter.push(c));
  return { frames, dropped, splitter };
}

const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe("FrameSplitter properties", () => {
  it("valid frames cut into arbitrary chunks come out exactly, in order", () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 10 }), cuts, (frames, at) => {
        const { frames: out, dropped, splitter } = run(cut(Buffer.concat(frames), at));
        expect(out).toEqual(frames);
        expect(dropped).toBe(0);
        expect(splitter.pending).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  it("header-free garbage between frames is dropped and every frame is recovered", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(headerFreeArb, frameArb), { maxLength: 8 }), headerFreeArb, cuts, (pairs, tail, at) => {
        const bytes = Buffer.from([...pairs.flatMap(([g, f]) => [...g, ...f]), ...tail]);
        const { frames, dropped } = run(cut(bytes, at));
        expect(frames).toEqual(pairs.map(([, f]) => f));
        expect(dropped).toBe(pairs.reduce((n, [g]) => n + g.length, 0) + tail.length);
      }),
      { numRuns: RUNS },
    );
  });

  it("arbitrary garbage never throws; frames end in FF, are <= 16 bytes; after garbage + FF the valid frames are recovered", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.array(frameArb, { maxLength: 6 }), cuts, (garbage, frames, at) => {
        const lead = Buffer.from([...garbage, 0xff]);
        const expectedLead = run([lead]).frames;
        const bytes = Buffer.concat([lead, ...frames]);
        const { frames: out, dropped, splitter } = run(cut(bytes, at));
        for (const f of out) {
          expect(f[f.length - 1]).toBe(0xff);
          expect(f.length).toBeLessThanOrEqual(MAX_FRAME_LENGTH);
          expect(f[0]! >= 0x80 && f[0] !== 0xff).toBe(true);
        }
        expect(out).toEqual([...expectedLead, ...frames]);
        expect(splitter.pending).toBe(0);
        // Every byte is a frame byte or a dropped byte.
        expect(out.reduce((n, f) => n + f.length, 0) + dropped).toBe(bytes.length);
      }),
      { numRuns: RUNS },
    );
  });

  it("on any byte stream, emitted + dropped + pending bytes = bytes pushed, whatever the chunking", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), cuts, (raw, at) => {
        const bytes = Buffer.from(raw);
        const whole = run([bytes]);
        const chunked = run(cut(bytes, at));
        expect(chunked.frames).toEqual(whole.frames);
        const emitted = chunked.frames.reduce((n, f) => n + f.length, 0);
        expect(emitted + chunked.dropped + chunked.splitter.pending).toBe(bytes.length);
        expect(chunked.splitter.pending).toBeLessThan(MAX_FRAME_LENGTH);
      }),
      { numRuns: RUNS },
    );
  });
});
