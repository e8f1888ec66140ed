/**
 * STAMP / TWAMP-light packets against the layouts of RFC 8762 §4.2.1 and §4.3.1 (and RFC 5357's
 * shorter TWAMP-light forms), byte for byte; short and odd datagrams are refused with a reason.
 */
import { describe, expect, it } from "vitest";
import {
  decodeErrorEstimate,
  decodeReflectorPacket,
  decodeSenderPacket,
  DEFAULT_ERROR_ESTIMATE,
  encodeErrorEstimate,
  encodeReflectorPacket,
  encodeSenderPacket,
  errorEstimateMs,
  msFromNtp,
  ntpDiffMs,
  ntpFromMs,
} from "./codec.js";
import { reflect } from "./reflect.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const zeros = (n: number): string => "00".repeat(n);

// Sender: seq 1, T1 = E6F4A1B2.80000000, error estimate S=0 Z=0 scale 22 multiplier 1, MBZ to 44.
const SENDER_44 = hex(`00000001 e6f4a1b2 80000000 1601 ${zeros(30)}`);
// Reflector: seq 1, T3 E6F4A1B3.40000000, error 1601, MBZ(2), T2 E6F4A1B3.20000000, sender seq 1,
// sender T1, sender error 1601, MBZ(2), sender TTL 255, MBZ(3).
const REFLECTOR_44 = hex(
  `00000001 e6f4a1b3 40000000 1601 0000 e6f4a1b3 20000000 00000001 e6f4a1b2 80000000 1601 0000 ff 000000`,
);
const T1 = { seconds: 0xe6f4a1b2, fraction: 0x80000000 };
const T2 = { seconds: 0xe6f4a1b3, fraction: 0x20000000 };
const T3 = { seconds: 0xe6f4a1b3, fraction: 0x40000000 };

describe("timestamps (NTP 64-bit, RFC 5905)", () => {
  it("the Unix epoch is 2208988800 s after 1900; half a second is fraction 2^31", () => {
    expect(ntpFromMs(0)).toEqual({ seconds: 2_208_988_800, fraction: 0 });
    expect(ntpFromMs(1500)).toEqual({ seconds: 2_208_988_801, fraction: 0x80000000 });
    expect(ntpFromMs(0.25)).toEqual({ seconds: 2_208_988_800, fraction: 0x0010624e }); // 2^32 / 4000, rounded
    expect(ntpFromMs(-1)).toEqual({ seconds: 2_208_988_799, fraction: 0xffbe76c9 }); // before 1970: still exact
  });

  it("wraps into era 1 on 2036-02-07 06:28:16 UTC and reads back in the era nearest the reader", () => {
    const wrapMs = Date.UTC(2036, 1, 7, 6, 28, 16);
    expect(ntpFromMs(wrapMs)).toEqual({ seconds: 0, fraction: 0 });
    expect(ntpFromMs(wrapMs - 1000)).toEqual({ seconds: 0xffffffff, fraction: 0 });
    expect(msFromNtp({ seconds: 1, fraction: 0 }, wrapMs - 5000)).toBe(wrapMs + 1000);
    expect(msFromNtp({ seconds: 0xffffffff, fraction: 0 }, wrapMs + 5000)).toBe(wrapMs - 1000);
  });

  it("differences are exact to the fraction and survive the wrap; PTP (Z=1) counts nanoseconds", () => {
    expect(ntpDiffMs(T3, T2)).toBe(125); // 0x20000000 / 2^32 s = 1/8 s
    expect(ntpDiffMs(T2, T1)).toBe(625);
    expect(ntpDiffMs({ seconds: 0, fraction: 0 }, { seconds: 0xffffffff, fraction: 0x80000000 })).toBe(500);
    expect(ntpDiffMs({ seconds: 10, fraction: 250_000_000 }, { seconds: 9, fraction: 750_000_000 }, true)).toBe(500);
  });

  it("error estimate: S|Z|scale(6)|multiplier(8), error = multiplier × 2^(scale−32) s", () => {
    expect(encodeErrorEstimate(DEFAULT_ERROR_ESTIMATE)).toBe(0x1601);
    expect(decodeErrorEstimate(0xc0ff)).toEqual({ synchronized: true, ptp: true, scale: 0, multiplier: 255 });
    expect(errorEstimateMs(DEFAULT_ERROR_ESTIMATE)).toBeCloseTo(0.9765625, 9);
    expect(() => encodeErrorEstimate({ ...DEFAULT_ERROR_ESTIMATE, scale: 64 })).toThrow(/scale/);
  });
});

