/**
 * Samsung MDC frames, pure (no I/O). Request `AA CMD ID LEN DATA... CS`; the display answers
 * ACK `AA FF ID LEN 41 rCMD values... CS` or NAK `AA FF ID 03 4E rCMD ERR CS`.
 * CS = (CMD + ID + LEN + sum(DATA)) & 0xFF: every byte after the `AA` header, before CS.
 * A get is the command with LEN 0; a set carries the value(s).
 */
import { INPUT_CODES, MDC_CMD, MODEL_SPECIES, PANEL_VALUE, POWER_VALUE, inputName, type InputName } from "./codec-tables.js";

export const HEADER = 0xaa;
/** The CMD byte of every answer from a display. */
export const REPLY_CMD = 0xff;
export const ACK = 0x41; // 'A'
export const NAK = 0x4e; // 'N'
/**
 * Every display on the chain obeys ID FE, and none answers (MDC protocol v13.7c, "Connection
 * Spec": "each SET will follow commands but it will not respond with ACK").
 */
export const BROADCAST_ID = 0xfe;
/** Highest addressable display id (FE is broadcast, FF is not an id). */
export const MAX_DISPLAY_ID = 0xfd;
/** Header + CMD + ID + LEN + CS. */
export const FRAME_OVERHEAD = 5;

export type MdcCodecErrorCode = "bad_header" | "short" | "bad_length" | "bad_checksum" | "not_reply" | "bad_value";

export class MdcCodecError extends Error {
  readonly code: MdcCodecErrorCode;
  constructor(code: MdcCodecErrorCode, message: string) {
    super(message);
    this.name = "MdcCodecError";
    this.code = code;
  }
}

/** Sum of `bytes` modulo 256 (callers pass CMD, ID, LEN and DATA: never the `AA`). */
export function checksum(bytes: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) sum += bytes[i]!;
  return sum & 0xff;
}

/** `AA cmd id LEN data... CS`. Throws MdcCodecError `bad_value` for bytes out of range. */
export function encodeFrame(cmd: number, id: number, data: ArrayLike<number> = []): Buffer {
  byte("cmd", cmd);
  byte("id", id);
  if (data.length > 0xff) throw new MdcCodecError("bad_value", `data is ${data.length} bytes; at most 255 fit LEN`);
  const frame = Buffer.alloc(FRAME_OVERHEAD + data.length);
  frame[0] = HEADER;
  frame[1] = cmd;
  frame[2] = id;
  frame[3] = data.length;
  for (let i = 0; i < data.length; i++) frame[4 + i] = byte("data", data[i]!);
  frame[frame.length - 1] = checksum(frame.subarray(1, frame.length - 1));
  return frame;
}

export interface MdcFrame {
  cmd: number;
  id: number;
  data: Buffer;
}

/** Checks header, length and checksum of one whole frame. Throws MdcCodecError. */
export function decodeFrame(frame: Buffer): MdcFrame {
  if (frame.length < FRAME_OVERHEAD) throw new MdcCodecError("short", `frame of ${frame.length} bytes; at least 5 needed`);
  if (frame[0] !== HEADER) throw new MdcCodecError("bad_header", `frame starts with ${hex(frame[0]!)}, not AA`);
  const len = frame[3]!;
  if (frame.length !== FRAME_OVERHEAD + len) {
    throw new MdcCodecError("bad_length", `LEN says ${len} data bytes; the frame holds ${frame.length - FRAME_OVERHEAD}`);
  }
  const want = checksum(frame.subarray(1, frame.length - 1));
  const got = frame[frame.length - 1]!;
  if (want !== got) throw new MdcCodecError("bad_checksum", `checksum ${hex(got)}, expected ${hex(want)}`);
  return { cmd: frame[1]!, id: frame[2]!, data: Buffer.from(frame.subarray(4, frame.length - 1)) };
}

export type MdcReply =
  | { type: "ack"; id: number; rcmd: number; values: Buffer }
  | { type: "nak"; id: number; rcmd: number; error: number };

/** Decodes a display's answer. Throws MdcCodecError (`not_reply` for a request, `short` for a cut one). */
export function decodeReply(frame: Buffer): MdcReply {
  const f = decodeFrame(frame);
  if (f.cmd !== REPLY_CMD) throw new MdcCodecError("not_reply", `CMD ${hex(f.cmd)} is a request, not an answer (FF)`);
  if (f.data.length < 2) throw new MdcCodecError("short", `answer with ${f.data.length} data bytes; ACK/NAK and rCMD needed`);
  const kind = f.data[0]!;
  const rcmd = f.data[1]!;
  if (kind === ACK) return { type: "ack", id: f.id, rcmd, values: Buffer.from(f.data.subarray(2)) };
  if (kind === NAK) {
    if (f.data.length < 3) throw new MdcCodecError("short", "NAK without an error code");
    return { type: "nak", id: f.id, rcmd, error: f.data[2]! };
  }
  throw new MdcCodecError("not_reply", `answer kind ${hex(kind)} is neither ACK (41) nor NAK (4E)`);
}

