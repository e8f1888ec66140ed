/**
 * Sony VISCA codec: commands -> Buffers, Buffers -> replies. Pure: no I/O, no timers.
 * Byte layouts from ../shared/PROTOCOLS.md ("Sony VISCA"). Numbers travel as nibbles (`0p 0q 0r 0s`),
 * so `FF` never occurs inside a frame.
 *
 * Used by the driver (encode commands/inquiries, decode replies) and by the simulator
 * (decode commands/inquiries, encode replies).
 */

// ---- types (API contract; keep stable) ----

export type PanTiltDirection =
  | "up" | "down" | "left" | "right"
  | "up-left" | "up-right" | "down-left" | "down-right"
  | "stop";

export type ViscaCommand =
  | { type: "power"; on: boolean }
  | { type: "ifClear" }
  | { type: "addressSet" }
  /** panSpeed 1..0x18, tiltSpeed 1..0x17 */
  | { type: "panTiltDrive"; direction: PanTiltDirection; panSpeed: number; tiltSpeed: number }
  /** pan/tilt: signed 16-bit positions */
  | { type: "panTiltAbsolute"; pan: number; tilt: number; panSpeed: number; tiltSpeed: number }
  | { type: "panTiltRelative"; pan: number; tilt: number; panSpeed: number; tiltSpeed: number }
  | { type: "panTiltHome" }
  | { type: "panTiltReset" }
  | { type: "zoom"; mode: "stop" | "tele" | "wide" }
  /** speed 0..7 */
  | { type: "zoomVariable"; direction: "tele" | "wide"; speed: number }
  /** position 0..0x4000 (unsigned 16-bit, model dependent upper bound) */
  | { type: "zoomDirect"; position: number }
  | { type: "focusMode"; mode: "auto" | "manual" }
  | { type: "focusOnePush" }
  /** preset 0-based (0..0xFF) */
  | { type: "preset"; op: "reset" | "set" | "recall"; preset: number }
  /** Cancel the command running in a socket: `8x 2s FF` */
  | { type: "cancel"; socket: 1 | 2 };

export type ViscaInquiry = "power" | "panTiltPosition" | "zoomPosition" | "focusMode";

export interface ViscaInquiryValues {
  power: "on" | "standby";
  panTiltPosition: { pan: number; tilt: number }; // signed 16-bit each
  zoomPosition: number; // unsigned 16-bit
  focusMode: "auto" | "manual"; // inquiry 8x 09 04 38 FF -> y0 50 02|03 FF
}

export type ViscaErrorCode =
  | "message_length" // 60 01
  | "syntax" // 60 02
  | "buffer_full" // 60 03
  | "cancelled" // 6s 04
  | "no_socket" // 6s 05
  | "not_executable"; // 6s 41

export type ViscaReply =
  /** y0 4s FF */
  | { type: "ack"; address: number; socket: number }
  /** y0 5s FF, s = 1|2 */
  | { type: "completion"; address: number; socket: number }
  /** y0 50 <data> FF: the answer to an inquiry (data without the 50 and FF) */
  | { type: "inquiry"; address: number; data: Buffer }
  /** y0 6s ee FF (s = 0 for 60 01/02/03) */
  | { type: "error"; address: number; socket: number; code: ViscaErrorCode | "unknown"; raw: number }
  /** y0 38 FF: camera powered up; run AddressSet again */
  | { type: "networkChange"; address: number }
  /** 88 30 0n FF: n = last address + 1 */
  | { type: "addressSet"; next: number }
  /** 88 01 00 01 FF echoed back */
  | { type: "ifClear" }
  | { type: "unknown"; frame: Buffer };

/** What a camera receives, decoded (for the simulator). */
export type ViscaRequest =
  | { kind: "command"; address: number; command: ViscaCommand }
  | { kind: "inquiry"; address: number; inquiry: ViscaInquiry }
  /** The frame is well-formed (8x ... FF) but not a command we know: the camera answers `60 02`. */
  | { kind: "unknown"; address: number; frame: Buffer }
  /** Bad length (< 3 or > 16 bytes) or no FF terminator: the camera answers `60 01`. */
  | { kind: "malformed"; address: number; frame: Buffer };

// ---- functions (API contract; implementations below) ----
// encodeCommand(address 1..7 | 8 broadcast, cmd): Buffer          -- 81 01 04 00 02 FF for power on cam 1
// encodeInquiry(address, inquiry): Buffer
// decodeReply(frame incl. FF): ViscaReply                          -- never throws
// parseInquiryValue(inquiry, data): ViscaInquiryValues[inquiry]   -- throws ViscaCodecError on bad data
// decodeRequest(frame incl. FF): ViscaRequest                      -- never throws (simulator side)
// encodeReply(reply): Buffer                                       -- simulator side; reply address = camera address (encoded 8+addr)
// encodeInquiryValue(inquiry, value): Buffer (data part only)      -- simulator side
// toNibbles(value, count) / fromNibbles(buf, offset, count, signed)

export class ViscaCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ViscaCodecError";
  }
}
