/**
 * STAMP (RFC 8762) / TWAMP-light (RFC 5357 appendix I) test packets, unauthenticated mode. Pure: no
 * I/O, no clock. Big-endian throughout.
 *
 * Session-Sender packet (RFC 8762 §4.2.1; TWAMP-light's is the first 14 octets plus padding):
 * ```
 *  0  u32 Sequence Number
 *  4  u64 Timestamp (NTP: u32 seconds since 1900, u32 fraction)
 * 12  u16 Error Estimate (S|Z|Scale(6)|Multiplier(8))
 * 14  MBZ (30 octets, to 44) ... padding
 * ```
 * Session-Reflector packet (RFC 8762 §4.3.1; RFC 5357 §4.2.1 stops at 41 octets):
 * ```
 *  0  u32 Sequence Number          4 u64 Timestamp (T3)       12 u16 Error Estimate   14 MBZ(2)
 * 16  u64 Receive Timestamp (T2)  24 u32 Session-Sender Sequence Number
 * 28  u64 Session-Sender Timestamp (T1)  36 u16 Session-Sender Error Estimate  38 MBZ(2)
 * 40  u8  Session-Sender TTL      41 MBZ(3) ... padding
 * ```
 * MBZ is zeroed on transmission and ignored on receipt (§4.2.1, §4.3.1).
 */

/** The base STAMP Session-Sender packet, unauthenticated (RFC 8762 §4.2: MBZ makes it as long as the reflected one). */
export const SENDER_BASE_SIZE = 44;
/** Sequence Number, Timestamp and Error Estimate: the shortest TWAMP-light sender packet (RFC 5357 §4.1.2). */
export const SENDER_MIN_SIZE = 14;
/** The base STAMP Session-Reflector packet, unauthenticated (RFC 8762 §4.3.1). */
export const REFLECTOR_BASE_SIZE = 44;
/** The shortest TWAMP-light reflector packet, unauthenticated (RFC 5357 §4.2.1, 41 octets). */
export const REFLECTOR_MIN_SIZE = 41;
/** Largest test packet we build: a UDP payload that fits a 1500-octet IPv4 MTU unfragmented. */
export const MAX_PACKET_SIZE = 1472;

/** Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01). */
export const NTP_UNIX_OFFSET_S = 2_208_988_800;
const TWO_32 = 0x1_0000_0000;

/** A 64-bit timestamp as it is on the wire: NTP (Z=0) or truncated PTPv2 (Z=1: seconds, nanoseconds). */
export interface WireTimestamp {
  seconds: number;
  fraction: number;
}

/** RFC 4656 §4.1.2 / RFC 8186 §2.3: error = multiplier × 2^(scale − 32) seconds. */
export interface ErrorEstimate {
  /** S: the clock is synchronised to UTC by an external source. */
  synchronized: boolean;
  /** Z: timestamps are truncated PTPv2 (seconds + nanoseconds) instead of NTP. */
  ptp: boolean;
  /** 0..63 */
  scale: number;
  /** 0..255; RFC 4656 says a sender must not send 0. */
  multiplier: number;
}

/** Not synchronised, NTP format, about 1 ms (2^-10 s): what a gateway's software clock can claim. */
export const DEFAULT_ERROR_ESTIMATE: ErrorEstimate = { synchronized: false, ptp: false, scale: 22, multiplier: 1 };

export interface SenderPacket {
  seq: number;
  timestamp: WireTimestamp;
  errorEstimate: ErrorEstimate;
}

export interface ReflectorPacket {
  /** The reflector's own sequence number (stateless: a copy of the sender's). */
  seq: number;
  /** T3: when the reflector sent it. */
  timestamp: WireTimestamp;
  /** Applies to `timestamp` and `receiveTimestamp` (its Z says their format). */
  errorEstimate: ErrorEstimate;
  /** T2: when the reflector received the sender's packet. */
  receiveTimestamp: WireTimestamp;
  senderSeq: number;
  /** T1 as the sender wrote it. */
  senderTimestamp: WireTimestamp;
  senderErrorEstimate: ErrorEstimate;
  /** The IP TTL the reflector saw (0 when it cannot tell). */
  senderTtl: number;
}

