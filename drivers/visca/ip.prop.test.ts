/**
 * Property tests of the VISCA-over-IP header codec (issue 9, item 5): any message with a u16 type,
 * u32 sequence and a payload of up to 16 bytes round-trips; arbitrary datagrams either decode (and
 * then re-encode to the very same bytes) or throw ViscaCodecError `bad_header`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ViscaCodecError } from "./codec.js";
import { decodeIpMessage, encodeIpMessage, HEADER_LENGTH } from "./ip.js";

describe("VISCA over IP properties", () => {
  it("encode/decode round-trips any payload type, sequence and payload of up to 16 bytes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.uint8Array({ maxLength: 16 }),
        (payloadType, sequence, payload) => {
          const m = { payloadType, sequence, payload: Buffer.from(payload) };
          const buf = encodeIpMessage(m);
          expect(buf.length).toBe(HEADER_LENGTH + payload.length);
          expect(buf.readUInt16BE(2)).toBe(payload.length);
          expect(decodeIpMessage(buf)).toEqual(m);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("decodeIpMessage on arbitrary bytes returns a message that re-encodes identically, or throws bad_header", () => {
    // Half the cases carry a correct length field, so the success branch is exercised too.
    const datagram = fc.oneof(
      fc.uint8Array({ maxLength: 32 }).map((a) => Buffer.from(a)),
      fc.tuple(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.uint8Array({ maxLength: 24 })).map(([h, p]) => {
        const b = Buffer.concat([Buffer.from(h), Buffer.from(p)]);
        b.writeUInt16BE(p.length, 2);
        return b;
      }),
    );
    fc.assert(
      fc.property(datagram, (bytes) => {
        try {
          expect(encodeIpMessage(decodeIpMessage(bytes))).toEqual(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(ViscaCodecError);
          expect((err as ViscaCodecError).code).toBe("bad_header");
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("out-of-range type or sequence is refused with ViscaCodecError out_of_range", () => {
    const bad = fc.oneof(
      fc.record({ payloadType: fc.oneof(fc.integer({ min: 0x10000 }), fc.integer({ max: -1 }), fc.double({ noInteger: true })), sequence: fc.constant(0) }),
      fc.record({ payloadType: fc.constant(0x0100), sequence: fc.oneof(fc.double({ min: 2 ** 32, noNaN: true }), fc.integer({ max: -1 }), fc.constant(Number.NaN)) }),
    );
    fc.assert(
      fc.property(bad, ({ payloadType, sequence }) => {
        expect(() => encodeIpMessage({ payloadType, sequence, payload: Buffer.alloc(0) })).toThrow(ViscaCodecError);
      }),
      { numRuns: 300 },
    );
  });
});