/** `AA FF id LEN 41 rcmd values... CS` (the simulator's answer). */
export function encodeAck(id: number, rcmd: number, values: ArrayLike<number> = []): Buffer {
  return encodeFrame(REPLY_CMD, id, [ACK, rcmd, ...Array.from(values)]);
}

/** `AA FF id 03 4E rcmd err CS`. */
export function encodeNak(id: number, rcmd: number, error: number): Buffer {
  return encodeFrame(REPLY_CMD, id, [NAK, rcmd, error]);
}

// ---- requests the driver sends ----

export type MdcGet =
  | "status" | "errorStatus" | "power" | "volume" | "mute" | "input" | "brightness" | "panel"
  | "serialNumber" | "softwareVersion" | "modelName" | "modelNumber";

export type MdcSet =
  | { type: "power"; value: "off" | "on" | "reboot" }
  | { type: "volume"; percent: number }
  | { type: "mute"; on: boolean }
  | { type: "input"; input: InputName }
  | { type: "brightness"; percent: number }
  | { type: "panel"; blanked: boolean };

/** A get: the command with no data. */
export function encodeGet(id: number, what: MdcGet): Buffer {
  return encodeFrame(MDC_CMD[what], id);
}

/** The command byte a set goes out with (its ACK/NAK carries it back as rCMD). */
export function setCommand(set: MdcSet): number {
  return MDC_CMD[set.type];
}

/** A set. Throws MdcCodecError `bad_value` for a value the display cannot take. */
export function encodeSet(id: number, set: MdcSet): Buffer {
  return encodeFrame(setCommand(set), id, [setValue(set)]);
}

function setValue(set: MdcSet): number {
  switch (set.type) {
    case "power":
      return POWER_VALUE[set.value];
    case "volume":
    case "brightness":
      return percent(set.type, set.percent);
    case "mute":
      return set.on ? 1 : 0;
    case "input": {
      const code = (INPUT_CODES as Record<string, number>)[set.input];
      if (code === undefined) throw new MdcCodecError("bad_value", `unknown input "${set.input}"`);
      return code;
    }
    case "panel":
      return set.blanked ? PANEL_VALUE.blanked : PANEL_VALUE.shown;
  }
}

// ---- answers ----

export interface MdcStatus {
  power: "on" | "off";
  volume: number;
  mute: boolean;
  /** Operator name of the input (`hdmi1`, ...), see inputName(). */
  input: string;
  inputCode: number;
}

/** Status (00) values: power, volume, mute, input, aspect, N-time, F-time (the last three unused). */
export function parseStatus(values: Buffer): MdcStatus {
  need(values, 4, "status");
  return {
    power: values[0] === POWER_VALUE.off ? "off" : "on",
    volume: values[1]!,
    mute: values[2] === 1,
    input: inputName(values[3]!),
    inputCode: values[3]!,
  };
}

export interface MdcErrorStatus {
  lampError: boolean;
  temperatureError: boolean;
  /** Input source error: no signal, or a resolution the panel cannot show. */
  noSync: boolean;
  /** Degrees Celsius as the display reports it. */
  temperature: number;
  /** null when the display has no fan (02) or does not report it. */
  fanFault: boolean | null;
}

/** Error status (0D) values: lamp, temperature, brightness sensor, no-sync, temperature value, fan. */
export function parseErrorStatus(values: Buffer): MdcErrorStatus {
  need(values, 5, "error status");
  const fan = values[5];
  return {
    lampError: values[0] === 1,
    temperatureError: values[1] === 1,
    noSync: values[3] === 1,
    temperature: values[4]!,
    fanFault: fan === 0 ? false : fan === 1 ? true : null,
  };
}

/** One-byte answers (power, volume, brightness, panel...). */
export function parseByte(values: Buffer, what: string): number {
  need(values, 1, what);
  return values[0]!;
}

/** String answers (serial number, software version, model name): ASCII, NUL/space padded. */
export function parseText(values: Buffer): string {
  return values.toString("latin1").replace(/\0+$/g, "").trim();
}

/** Model number (10) values: species, model code, TV support -> e.g. `LED 0x1f`. */
export function parseModelNumber(values: Buffer): string {
  need(values, 2, "model number");
  const species = MODEL_SPECIES[values[0]!] ?? `species-0x${values[0]!.toString(16)}`;
  return `${species} 0x${values[1]!.toString(16).padStart(2, "0")}`;
}

function need(values: Buffer, n: number, what: string): void {
  if (values.length < n) throw new MdcCodecError("short", `${what} answer has ${values.length} values; ${n} needed`);
}

function byte(what: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new MdcCodecError("bad_value", `${what} ${v} is not a byte`);
  return v;
}

function percent(what: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 100) throw new MdcCodecError("bad_value", `${what} ${v} is not 0..100`);
  return v;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0").toUpperCase();
}
