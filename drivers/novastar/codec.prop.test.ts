/**
 * Property tests (issue 9, item 5): the NovaStar codec and framer never throw out of the driver,
 * never lose a valid frame to chunking, and recover after garbage.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeFrame, encodeRead, encodeReply, NovaCodecError } from "./codec.js";
import { NovaFrameSplitter } from "./framer.js";

const target = { destination: 0, deviceType: 1, port: 0, boardIndex: 0 };
const replyArb = fc
  .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ minLength: 1, maxLength: 16 }))
  .map(([serial, register, data]) => encodeReply(decodeFrame(encodeRead(serial, target, register, data.length)), { data: Buffer.from(data) }));

function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

describe("NovaStar codec properties", () => {
  it("decodeFrame: any bytes give a frame or a coded NovaCodecError, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeFrame(Buffer.from(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(NovaCodecError);
          expect((err as NovaCodecError).code).toMatch(/^(short|bad_header|bad_checksum|bad_length|bad_op|bad_field)$/);
        }
      }),
    );
  });

  it("framer: replies come out whole and in order however the stream is cut, after any garbage", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.array(replyArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 8 }), (junk, replies, at) => {
        const s = new NovaFrameSplitter("reply");
        // Garbage first, then a clean stream: a garbage run can hide at most what it overlaps.
        s.push(Buffer.from(junk));
        s.push(Buffer.alloc(64)); // zeros: no header, flushes whatever partial frame the junk opened
        const frames = cut(Buffer.concat(replies), at).flatMap((c) => s.push(c));
        expect(frames.map((f) => f.serial)).toEqual(replies.map((r) => decodeFrame(r).serial));
      }),
      { numRuns: 300 },
    );
  });
});
