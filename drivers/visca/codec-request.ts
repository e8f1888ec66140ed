/**
 * Camera side of the VISCA codec: what a camera receives, decoded. Used by the simulator; exported
 * through codec.ts as `decodeRequest`.
 *
 * Rule: a request decodes as a command or inquiry only when `encodeCommand`/`encodeInquiry` could
 * have produced it (same ranges), so the simulator answers `60 02` to anything the driver may not send.
 */
import type { PanTiltDirection, ViscaCommand, ViscaInquiry, ViscaRequest } from "./codec.js";
import {
  DRIVE_BYTES, INQUIRY_BODIES, PAN_SPEED_MAX, PRESET_MAX, PRESET_OPS, TERMINATOR, TILT_SPEED_MAX,
  ZOOM_MAX, ZOOM_SPEED_MAX, fromNibbles,
} from "./codec-tables.js";

/**
 * Decodes one frame (including its FF) sent to a camera. Never throws.
 * - `malformed` (camera answers `60 01`): < 3 or > 16 bytes, no FF at the end, or FF inside.
 * - `unknown` (camera answers `60 02`): well-framed but not a command or inquiry we know, or an
 *   argument out of range.
 * `address` is the low nibble of the header (8 = broadcast); 0 when the header is not `8x`.
 */
export function decodeRequest(frame: Buffer): ViscaRequest {
  const copy = Buffer.from(frame);
  const n = copy.length;
  const h = copy[0] ?? 0;
  const address = (h & 0xf0) === 0x80 ? h & 0x0f : 0;
  if (n < 3 || n > 16 || copy[n - 1] !== TERMINATOR || copy.subarray(0, n - 1).includes(TERMINATOR) || address === 0) {
    return { kind: "malformed", address, frame: copy };
  }
  const body = copy.subarray(1, n - 1);
  const inquiry = decodeInquiryBody(body);
  if (inquiry !== undefined && address !== 8) return { kind: "inquiry", address, inquiry };
  const command = decodeCommandBody(body);
  if (command !== undefined) {
    // AddressSet is broadcast only; the rest may be addressed or broadcast.
    if (command.type !== "addressSet" || address === 8) return { kind: "command", address, command };
  }
  return { kind: "unknown", address, frame: copy };
}

function decodeInquiryBody(body: Buffer): ViscaInquiry | undefined {
  for (const [name, bytes] of Object.entries(INQUIRY_BODIES) as [ViscaInquiry, readonly number[]][]) {
    if (body.equals(Buffer.from(bytes))) return name;
  }
  return undefined;
}

function inRange(v: number, min: number, max: number): boolean {
  return v >= min && v <= max;
}

function isNibbles(buf: Buffer): boolean {
  return buf.every((b) => b <= 0x0f);
}

function decodeDirection(pan: number, tilt: number): PanTiltDirection | undefined {
  for (const [dir, [p, t]] of Object.entries(DRIVE_BYTES) as [PanTiltDirection, readonly [number, number]][]) {
    if (p === pan && t === tilt) return dir;
  }
  return undefined;
}

/** `body` = the bytes between the header and FF. Undefined when not a command we know. */
function decodeCommandBody(body: Buffer): ViscaCommand | undefined {
  const at = (i: number): number => body[i] ?? -1;
  const len = body.length;
  const is = (...prefix: number[]): boolean => prefix.every((b, i) => at(i) === b);

  if (len === 1 && (at(0) === 0x21 || at(0) === 0x22)) return { type: "cancel", socket: at(0) === 0x21 ? 1 : 2 };
  if (len === 2 && is(0x30) && inRange(at(1), 1, 7)) return { type: "addressSet", first: at(1) };
  if (len === 3 && is(0x01, 0x00, 0x01)) return { type: "ifClear" };
  if (len === 4 && is(0x01, 0x04, 0x00) && (at(3) === 0x02 || at(3) === 0x03)) return { type: "power", on: at(3) === 0x02 };
  if (len === 3 && is(0x01, 0x06, 0x04)) return { type: "panTiltHome" };
  if (len === 3 && is(0x01, 0x06, 0x05)) return { type: "panTiltReset" };

  const speedsOk = inRange(at(3), 1, PAN_SPEED_MAX) && inRange(at(4), 1, TILT_SPEED_MAX);
  if (len === 7 && is(0x01, 0x06, 0x01) && speedsOk) {
    const direction = decodeDirection(at(5), at(6));
    if (direction !== undefined) return { type: "panTiltDrive", direction, panSpeed: at(3), tiltSpeed: at(4) };
  }
  if (len === 13 && is(0x01, 0x06) && (at(2) === 0x02 || at(2) === 0x03) && speedsOk && isNibbles(body.subarray(5))) {
    return {
      type: at(2) === 0x02 ? "panTiltAbsolute" : "panTiltRelative",
      panSpeed: at(3),
      tiltSpeed: at(4),
      pan: fromNibbles(body, 5, 4, true),
      tilt: fromNibbles(body, 9, 4, true),
    };
  }
  if (len === 4 && is(0x01, 0x04, 0x07)) {
    const z = at(3);
    if (z === 0x00) return { type: "zoom", mode: "stop" };
    if (z === 0x02) return { type: "zoom", mode: "tele" };
    if (z === 0x03) return { type: "zoom", mode: "wide" };
    const speed = z & 0x0f;
    if ((z & 0xf0) === 0x20 && speed <= ZOOM_SPEED_MAX) return { type: "zoomVariable", direction: "tele", speed };
    if ((z & 0xf0) === 0x30 && speed <= ZOOM_SPEED_MAX) return { type: "zoomVariable", direction: "wide", speed };
    return undefined;
  }
  if (len === 7 && is(0x01, 0x04, 0x47) && isNibbles(body.subarray(3))) {
    const position = fromNibbles(body, 3, 4);
    return position <= ZOOM_MAX ? { type: "zoomDirect", position } : undefined;
  }
  if (len === 4 && is(0x01, 0x04, 0x38) && (at(3) === 0x02 || at(3) === 0x03)) {
    return { type: "focusMode", mode: at(3) === 0x02 ? "auto" : "manual" };
  }
  if (len === 4 && is(0x01, 0x04, 0x18, 0x01)) return { type: "focusOnePush" };
  if (len === 5 && is(0x01, 0x04, 0x3f) && inRange(at(3), 0, 2) && inRange(at(4), 0, PRESET_MAX)) {
    return { type: "preset", op: PRESET_OPS[at(3)]!, preset: at(4) };
  }
  return undefined;
}
