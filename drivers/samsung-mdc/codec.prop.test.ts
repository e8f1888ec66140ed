/** Property tests (issue 9, item 5): MDC decode never throws anything but a coded error; the framer survives any stream. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeFrame, decodeReply, encodeAck, MdcCodecError } from "./codec.js";
import { MdcFrameSplitter } from "./framer.js";

describe("MDC codec properties", () => {
  it("decodeFrame / decodeReply: a value or a coded MdcCodecError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        for (const f of [decodeFrame, decodeReply]) {
          try {
            f(Buffer.from(bytes));
          } catch (err) {
            expect(err).toBeInstanceOf(MdcCodecError);
          }
        }
      }),
    );
  });

  it("framer: ACKs split anywhere come out whole, in order, after junk without a header byte", () => {
    const ackArb = fc
      .tuple(fc.integer({ min: 0, max: 0xfd }), fc.integer({ min: 0, max: 0xff }), fc.uint8Array({ maxLength: 10 }))
      .map(([id, cmd, v]) => encodeAck(id, cmd, v));
    fc.assert(
      fc.property(fc.array(ackArb, { minLength: 1, maxLength: 5 }), fc.uint8Array({ maxLength: 20 }), fc.nat({ max: 7 }), (acks, junk, step) => {
        const s = new MdcFrameSplitter("reply");
        const clean = Buffer.from(junk.filter((b) => b !== 0xaa));
        const stream = Buffer.concat([clean, ...acks]);
        const out: Buffer[] = [];
        for (let i = 0; i < stream.length; i += step + 1) out.push(...s.push(stream.subarray(i, i + step + 1)));
        expect(out.map((f) => f.toString("hex"))).toEqual(acks.map((a) => a.toString("hex")));
      }),
      { numRuns: 300 },
    );
  });
});
