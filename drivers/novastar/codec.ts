/**
 * The NovaStar frame (PROTOCOLS.md, "NovaStar LED controllers"): pure bytes in, bytes out, no I/O.
 *
 * ```
 * 55 AA | status | serial | source | destination | device type | port | board u16 | op | reserved |
 *         register u32 | length u16 | data... | checksum u16
 * ```
 * Replies start `AA 55`. Multi-byte fields are little-endian. checksum = sum(status .. end of data) + 0x5555.
 *
 * Which frames carry data: a read request carries the length it wants but no data; a read reply
 * carries that many bytes; a write request carries its data; a write reply echoes the length and,
 * on the controllers documented publicly (MCTRL300 captures), no data. `decodeFrame` accepts
 * either shape so that a firmware that does echo the data still decodes.
 */

export const REQUEST_HEADER = Buffer.from([0x55, 0xaa]);
export const REPLY_HEADER = Buffer.from([0xaa, 0x55]);
/** Bytes before the data: header (2) + 16 bytes of fields. */
export const FIXED_LENGTH = 18;
/** Bytes of a frame without data (fixed part + checksum). */
export const MIN_FRAME_LENGTH = FIXED_LENGTH + 2;
/** The host (the PC / this agent) as source address. */
export const SOURCE_HOST = 0xfe;
export const CHECKSUM_BASE = 0x5555;

export type FrameKind = "request" | "reply";
export type Op = "read" | "write";

/** Status byte of a reply. Requests carry 00. */
export const STATUS = { ok: 0x00, timeout: 0x01, checkError: 0x02, checkError2: 0x03, badCommand: 0x04 } as const;
export type StatusName = "ok" | "timeout" | "check_error" | "bad_command" | "unknown";

export function statusName(status: number): StatusName {
  switch (status) {
    case STATUS.ok:
      return "ok";
    case STATUS.timeout:
      return "timeout";
    case STATUS.checkError:
    case STATUS.checkError2:
      return "check_error";
    case STATUS.badCommand:
      return "bad_command";
    default:
      return "unknown";
  }
}

/** Where a request goes: destination (00 sender, FF broadcast), device type (00 sending card, 01 receiving card), port (FF all), board (FFFF all). */
export interface Target {
  destination: number;
  deviceType: number;
  port: number;
  boardIndex: number;
}

export interface NovaFrame extends Target {
  kind: FrameKind;
  status: number;
  serial: number;
  source: number;
  op: Op;
  reserved: number;
  register: number;
  /** The length field: bytes written (write), bytes wanted or returned (read). */
  length: number;
  data: Buffer;
}

export type CodecErrorCode = "short" | "bad_header" | "bad_checksum" | "bad_length" | "bad_op" | "bad_field";

export class NovaCodecError extends Error {
  readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string) {
    super(message);
    this.name = "NovaCodecError";
    this.code = code;
  }
}

/** sum(bytes) + 0x5555, truncated to 16 bits. `bytes` runs from the status byte to the end of the data. */
export function checksum(bytes: Buffer): number {
  let sum = CHECKSUM_BASE;
  for (const b of bytes) sum += b;
  return sum & 0xffff;
}

/** True when this kind of frame carries its data bytes (read replies and write requests). */
export function carriesData(kind: FrameKind, op: Op): boolean {
  return kind === "request" ? op === "write" : op === "read";
}

function checkByte(name: string, v: number, max = 0xff): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new NovaCodecError("bad_field", `${name} must be an integer 0..${max}; got ${v}`);
}

/** Encodes any frame; `data` is written as given (empty for read requests and, usually, write replies). */
export function encodeFrame(f: NovaFrame): Buffer {
  checkByte("status", f.status);
  checkByte("serial", f.serial);
  checkByte("source", f.source);
  checkByte("destination", f.destination);
  checkByte("deviceType", f.deviceType);
  checkByte("port", f.port);
  checkByte("boardIndex", f.boardIndex, 0xffff);
  checkByte("reserved", f.reserved);
  checkByte("register", f.register, 0xffffffff);
  checkByte("length", f.length, 0xffff);
  const out = Buffer.alloc(FIXED_LENGTH + f.data.length + 2);
  (f.kind === "request" ? REQUEST_HEADER : REPLY_HEADER).copy(out, 0);
  out[2] = f.status;
  out[3] = f.serial;
  out[4] = f.source;
  out[5] = f.destination;
  out[6] = f.deviceType;
  out[7] = f.port;
  out.writeUInt16LE(f.boardIndex, 8);
  out[10] = f.op === "read" ? 0x00 : 0x01;
  out[11] = f.reserved;
  out.writeUInt32LE(f.register, 12);
  out.writeUInt16LE(f.length, 16);
  f.data.copy(out, FIXED_LENGTH);
  out.writeUInt16LE(checksum(out.subarray(2, FIXED_LENGTH + f.data.length)), FIXED_LENGTH + f.data.length);
  return out;
}

