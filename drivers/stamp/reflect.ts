/**
 * The stateless Session-Reflector's one step (RFC 8762 §4.3, §4.6; TWAMP-light, RFC 5357 appendix I):
 * a received test packet and the reflector's two timestamps in, the reflected packet out. Pure.
 * Shared by `roomgate reflector` (drivers/stamp/reflector.ts) and the simulator (simulators/stamp),
 * whose faults (loss, delay, reorder, ...) happen around it, never in it.
 *
 * - Stateless: the reflected Sequence Number is the sender's (§4.3.1).
 * - Session-Sender Sequence Number, Timestamp and Error Estimate are the sender's octets 0..13, copied.
 * - Symmetric size (§4.2, §4.6): the reply is as long as the packet received, and never shorter than
 *   the 44-octet base packet (a TWAMP-light sender may send as few as 14); octets beyond the base
 *   are copied from the received packet.
 * - Session-Sender TTL: Node's dgram cannot read a received datagram's TTL, so the caller passes what
 *   it knows, and 0 ("not known") by default.
 */
import {
  DEFAULT_ERROR_ESTIMATE,
  encodeErrorEstimate,
  REFLECTOR_BASE_SIZE,
  SENDER_MIN_SIZE,
  type DecodeError,
  type ErrorEstimate,
  type WireTimestamp,
} from "./codec.js";

export interface ReflectStamps {
  /** T2: when the packet was received. */
  received: WireTimestamp;
  /** T3: when the reply starts on its way. */
  sent: WireTimestamp;
  /** The reflector's clock: applies to T2 and T3. Default: not synchronised, NTP, ~1 ms. */
  errorEstimate?: ErrorEstimate;
  /** The IP TTL of the received packet, when known; 0 otherwise. */
  ttl?: number;
}

export type Reflected = { ok: true; reply: Buffer; senderSeq: number } | { ok: false; error: DecodeError };

/** The reflected packet for `datagram`, or why it cannot be reflected (shorter than 14 octets). */
export function reflect(datagram: Buffer, stamps: ReflectStamps): Reflected {
  if (datagram.length < SENDER_MIN_SIZE) {
    return { ok: false, error: { code: "short", message: `test packet of ${datagram.length} octets; at least ${SENDER_MIN_SIZE} expected` } };
  }
  const reply = Buffer.alloc(Math.max(REFLECTOR_BASE_SIZE, datagram.length));
  datagram.copy(reply, 0, 0, 4); // stateless: our sequence number is the sender's
  reply.writeUInt32BE(stamps.sent.seconds >>> 0, 4);
  reply.writeUInt32BE(stamps.sent.fraction >>> 0, 8);
  reply.writeUInt16BE(encodeErrorEstimate(stamps.errorEstimate ?? DEFAULT_ERROR_ESTIMATE), 12);
  reply.writeUInt32BE(stamps.received.seconds >>> 0, 16);
  reply.writeUInt32BE(stamps.received.fraction >>> 0, 20);
  datagram.copy(reply, 24, 0, SENDER_MIN_SIZE); // sender's seq, timestamp, error estimate
  reply.writeUInt8(stamps.ttl ?? 0, 40);
  if (datagram.length > REFLECTOR_BASE_SIZE) datagram.copy(reply, REFLECTOR_BASE_SIZE, REFLECTOR_BASE_SIZE);
  return { ok: true, reply, senderSeq: datagram.readUInt32BE(0) };
}
