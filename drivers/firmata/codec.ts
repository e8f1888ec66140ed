/**
 * Firmata 2.x messages as values (pure, no I/O). The driver uses the decoders to vet what the
 * board sends before firmata-io sees it (firmata-io throws on some malformed sysex); the simulator
 * uses both directions. Byte layouts: PROTOCOLS.md "Firmata" and the Firmata protocol document.
 */

export const MODE = { INPUT: 0x00, OUTPUT: 0x01, ANALOG: 0x02, PWM: 0x03, SERVO: 0x04, I2C: 0x06, PULLUP: 0x0b } as const;

export const SYSEX = {
  ANALOG_MAPPING_QUERY: 0x69,
  ANALOG_MAPPING_RESPONSE: 0x6a,
  CAPABILITY_QUERY: 0x6b,
  CAPABILITY_RESPONSE: 0x6c,
  PIN_STATE_QUERY: 0x6d,
  PIN_STATE_RESPONSE: 0x6e,
  STRING_DATA: 0x71,
  REPORT_FIRMWARE: 0x79,
  SAMPLING_INTERVAL: 0x7a,
} as const;

/** Analog mapping value of a pin without an analog channel. */
export const NO_ANALOG = 0x7f;

export class FirmataCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FirmataCodecError";
  }
}

/** One pin's entry in a capability response: mode -> resolution bits. */
export type PinCapabilities = ReadonlyMap<number, number>;

/** A message from the board, decoded. */
export type BoardMessage =
  | { type: "version"; major: number; minor: number }
  | { type: "firmware"; major: number; minor: number; name: string }
  | { type: "capabilities"; pins: PinCapabilities[] }
  | { type: "analogMapping"; channels: number[] }
  | { type: "pinState"; pin: number; mode: number; state: number }
  | { type: "digitalPort"; port: number; value: number }
  | { type: "analog"; channel: number; value: number }
  | { type: "string"; text: string }
  | { type: "otherSysex"; command: number };

/** A message from the host, decoded. */
export type HostMessage =
  | { type: "versionQuery" }
  | { type: "firmwareQuery" }
  | { type: "capabilityQuery" }
  | { type: "analogMappingQuery" }
  | { type: "pinStateQuery"; pin: number }
  | { type: "samplingInterval"; ms: number }
  | { type: "pinMode"; pin: number; mode: number }
  | { type: "digitalPort"; port: number; value: number }
  | { type: "digitalPin"; pin: number; value: number }
  | { type: "reportAnalog"; channel: number; on: boolean }
  | { type: "reportDigital"; port: number; on: boolean }
  | { type: "analogWrite"; pin: number; value: number }
  | { type: "reset" }
  | { type: "otherSysex"; command: number };

const u14 = (lsb: number, msb: number): number => (lsb & 0x7f) | ((msb & 0x7f) << 7);
const split14 = (v: number): [number, number] => [v & 0x7f, (v >> 7) & 0x7f];

/** Two 7-bit bytes per character (as REPORT_FIRMWARE and STRING_DATA carry text). */
export function encode7bitText(text: string): number[] {
  const out: number[] = [];
  for (const byte of Buffer.from(text, "latin1")) out.push(byte & 0x7f, (byte >> 7) & 0x01);
  return out;
}

function decode7bitText(bytes: Buffer): string {
  if (bytes.length % 2 !== 0) throw new FirmataCodecError(`text of odd length ${bytes.length}`);
  const chars: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) chars.push(u14(bytes[i]!, bytes[i + 1]!) & 0xff);
  return Buffer.from(chars).toString("latin1");
}

/**
 * Decodes one framed message from the board. Throws FirmataCodecError for a malformed one
 * (wrong length, a pin number the capability table does not have when `pinCount` is known).
 */
export function decodeBoardMessage(msg: Buffer, pinCount?: number): BoardMessage {
  const status = msg[0]!;
  if (status === 0xf0) return decodeBoardSysex(msg, pinCount);
  if (msg.length !== 3) throw new FirmataCodecError(`message ${status.toString(16)} of length ${msg.length}`);
  const value = u14(msg[1]!, msg[2]!);
  if (status === 0xf9) return { type: "version", major: msg[1]!, minor: msg[2]! };
  if ((status & 0xf0) === 0x90) return { type: "digitalPort", port: status & 0x0f, value };
  if ((status & 0xf0) === 0xe0) return { type: "analog", channel: status & 0x0f, value };
  throw new FirmataCodecError(`a board does not send ${status.toString(16)}`);
}

