/**
 * Shared pieces of the VISCA codec: the error class, argument ranges, nibble packing and the byte
 * tables used by both directions (codec.ts encodes/decodes, codec-request.ts decodes requests).
 * Import them through codec.ts.
 */
import type { PanTiltDirection, ViscaErrorCode, ViscaInquiry } from "./codec.js";

export type ViscaCodecErrorCode =
  | "out_of_range" // an argument outside the protocol's range (speed, position, preset, address)
  | "bad_data" // inquiry data or nibbles that do not parse
  | "bad_header"; // VISCA-over-IP header too short or length field wrong

/** Thrown by the encoders (bad arguments) and by parseInquiryValue / decodeIpMessage (bad bytes). */
export class ViscaCodecError extends Error {
  readonly code: ViscaCodecErrorCode;
  constructor(message: string, code: ViscaCodecErrorCode = "out_of_range") {
    super(message);
    this.name = "ViscaCodecError";
    this.code = code;
  }
}

// ---- ranges ----

export const BROADCAST = 8;
export const PAN_SPEED_MAX = 0x18;
export const TILT_SPEED_MAX = 0x17;
export const ZOOM_SPEED_MAX = 7;
export const ZOOM_MAX = 0x4000;
/** `FF` may not occur inside a frame, so the one-byte preset number stops at 0xFE. */
export const PRESET_MAX = 0xfe;

export const TERMINATOR = 0xff;

export function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ViscaCodecError(`${name} ${value} out of range ${min}..${max}`);
  }
}

// ---- nibbles ----

/**
 * `value` as `count` bytes `0p 0q ...`, most significant first. Negative values are written in
 * two's complement over count*4 bits (pan/tilt positions).
 */
export function toNibbles(value: number, count: number): Buffer {
  const bits = count * 4;
  checkInt("nibble value", value, -(2 ** (bits - 1)), 2 ** bits - 1);
  let v = value < 0 ? value + 2 ** bits : value;
  const out = Buffer.alloc(count);
  for (let i = count - 1; i >= 0; i--) {
    out[i] = v & 0x0f;
    v = Math.floor(v / 16);
  }
  return out;
}

/** Reads `count` nibble bytes at `offset`; throws ViscaCodecError (`bad_data`) when a byte is > 0x0F or missing. */
export function fromNibbles(buf: Buffer, offset: number, count: number, signed = false): number {
  if (offset < 0 || offset + count > buf.length) {
    throw new ViscaCodecError(`need ${count} nibbles at ${offset}, have ${buf.length} bytes`, "bad_data");
  }
  let v = 0;
  for (let i = 0; i < count; i++) {
    const b = buf[offset + i]!;
    if (b > 0x0f) throw new ViscaCodecError(`byte 0x${hex(b)} at ${offset + i} is not a nibble`, "bad_data");
    v = v * 16 + b;
  }
  const bits = count * 4;
  return signed && v >= 2 ** (bits - 1) ? v - 2 ** bits : v;
}

export function hex(b: number): string {
  return b.toString(16).padStart(2, "0");
}

// ---- tables ----

/** Pan byte, tilt byte of pan-tilt drive (`01` left/up, `02` right/down, `03` stop). */
export const DRIVE_BYTES: Record<PanTiltDirection, readonly [number, number]> = {
  up: [0x03, 0x01],
  down: [0x03, 0x02],
  left: [0x01, 0x03],
  right: [0x02, 0x03],
  "up-left": [0x01, 0x01],
  "up-right": [0x02, 0x01],
  "down-left": [0x01, 0x02],
  "down-right": [0x02, 0x02],
  stop: [0x03, 0x03],
};

/** Inquiry bodies, between the address byte and FF. */
export const INQUIRY_BODIES: Record<ViscaInquiry, readonly number[]> = {
  power: [0x09, 0x04, 0x00],
  panTiltPosition: [0x09, 0x06, 0x12],
  zoomPosition: [0x09, 0x04, 0x47],
  focusMode: [0x09, 0x04, 0x38],
};

export const ERROR_BYTES: Record<ViscaErrorCode, number> = {
  message_length: 0x01,
  syntax: 0x02,
  buffer_full: 0x03,
  cancelled: 0x04,
  no_socket: 0x05,
  not_executable: 0x41,
};

export const PRESET_OPS = ["reset", "set", "recall"] as const;
