/**
 * Sony VISCA codec: commands -> Buffers, Buffers -> replies. Pure: no I/O, no timers.
 * Byte layouts from ../shared/PROTOCOLS.md ("Sony VISCA"). Numbers travel as nibbles (`0p 0q 0r 0s`),
 * so `FF` never occurs inside a frame.
 *
 * Used by the driver (encode commands/inquiries, decode replies) and by the simulator
 * (decode commands/inquiries, encode replies).
 */

import {
  BROADCAST, checkInt, DRIVE_BYTES, ERROR_BYTES, fromNibbles, hex, INQUIRY_BODIES, PAN_SPEED_MAX, PRESET_MAX,
  PRESET_OPS, TERMINATOR, TILT_SPEED_MAX, toNibbles, ViscaCodecError, ZOOM_MAX, ZOOM_SPEED_MAX,
} from "./codec-tables.js";

export {
  BROADCAST, PAN_SPEED_MAX, PRESET_MAX, TILT_SPEED_MAX, ZOOM_MAX, ZOOM_SPEED_MAX, ViscaCodecError,
  fromNibbles, toNibbles,
} from "./codec-tables.js";
export type { ViscaCodecErrorCode } from "./codec-tables.js";
export { decodeRequest } from "./codec-request.js";

// ---- types (API contract; keep stable) ----

export type PanTiltDirection =
  | "up" | "down" | "left" | "right"
  | "up-left" | "up-right" | "down-left" | "down-right"
  | "stop";

export type ViscaCommand =
  | { type: "power"; on: boolean }
  | { type: "ifClear" }
  /** `88 30 0n FF`; `first` = n, the address the receiving camera takes (1 from the controller; default 1) */
  | { type: "addressSet"; first?: number }
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

// ---- controller side ----

/** One command frame. `address` 1..7, or 8 for broadcast (`88`). Throws ViscaCodecError on out-of-range arguments. */
export function encodeCommand(address: number, cmd: ViscaCommand): Buffer {
  checkInt("address", address, 1, BROADCAST);
  const body = commandBody(cmd);
  const header = cmd.type === "addressSet" ? 0x88 : 0x80 + address;
  return Buffer.from([header, ...body, TERMINATOR]);
}

function commandBody(cmd: ViscaCommand): number[] {
  switch (cmd.type) {
    case "power":
      return [0x01, 0x04, 0x00, cmd.on ? 0x02 : 0x03];
    case "ifClear":
      return [0x01, 0x00, 0x01];
    case "addressSet":
      checkInt("first address", cmd.first ?? 1, 1, 7);
      return [0x30, cmd.first ?? 1];
    case "panTiltDrive":
      checkSpeeds(cmd.panSpeed, cmd.tiltSpeed);
      return [0x01, 0x06, 0x01, cmd.panSpeed, cmd.tiltSpeed, ...DRIVE_BYTES[cmd.direction]];
    case "panTiltAbsolute":
    case "panTiltRelative":
      checkSpeeds(cmd.panSpeed, cmd.tiltSpeed);
      checkInt("pan", cmd.pan, -0x8000, 0x7fff);
      checkInt("tilt", cmd.tilt, -0x8000, 0x7fff);
      return [
        0x01, 0x06, cmd.type === "panTiltAbsolute" ? 0x02 : 0x03, cmd.panSpeed, cmd.tiltSpeed,
        ...toNibbles(cmd.pan, 4), ...toNibbles(cmd.tilt, 4),
      ];
    case "panTiltHome":
      return [0x01, 0x06, 0x04];
    case "panTiltReset":
      return [0x01, 0x06, 0x05];
    case "zoom":
      return [0x01, 0x04, 0x07, { stop: 0x00, tele: 0x02, wide: 0x03 }[cmd.mode]];
    case "zoomVariable":
      checkInt("zoom speed", cmd.speed, 0, ZOOM_SPEED_MAX);
      return [0x01, 0x04, 0x07, (cmd.direction === "tele" ? 0x20 : 0x30) + cmd.speed];
    case "zoomDirect":
      checkInt("zoom position", cmd.position, 0, ZOOM_MAX);
      return [0x01, 0x04, 0x47, ...toNibbles(cmd.position, 4)];
    case "focusMode":
      return [0x01, 0x04, 0x38, cmd.mode === "auto" ? 0x02 : 0x03];
    case "focusOnePush":
      return [0x01, 0x04, 0x18, 0x01];
    case "preset":
      checkInt("preset", cmd.preset, 0, PRESET_MAX);
      return [0x01, 0x04, 0x3f, PRESET_OPS.indexOf(cmd.op), cmd.preset];
    case "cancel":
      checkInt("socket", cmd.socket, 1, 2);
      return [0x20 + cmd.socket];
  }
}

function checkSpeeds(pan: number, tilt: number): void {
  checkInt("pan speed", pan, 1, PAN_SPEED_MAX);
  checkInt("tilt speed", tilt, 1, TILT_SPEED_MAX);
}

/** One inquiry frame, e.g. `81 09 04 00 FF` (power). `address` 1..7. */
export function encodeInquiry(address: number, inquiry: ViscaInquiry): Buffer {
  checkInt("address", address, 1, 7);
  return Buffer.from([0x80 + address, ...INQUIRY_BODIES[inquiry], TERMINATOR]);
}

/**
 * Decodes one reply frame (including its FF). Never throws: anything it cannot place is
 * `{type: "unknown", frame}`. `y0 50 FF` (no data) is the Completion of an addressed IF_Clear and
 * decodes as completion on socket 0.
 */