export type DecodeError = { code: "short" | "bad_timestamp"; message: string };
export type Decoded<T> = { ok: true; packet: T; length: number } | { ok: false; error: DecodeError };

// ---------------------------------------------------------------- timestamps

/** Unix ms (fractions kept) -> NTP 64-bit timestamp; seconds wrap at 2^32 (era 1 begins in 2036). */
export function ntpFromMs(ms: number): WireTimestamp {
  // Seconds and the rest apart: ms / 1000 + the offset would leave only ~21 bits for the fraction.
  let seconds = Math.floor(ms / 1000);
  let fraction = Math.round(((ms - seconds * 1000) / 1000) * TWO_32);
  if (fraction >= TWO_32) {
    seconds += 1;
    fraction = 0;
  }
  return { seconds: (((seconds + NTP_UNIX_OFFSET_S) % TWO_32) + TWO_32) % TWO_32, fraction };
}

/**
 * NTP timestamp -> Unix ms, in the era that puts it nearest `nearMs` (the reader's own time): the
 * seconds field alone cannot say whether it means 1900+ or 2036+.
 */
export function msFromNtp(ts: WireTimestamp, nearMs: number): number {
  const near = ntpFromMs(nearMs);
  return nearMs + ntpDiffMs(ts, near);
}

/** a − b in ms for two timestamps of one format (NTP, or PTP when `ptp`), modulo the seconds wrap. */
export function ntpDiffMs(a: WireTimestamp, b: WireTimestamp, ptp = false): number {
  let ds = (a.seconds - b.seconds) % TWO_32;
  if (ds >= TWO_32 / 2) ds -= TWO_32;
  else if (ds < -TWO_32 / 2) ds += TWO_32;
  const dFrac = ptp ? (a.fraction - b.fraction) / 1e6 : ((a.fraction - b.fraction) / TWO_32) * 1000;
  return ds * 1000 + dFrac;
}

export function timestampsEqual(a: WireTimestamp, b: WireTimestamp): boolean {
  return a.seconds === b.seconds && a.fraction === b.fraction;
}

export function encodeErrorEstimate(e: ErrorEstimate): number {
  if (!Number.isInteger(e.scale) || e.scale < 0 || e.scale > 63) throw new RangeError(`error estimate scale must be 0..63, got ${e.scale}`);
  if (!Number.isInteger(e.multiplier) || e.multiplier < 0 || e.multiplier > 255) {
    throw new RangeError(`error estimate multiplier must be 0..255, got ${e.multiplier}`);
  }
  return (e.synchronized ? 0x8000 : 0) | (e.ptp ? 0x4000 : 0) | (e.scale << 8) | e.multiplier;
}

export function decodeErrorEstimate(v: number): ErrorEstimate {
  return { synchronized: (v & 0x8000) !== 0, ptp: (v & 0x4000) !== 0, scale: (v >> 8) & 0x3f, multiplier: v & 0xff };
}

/** The error an estimate claims, in ms. */
export function errorEstimateMs(e: ErrorEstimate): number {
  return e.multiplier * 2 ** (e.scale - 32) * 1000;
}

// ---------------------------------------------------------------- packets

function checkSize(size: number, min: number): void {
  if (!Number.isInteger(size) || size < min || size > MAX_PACKET_SIZE) {
    throw new RangeError(`packet size must be an integer ${min}..${MAX_PACKET_SIZE}, got ${size}`);
  }
}

function checkSeq(seq: number, what: string): void {
  if (!Number.isInteger(seq) || seq < 0 || seq >= TWO_32) throw new RangeError(`${what} must be a u32, got ${seq}`);
}

function writeTs(buf: Buffer, at: number, ts: WireTimestamp): void {
  buf.writeUInt32BE(ts.seconds >>> 0, at);
  buf.writeUInt32BE(ts.fraction >>> 0, at + 4);
}

