/**
 * VISCA over IP (Sony, UDP 52381): every datagram is an 8-byte big-endian header
 * (payload type u16, payload length u16, sequence u32) followed by the payload
 * (a VISCA frame `81 ... FF` out, `90 ... FF` back, or a control payload). See PROTOCOLS.md.
 */
import { ViscaCodecError } from "./codec.js";

export const VISCA_IP_PORT = 52381;
export const HEADER_LENGTH = 8;

export const PayloadType = {
  command: 0x0100,
  inquiry: 0x0110,
  reply: 0x0111,
  deviceSetting: 0x0120,
  control: 0x0200,
  controlReply: 0x0201,
} as const;

export interface ViscaIpMessage {
  payloadType: number;
  /** u32; replies echo the request's sequence number. */
  sequence: number;
  payload: Buffer;
}

/** Control payload that resets the camera's expected sequence number (answered with `01` too). */
export const CONTROL_RESET = Buffer.from([0x01]);
/** Control reply: the sequence number was not the expected one; reset it. */
export const CONTROL_ERR_SEQUENCE = Buffer.from([0x0f, 0x01]);
/** Control reply: the message was malformed. */
export const CONTROL_ERR_MESSAGE = Buffer.from([0x0f, 0x02]);

/** Header + payload. Throws ViscaCodecError (`out_of_range`) for a type, sequence or payload that does not fit. */
export function encodeIpMessage(m: ViscaIpMessage): Buffer {
  if (!Number.isInteger(m.payloadType) || m.payloadType < 0 || m.payloadType > 0xffff) {
    throw new ViscaCodecError(`payload type ${m.payloadType} out of range 0..0xFFFF`);
  }
  if (!Number.isInteger(m.sequence) || m.sequence < 0 || m.sequence > 0xffffffff) {
    throw new ViscaCodecError(`sequence ${m.sequence} out of range 0..0xFFFFFFFF`);
  }
  if (m.payload.length > 0xffff) throw new ViscaCodecError(`payload of ${m.payload.length} bytes is too long`);
  const out = Buffer.alloc(HEADER_LENGTH + m.payload.length);
  out.writeUInt16BE(m.payloadType, 0);
  out.writeUInt16BE(m.payload.length, 2);
  out.writeUInt32BE(m.sequence, 4);
  m.payload.copy(out, HEADER_LENGTH);
  return out;
}

/** Parses one datagram. Throws ViscaCodecError (`bad_header`) when shorter than 8 bytes or the length field disagrees. */
export function decodeIpMessage(buf: Buffer): ViscaIpMessage {
  if (buf.length < HEADER_LENGTH) {
    throw new ViscaCodecError(`datagram of ${buf.length} bytes is shorter than the 8-byte header`, "bad_header");
  }
  const length = buf.readUInt16BE(2);
  if (length !== buf.length - HEADER_LENGTH) {
    throw new ViscaCodecError(
      `length field says ${length} payload bytes, datagram carries ${buf.length - HEADER_LENGTH}`,
      "bad_header",
    );
  }
  return {
    payloadType: buf.readUInt16BE(0),
    sequence: buf.readUInt32BE(4),
    payload: Buffer.from(buf.subarray(HEADER_LENGTH)),
  };
}

/** The next sequence number after `seq` (u32, wraps to 0). */
export function nextSequence(seq: number): number {
  return seq >= 0xffffffff ? 0 : seq + 1;
}