export function decodeReply(frame: Buffer): ViscaReply {
  const unknown: ViscaReply = { type: "unknown", frame: Buffer.from(frame) };
  const n = frame.length;
  if (n < 3 || n > 16 || frame[n - 1] !== TERMINATOR || frame.subarray(0, n - 1).includes(TERMINATOR)) return unknown;
  const b0 = frame[0]!;
  const b1 = frame[1]!;
  if (b0 === 0x88) {
    if (n === 4 && b1 === 0x30 && frame[2]! >= 1 && frame[2]! <= 8) return { type: "addressSet", next: frame[2]! };
    if (n === 5 && b1 === 0x01 && frame[2] === 0x00 && frame[3] === 0x01) return { type: "ifClear" };
    return unknown;
  }
  if (b0 < 0x90 || (b0 & 0x0f) !== 0) return unknown;
  const address = (b0 >> 4) - 8;
  const kind = b1 & 0xf0;
  const socket = b1 & 0x0f;
  if (n === 3 && kind === 0x40 && socket >= 1 && socket <= 2) return { type: "ack", address, socket };
  if (n === 3 && kind === 0x50 && socket <= 2) return { type: "completion", address, socket };
  if (n > 3 && b1 === 0x50) return { type: "inquiry", address, data: Buffer.from(frame.subarray(2, n - 1)) };
  if (n === 4 && kind === 0x60 && socket <= 2) {
    const raw = frame[2]!;
    const code = (Object.keys(ERROR_BYTES) as ViscaErrorCode[]).find((k) => ERROR_BYTES[k] === raw) ?? "unknown";
    return { type: "error", address, socket, code, raw };
  }
  if (n === 3 && b1 === 0x38) return { type: "networkChange", address };
  return unknown;
}

/** The value of an inquiry answer's data (the bytes between `50` and `FF`). Throws ViscaCodecError (`bad_data`). */
export function parseInquiryValue<I extends ViscaInquiry>(inquiry: I, data: Buffer): ViscaInquiryValues[I] {
  const expectLength = (len: number): void => {
    if (data.length !== len) {
      throw new ViscaCodecError(`${inquiry} answer: expected ${len} data bytes, got ${data.length}`, "bad_data");
    }
  };
  const onOff = <A, B>(on: A, off: B): A | B => {
    expectLength(1);
    if (data[0] === 0x02) return on;
    if (data[0] === 0x03) return off;
    throw new ViscaCodecError(`${inquiry} answer: unexpected byte 0x${hex(data[0]!)}`, "bad_data");
  };
  let value: ViscaInquiryValues[ViscaInquiry];
  switch (inquiry as ViscaInquiry) {
    case "power":
      value = onOff("on" as const, "standby" as const);
      break;
    case "focusMode":
      value = onOff("auto" as const, "manual" as const);
      break;
    case "panTiltPosition":
      expectLength(8);
      value = { pan: fromNibbles(data, 0, 4, true), tilt: fromNibbles(data, 4, 4, true) };
      break;
    case "zoomPosition":
      expectLength(4);
      value = fromNibbles(data, 0, 4);
      break;
  }
  return value as ViscaInquiryValues[I];
}

// ---- camera side (simulator) ----

/** The data part of an inquiry answer (what goes between `y0 50` and `FF`). */
export function encodeInquiryValue<I extends ViscaInquiry>(inquiry: I, value: ViscaInquiryValues[I]): Buffer {
  const v = value as ViscaInquiryValues[ViscaInquiry];
  switch (inquiry as ViscaInquiry) {
    case "power":
      return Buffer.from([v === "on" ? 0x02 : 0x03]);
    case "focusMode":
      return Buffer.from([v === "auto" ? 0x02 : 0x03]);
    case "panTiltPosition": {
      const { pan, tilt } = v as ViscaInquiryValues["panTiltPosition"];
      return Buffer.concat([toNibbles(pan, 4), toNibbles(tilt, 4)]);
    }
    case "zoomPosition":
      return toNibbles(v as number, 4);
  }
  throw new ViscaCodecError(`unknown inquiry ${String(inquiry)}`);
}

/** One reply frame; camera address 1..7 goes out as `y0` = `(8 + address) << 4` (camera 1 -> `90`). */
export function encodeReply(reply: ViscaReply): Buffer {
  if (reply.type === "unknown") return Buffer.from(reply.frame);
  if (reply.type === "ifClear") return Buffer.from([0x88, 0x01, 0x00, 0x01, TERMINATOR]);
  if (reply.type === "addressSet") {
    checkInt("next address", reply.next, 1, 8);
    return Buffer.from([0x88, 0x30, reply.next, TERMINATOR]);
  }
  checkInt("address", reply.address, 1, 7);
  const y = (8 + reply.address) << 4;
  switch (reply.type) {
    case "ack":
      checkInt("socket", reply.socket, 1, 2);
      return Buffer.from([y, 0x40 + reply.socket, TERMINATOR]);
    case "completion":
      checkInt("socket", reply.socket, 0, 2);
      return Buffer.from([y, 0x50 + reply.socket, TERMINATOR]);
    case "inquiry":
      if (reply.data.includes(TERMINATOR)) throw new ViscaCodecError("inquiry data contains FF", "bad_data");
      return Buffer.from([y, 0x50, ...reply.data, TERMINATOR]);
    case "error": {
      checkInt("socket", reply.socket, 0, 2);
      const raw = reply.code === "unknown" ? reply.raw : ERROR_BYTES[reply.code];
      checkInt("error byte", raw, 0, 0xfe);
      return Buffer.from([y, 0x60 + reply.socket, raw, TERMINATOR]);
    }
    case "networkChange":
      return Buffer.from([y, 0x38, TERMINATOR]);
  }
}

/** The byte a ViscaErrorCode travels as (`60 02` -> 0x02). */
export function errorByte(code: ViscaErrorCode): number {
  return ERROR_BYTES[code];
}
