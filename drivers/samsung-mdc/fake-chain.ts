/**
 * Test-only: displays on a chain played at the byte level for the driver's unit tests. Answers
 * are built here with their own checksum arithmetic (not the codec's), so a codec bug cannot
 * hide behind them; the tests also assert literal bytes.
 */
import type { FakeTransport } from "../transport/fake.js";

export interface FakeDisplay {
  power: number;
  volume: number;
  mute: number;
  input: number;
  brightness: number;
  panel: number;
  temperature: number;
  temperatureError: number;
  fan: number;
  noSync: number;
  model: string;
  serial: string;
  software: string;
  /** Answer nothing. */
  silent: boolean;
  /** NAK this many requests (any command but a power get) before answering again: a booting display. */
  nakNext: number;
  /** NAK every request with this error code. */
  nakAll: number | null;
  /** Answer with this display id instead of the own one (a miswired chain). */
  answerAs: number | null;
}

export function fakeDisplay(over: Partial<FakeDisplay> = {}): FakeDisplay {
  return {
    power: 1, volume: 30, mute: 0, input: 0x21, brightness: 50, panel: 0, temperature: 40, temperatureError: 0,
    fan: 0, noSync: 0, model: "QM55R", serial: "SN0001", software: "S-1090.2", silent: false, nakNext: 0,
    nakAll: null, answerAs: null, ...over,
  };
}

export function frame(cmd: number, id: number, data: number[]): Buffer {
  const body = [cmd, id, data.length, ...data];
  return Buffer.from([0xaa, ...body, body.reduce((a, b) => a + b, 0) % 256]);
}

const ack = (id: number, rcmd: number, values: number[]) => frame(0xff, id, [0x41, rcmd, ...values]);
const nak = (id: number, rcmd: number, err: number) => frame(0xff, id, [0x4e, rcmd, err]);
const text = (s: string) => [...Buffer.from(s, "latin1")];

/** Plays `displays` (by id) behind `t`: every written request frame gets the addressed display's answer. */
export function playChain(t: FakeTransport, displays: Map<number, FakeDisplay>): void {
  t.responder = (w) => {
    const [, cmd, id, len] = w;
    const data = [...w.subarray(4, 4 + len!)];
    const d = displays.get(id!);
    if (!d || d.silent) return;
    const as = d.answerAs ?? id!;
    if (d.nakAll !== null) return [nak(as, cmd!, d.nakAll)];
    if (d.nakNext > 0 && !(cmd === 0x11 && data.length === 0)) {
      d.nakNext--;
      return [nak(as, cmd!, 0x01)];
    }
    const set = data.length > 0 ? data[0]! : undefined;
    const field = (key: "power" | "volume" | "mute" | "input" | "brightness" | "panel") => {
      if (set !== undefined) d[key] = set;
      return [ack(as, cmd!, [d[key]])];
    };
    switch (cmd) {
      case 0x00:
        return [ack(as, 0, [d.power, d.volume, d.mute, d.input, 0x10, 0, 0])];
      case 0x0d:
        return [ack(as, 0x0d, [0, d.temperatureError, 0, d.noSync, d.temperature, d.fan])];
      case 0x8a:
        return [ack(as, 0x8a, text(d.model))];
      case 0x0b:
        return [ack(as, 0x0b, text(d.serial))];
      case 0x0e:
        return [ack(as, 0x0e, text(d.software))];
      case 0x11:
        return field("power");
      case 0x12:
        return field("volume");
      case 0x13:
        return field("mute");
      case 0x14:
        return field("input");
      case 0x25:
        return field("brightness");
      case 0xf9:
        return field("panel");
      default:
        return [nak(as, cmd!, 0x02)];
    }
  };
}