describe("Session-Sender packet (RFC 8762 §4.2.1)", () => {
  it("encodes the 44-octet base packet: seq, T1, error estimate, 30 octets MBZ", () => {
    expect(encodeSenderPacket({ seq: 1, timestamp: T1, errorEstimate: DEFAULT_ERROR_ESTIMATE })).toEqual(SENDER_44);
  });

  it("pads a larger packet with zeros and refuses sizes below the base or above 1472", () => {
    const big = encodeSenderPacket({ seq: 0xfffffffe, timestamp: T1, errorEstimate: DEFAULT_ERROR_ESTIMATE }, 128);
    expect(big.length).toBe(128);
    expect(big.subarray(0, 4)).toEqual(hex("fffffffe"));
    expect(big.subarray(14).equals(Buffer.alloc(114))).toBe(true);
    expect(() => encodeSenderPacket({ seq: 1, timestamp: T1, errorEstimate: DEFAULT_ERROR_ESTIMATE }, 43)).toThrow(/44\.\.1472/);
    expect(() => encodeSenderPacket({ seq: 1, timestamp: T1, errorEstimate: DEFAULT_ERROR_ESTIMATE }, 1473)).toThrow(/44\.\.1472/);
    expect(() => encodeSenderPacket({ seq: 2 ** 32, timestamp: T1, errorEstimate: DEFAULT_ERROR_ESTIMATE })).toThrow(/u32/);
  });

  it("decodes from 14 octets (a TWAMP-light sender's header) and ignores MBZ and padding", () => {
    const withJunk = Buffer.concat([SENDER_44.subarray(0, 14), Buffer.alloc(30, 0xaa)]);
    for (const b of [SENDER_44, SENDER_44.subarray(0, 14), withJunk]) {
      expect(decodeSenderPacket(b)).toEqual({ ok: true, length: b.length, packet: { seq: 1, timestamp: T1, errorEstimate: DEFAULT_ERROR_ESTIMATE } });
    }
  });

  it("refuses every datagram shorter than 14 octets, with the reason", () => {
    for (let n = 0; n < 14; n++) {
      expect(decodeSenderPacket(SENDER_44.subarray(0, n))).toEqual({ ok: false, error: { code: "short", message: `sender packet of ${n} octets; at least 14 expected` } });
    }
  });
});

describe("Session-Reflector packet (RFC 8762 §4.3.1)", () => {
  const packet = {
    seq: 1, timestamp: T3, errorEstimate: DEFAULT_ERROR_ESTIMATE, receiveTimestamp: T2,
    senderSeq: 1, senderTimestamp: T1, senderErrorEstimate: DEFAULT_ERROR_ESTIMATE, senderTtl: 255,
  };

  it("encodes and decodes the 44-octet base packet", () => {
    expect(encodeReflectorPacket(packet)).toEqual(REFLECTOR_44);
    expect(decodeReflectorPacket(REFLECTOR_44)).toEqual({ ok: true, length: 44, packet });
  });

  it("accepts a TWAMP-light reflector's 41 octets (RFC 5357 §4.2.1) and ignores non-zero MBZ", () => {
    expect(decodeReflectorPacket(REFLECTOR_44.subarray(0, 41))).toMatchObject({ ok: true, packet });
    const dirty = Buffer.from(REFLECTOR_44);
    dirty.fill(0xee, 14, 16);
    dirty.fill(0xee, 38, 40);
    dirty.fill(0xee, 41, 44); // domoslabs/twamp-light puts the sender's TOS at 41
    expect(decodeReflectorPacket(dirty)).toMatchObject({ ok: true, packet });
  });

  it("refuses every datagram shorter than 41 octets, and PTP nanoseconds out of range", () => {
    for (let n = 0; n < 41; n++) expect(decodeReflectorPacket(REFLECTOR_44.subarray(0, n))).toMatchObject({ ok: false, error: { code: "short" } });
    const ptp = Buffer.from(REFLECTOR_44);
    ptp.writeUInt16BE(0x4000 | 0x1601, 12); // Z=1
    ptp.writeUInt32BE(1_000_000_000, 8);
    expect(decodeReflectorPacket(ptp)).toMatchObject({ ok: false, error: { code: "bad_timestamp" } });
  });
});

describe("reflect: the stateless reflector's step (RFC 8762 §4.3, §4.6)", () => {
  const stamps = { received: T2, sent: T3, ttl: 255 };

  it("answers the 44-octet sender packet with exactly the RFC's reflected packet", () => {
    expect(reflect(SENDER_44, stamps)).toEqual({ ok: true, reply: REFLECTOR_44, senderSeq: 1 });
  });

  it("answers a 14-octet TWAMP-light packet with the 44-octet base packet, TTL 0 when unknown", () => {
    const r = reflect(SENDER_44.subarray(0, 14), { received: T2, sent: T3 });
    expect(r.ok && r.reply).toEqual(hex(`${REFLECTOR_44.subarray(0, 40).toString("hex")} 00 000000`));
  });

  it("is symmetric: a longer packet is answered with as many octets, the part beyond 44 copied", () => {
    const tail = Buffer.from("roomgate-padding");
    const r = reflect(Buffer.concat([SENDER_44, tail]), stamps);
    expect(r.ok && r.reply).toEqual(Buffer.concat([REFLECTOR_44, tail]));
  });

  it("zeroes the reflector's MBZ whatever the sender's octets 14..43 held", () => {
    const r = reflect(Buffer.concat([SENDER_44.subarray(0, 14), Buffer.alloc(30, 0xff)]), stamps);
    expect(r.ok && r.reply).toEqual(REFLECTOR_44);
  });

  it("refuses what is shorter than 14 octets", () => {
    for (let n = 0; n < 14; n++) expect(reflect(SENDER_44.subarray(0, n), stamps)).toMatchObject({ ok: false, error: { code: "short" } });
  });
});