function decodeBoardSysex(msg: Buffer, pinCount?: number): BoardMessage {
  if (msg.length < 3 || msg[msg.length - 1] !== 0xf7) throw new FirmataCodecError("sysex without F7");
  const command = msg[1]!;
  const body = msg.subarray(2, msg.length - 1);
  switch (command) {
    case SYSEX.REPORT_FIRMWARE:
      if (body.length < 2) throw new FirmataCodecError(`firmware report of ${body.length} bytes (needs major, minor)`);
      return { type: "firmware", major: body[0]!, minor: body[1]!, name: decode7bitText(body.subarray(2)) };
    case SYSEX.CAPABILITY_RESPONSE: {
      if (body.length === 0 || body[body.length - 1] !== NO_ANALOG) throw new FirmataCodecError("capability response not ending in 7F");
      const pins: Map<number, number>[] = [];
      let current = new Map<number, number>();
      for (let i = 0; i < body.length; ) {
        if (body[i] === 0x7f) {
          pins.push(current);
          current = new Map();
          i++;
          continue;
        }
        if (i + 1 >= body.length) throw new FirmataCodecError("capability entry without resolution");
        current.set(body[i]!, body[i + 1]!);
        i += 2;
      }
      return { type: "capabilities", pins };
    }
    case SYSEX.ANALOG_MAPPING_RESPONSE:
      if (pinCount !== undefined && body.length !== pinCount) {
        throw new FirmataCodecError(`analog mapping for ${body.length} pins; the board has ${pinCount}`);
      }
      return { type: "analogMapping", channels: [...body] };
    case SYSEX.PIN_STATE_RESPONSE: {
      if (body.length < 3 || body.length > 7) throw new FirmataCodecError(`pin state of ${body.length} bytes`);
      const pin = body[0]!;
      if (pinCount !== undefined && pin >= pinCount) throw new FirmataCodecError(`pin state for pin ${pin}; the board has ${pinCount} pins`);
      let state = 0;
      for (let i = 2; i < body.length; i++) state |= body[i]! << (7 * (i - 2));
      return { type: "pinState", pin, mode: body[1]!, state };
    }
    case SYSEX.STRING_DATA:
      return { type: "string", text: decode7bitText(body) };
    default:
      return { type: "otherSysex", command };
  }
}

/** Decodes one framed message from the host (the simulator's side). Throws FirmataCodecError. */
export function decodeHostMessage(msg: Buffer): HostMessage {
  const status = msg[0]!;
  if (status === 0xf9 && msg.length === 1) return { type: "versionQuery" };
  if (status === 0xff && msg.length === 1) return { type: "reset" };
  if (status === 0xf0) {
    if (msg.length < 3 || msg[msg.length - 1] !== 0xf7) throw new FirmataCodecError("sysex without F7");
    const body = msg.subarray(2, msg.length - 1);
    switch (msg[1]) {
      case SYSEX.REPORT_FIRMWARE: return { type: "firmwareQuery" };
      case SYSEX.CAPABILITY_QUERY: return { type: "capabilityQuery" };
      case SYSEX.ANALOG_MAPPING_QUERY: return { type: "analogMappingQuery" };
      case SYSEX.PIN_STATE_QUERY:
        if (body.length !== 1) throw new FirmataCodecError(`pin state query of ${body.length} bytes`);
        return { type: "pinStateQuery", pin: body[0]! };
      case SYSEX.SAMPLING_INTERVAL:
        if (body.length !== 2) throw new FirmataCodecError(`sampling interval of ${body.length} bytes`);
        return { type: "samplingInterval", ms: u14(body[0]!, body[1]!) };
      default:
        return { type: "otherSysex", command: msg[1]! };
    }
  }
  const high = status & 0xf0;
  if (msg.length === 2 && (high === 0xc0 || high === 0xd0)) {
    const on = msg[1] !== 0;
    return high === 0xc0 ? { type: "reportAnalog", channel: status & 0x0f, on } : { type: "reportDigital", port: status & 0x0f, on };
  }
  if (msg.length !== 3) throw new FirmataCodecError(`message ${status.toString(16)} of length ${msg.length}`);
  if (status === 0xf4) return { type: "pinMode", pin: msg[1]!, mode: msg[2]! };
  if (status === 0xf5) return { type: "digitalPin", pin: msg[1]!, value: msg[2]! };
  if (high === 0x90) return { type: "digitalPort", port: status & 0x0f, value: u14(msg[1]!, msg[2]!) };
  if (high === 0xe0) return { type: "analogWrite", pin: status & 0x0f, value: u14(msg[1]!, msg[2]!) };
  throw new FirmataCodecError(`a host does not send ${status.toString(16)}`);
}

// ---- encoders (board -> host), used by the simulator ----

export const encodeVersion = (major: number, minor: number): Buffer => Buffer.from([0xf9, major, minor]);

export const encodeFirmware = (major: number, minor: number, name: string): Buffer =>
  Buffer.from([0xf0, SYSEX.REPORT_FIRMWARE, major, minor, ...encode7bitText(name), 0xf7]);

export function encodeCapabilities(pins: readonly PinCapabilities[]): Buffer {
  const body: number[] = [];
  for (const pin of pins) {
    for (const [mode, resolution] of pin) body.push(mode, resolution);
    body.push(0x7f);
  }
  return Buffer.from([0xf0, SYSEX.CAPABILITY_RESPONSE, ...body, 0xf7]);
}

export const encodeAnalogMapping = (channels: readonly number[]): Buffer =>
  Buffer.from([0xf0, SYSEX.ANALOG_MAPPING_RESPONSE, ...channels, 0xf7]);

export function encodePinState(pin: number, mode: number, state: number): Buffer {
  const bytes = [state & 0x7f];
  for (let rest = state >> 7; rest > 0; rest >>= 7) bytes.push(rest & 0x7f);
  return Buffer.from([0xf0, SYSEX.PIN_STATE_RESPONSE, pin, mode, ...bytes, 0xf7]);
}

export const encodeDigitalPort = (port: number, value: number): Buffer => Buffer.from([0x90 | port, ...split14(value)]);
export const encodeAnalog = (channel: number, value: number): Buffer => Buffer.from([0xe0 | channel, ...split14(value)]);

// ---- encoders (host -> board), used by the driver for what firmata-io does not send ----

export const encodePinMode = (pin: number, mode: number): Buffer => Buffer.from([0xf4, pin, mode]);