function readTs(buf: Buffer, at: number): WireTimestamp {
  return { seconds: buf.readUInt32BE(at), fraction: buf.readUInt32BE(at + 4) };
}

/** A Session-Sender packet of `size` octets (default the STAMP base, 44); everything after octet 14 is zero. */
export function encodeSenderPacket(p: SenderPacket, size = SENDER_BASE_SIZE): Buffer {
  checkSize(size, SENDER_BASE_SIZE);
  checkSeq(p.seq, "sequence number");
  const buf = Buffer.alloc(size);
  buf.writeUInt32BE(p.seq, 0);
  writeTs(buf, 4, p.timestamp);
  buf.writeUInt16BE(encodeErrorEstimate(p.errorEstimate), 12);
  return buf;
}

/** A Session-Sender packet: at least 14 octets (TWAMP-light's header); the rest is MBZ or padding, ignored. */
export function decodeSenderPacket(buf: Buffer): Decoded<SenderPacket> {
  if (buf.length < SENDER_MIN_SIZE) {
    return { ok: false, error: { code: "short", message: `sender packet of ${buf.length} octets; at least ${SENDER_MIN_SIZE} expected` } };
  }
  return {
    ok: true,
    length: buf.length,
    packet: { seq: buf.readUInt32BE(0), timestamp: readTs(buf, 4), errorEstimate: decodeErrorEstimate(buf.readUInt16BE(12)) },
  };
}

/** A Session-Reflector packet of `size` octets (default 44); MBZ and padding zeroed. */
export function encodeReflectorPacket(p: ReflectorPacket, size = REFLECTOR_BASE_SIZE): Buffer {
  checkSize(size, REFLECTOR_BASE_SIZE);
  checkSeq(p.seq, "sequence number");
  checkSeq(p.senderSeq, "sender sequence number");
  if (!Number.isInteger(p.senderTtl) || p.senderTtl < 0 || p.senderTtl > 255) throw new RangeError(`sender TTL must be 0..255, got ${p.senderTtl}`);
  const buf = Buffer.alloc(size);
  buf.writeUInt32BE(p.seq, 0);
  writeTs(buf, 4, p.timestamp);
  buf.writeUInt16BE(encodeErrorEstimate(p.errorEstimate), 12);
  writeTs(buf, 16, p.receiveTimestamp);
  buf.writeUInt32BE(p.senderSeq, 24);
  writeTs(buf, 28, p.senderTimestamp);
  buf.writeUInt16BE(encodeErrorEstimate(p.senderErrorEstimate), 36);
  buf.writeUInt8(p.senderTtl, 40);
  return buf;
}

/**
 * A Session-Reflector packet: at least 41 octets (a TWAMP-light reflector may stop after the TTL).
 * With Z=1 the reflector's timestamps are PTP (seconds, nanoseconds): nanoseconds ≥ 10^9 is malformed.
 */
export function decodeReflectorPacket(buf: Buffer): Decoded<ReflectorPacket> {
  if (buf.length < REFLECTOR_MIN_SIZE) {
    return { ok: false, error: { code: "short", message: `reflector packet of ${buf.length} octets; at least ${REFLECTOR_MIN_SIZE} expected` } };
  }
  const errorEstimate = decodeErrorEstimate(buf.readUInt16BE(12));
  const packet: ReflectorPacket = {
    seq: buf.readUInt32BE(0),
    timestamp: readTs(buf, 4),
    errorEstimate,
    receiveTimestamp: readTs(buf, 16),
    senderSeq: buf.readUInt32BE(24),
    senderTimestamp: readTs(buf, 28),
    senderErrorEstimate: decodeErrorEstimate(buf.readUInt16BE(36)),
    senderTtl: buf.readUInt8(40),
  };
  if (errorEstimate.ptp && (packet.timestamp.fraction >= 1e9 || packet.receiveTimestamp.fraction >= 1e9)) {
    return { ok: false, error: { code: "bad_timestamp", message: "PTP timestamp (Z=1) with nanoseconds ≥ 10^9" } };
  }
  return { ok: true, length: buf.length, packet };
}