/** A read request for `length` bytes at `register` (the length field is set, no data follows). */
export function encodeRead(serial: number, target: Target, register: number, length: number): Buffer {
  if (!Number.isInteger(length) || length < 1 || length > 0xffff) throw new NovaCodecError("bad_length", `read length must be 1..65535; got ${length}`);
  return encodeFrame({ kind: "request", status: 0, serial, source: SOURCE_HOST, ...target, op: "read", reserved: 0, register, length, data: Buffer.alloc(0) });
}

/** A write request of `data` at `register`. */
export function encodeWrite(serial: number, target: Target, register: number, data: Buffer): Buffer {
  if (data.length < 1 || data.length > 0xffff) throw new NovaCodecError("bad_length", `write data must be 1..65535 bytes; got ${data.length}`);
  return encodeFrame({ kind: "request", status: 0, serial, source: SOURCE_HOST, ...target, op: "write", reserved: 0, register, length: data.length, data });
}

export interface ReplyOptions {
  /** Status byte (default 00 ok). */
  status?: number;
  /** Data of a read reply (its length becomes the length field). */
  data?: Buffer;
  /** Echo the written data in a write reply (default false: length only, as MCTRL300 captures show). */
  echoWriteData?: boolean;
}

/** The reply a controller sends to `request` (for simulators and tests). Addresses are echoed. */
export function encodeReply(request: NovaFrame, opts: ReplyOptions = {}): Buffer {
  const status = opts.status ?? STATUS.ok;
  let data: Buffer = Buffer.alloc(0);
  let length = request.length;
  if (request.op === "read" && opts.data) {
    data = opts.data;
    length = data.length;
  } else if (request.op === "write" && opts.echoWriteData) {
    data = request.data;
  }
  return encodeFrame({ ...request, kind: "reply", status, data, length });
}

/**
 * Decodes one complete frame (header through checksum). Throws NovaCodecError for anything else.
 * The data is whatever lies between the length field and the checksum: either `length` bytes, or
 * none for a frame kind that carries no data.
 */
export function decodeFrame(buf: Buffer): NovaFrame {
  if (buf.length < MIN_FRAME_LENGTH) throw new NovaCodecError("short", `frame of ${buf.length} bytes; at least ${MIN_FRAME_LENGTH} needed`);
  let kind: FrameKind;
  if (buf[0] === 0x55 && buf[1] === 0xaa) kind = "request";
  else if (buf[0] === 0xaa && buf[1] === 0x55) kind = "reply";
  else throw new NovaCodecError("bad_header", `header ${buf.subarray(0, 2).toString("hex")} is neither 55aa nor aa55`);
  const opByte = buf[10]!;
  if (opByte > 1) throw new NovaCodecError("bad_op", `op byte ${opByte} is neither 00 (read) nor 01 (write)`);
  const op: Op = opByte === 0 ? "read" : "write";
  const length = buf.readUInt16LE(16);
  const dataLength = buf.length - MIN_FRAME_LENGTH;
  if (dataLength !== 0 && dataLength !== length) {
    throw new NovaCodecError("bad_length", `length field says ${length} bytes; frame holds ${dataLength}`);
  }
  const expected = checksum(buf.subarray(2, FIXED_LENGTH + dataLength));
  const got = buf.readUInt16LE(FIXED_LENGTH + dataLength);
  if (expected !== got) {
    throw new NovaCodecError("bad_checksum", `checksum ${hex16(got)}; expected ${hex16(expected)}`);
  }
  return {
    kind,
    status: buf[2]!,
    serial: buf[3]!,
    source: buf[4]!,
    destination: buf[5]!,
    deviceType: buf[6]!,
    port: buf[7]!,
    boardIndex: buf.readUInt16LE(8),
    op,
    reserved: buf[11]!,
    register: buf.readUInt32LE(12),
    length,
    data: Buffer.from(buf.subarray(FIXED_LENGTH, FIXED_LENGTH + dataLength)),
  };
}

/** `0x02000001` */
export function hexRegister(register: number): string {
  return `0x${register.toString(16).padStart(8, "0").toUpperCase()}`;
}

function hex16(v: number): string {
  return `0x${v.toString(16).padStart(4, "0").toUpperCase()}`;
}
