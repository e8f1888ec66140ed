/**
 * One simulated Samsung display: its state, its boot time, and its answer to each MDC request.
 *
 * Behaviour (from the MDC protocol document and field experience, see PROTOCOLS.md):
 * power-on from standby ACKs at once, then the display boots for `bootMs`, refusing (NAK) every
 * command but power get/set meanwhile; in standby it answers gets but NAKs sets other than power.
 * NAK error codes are not documented publicly: the simulator uses 01 "not now" (booting, standby,
 * NAK storm) and 02 "not understood" (unknown command, bad value) (assumption).
 */
import type { Clock, TimerHandle } from "../../drivers/types.js";
import { MDC_CMD, INPUT_CODES, type InputName } from "../../drivers/samsung-mdc/codec-tables.js";
import { encodeAck, encodeNak, type MdcFrame } from "../../drivers/samsung-mdc/codec.js";

export const NAK_NOT_NOW = 0x01;
export const NAK_NOT_UNDERSTOOD = 0x02;
/** Temperature the over-temperature fault reports (°C), and the normal one. */
export const HOT_C = 85;
export const NORMAL_C = 38;

export type SimPower = "on" | "off" | "booting";

export interface MdcDisplayOptions {
  id: number;
  clock: Clock;
  /** Power at start (default on). */
  power?: "on" | "off";
  input?: InputName;
  /** Power-on (and reboot) to ready, ms (default 5000). */
  bootMs?: number;
  model?: string;
  serial?: string;
  software?: string;
}

/** Display-specific fault switches (`roomgate sim` controls). */
export interface DisplayFaults {
  /** Temperature error flag set and the temperature at HOT_C. */
  overtemp: boolean;
  /** Fan error. */
  fan: boolean;
  /** No signal on the selected input. */
  nosync: boolean;
}

const VALID_INPUTS = new Set<number>(Object.values(INPUT_CODES));

export class MdcDisplay {
  readonly id: number;
  readonly faults: DisplayFaults = { overtemp: false, fan: false, nosync: false };
  power: SimPower;
  volume = 25;
  mute = false;
  inputCode: number;
  brightness = 80;
  blanked = false;
  model: string;
  serial: string;
  software: string;
  private readonly clock: Clock;
  private readonly bootMs: number;
  private bootTimer: TimerHandle | undefined;

  constructor(opts: MdcDisplayOptions) {
    this.id = opts.id;
    this.clock = opts.clock;
    this.bootMs = opts.bootMs ?? 5000;
    this.power = opts.power ?? "on";
    this.inputCode = INPUT_CODES[opts.input ?? "hdmi1"];
    this.model = opts.model ?? "QM55R";
    this.serial = opts.serial ?? `0AB1H4NM${String(900000 + opts.id)}`;
    this.software = opts.software ?? "S-KTM55ELC-1090.2";
  }

  get temperature(): number {
    return this.faults.overtemp ? HOT_C : NORMAL_C;
  }

  /** The answer to one request addressed to this display (ACK or NAK frame). */
  handle(req: MdcFrame, nakStorm: boolean): Buffer {
    const { cmd, data } = req;
    const nak = (err: number) => encodeNak(this.id, cmd, err);
    const ack = (values: number[]) => encodeAck(this.id, cmd, values);
    if (nakStorm) return nak(NAK_NOT_NOW);
    if (cmd === MDC_CMD.power) return this.handlePower(data);
    if (this.power === "booting") return nak(NAK_NOT_NOW);
    const isGet = data.length === 0;
    if (!isGet && this.power === "off") return nak(NAK_NOT_NOW);
    if (!isGet && data.length !== 1) return nak(NAK_NOT_UNDERSTOOD);
    const v = data[0]!;
    switch (cmd) {
      case MDC_CMD.status:
        if (!isGet) return nak(NAK_NOT_UNDERSTOOD);
        return ack([this.power === "on" ? 1 : 0, this.volume, this.mute ? 1 : 0, this.inputCode, 0x10, 0, 0]);
      case MDC_CMD.errorStatus:
        if (!isGet) return nak(NAK_NOT_UNDERSTOOD);
        return ack([0, flag(this.faults.overtemp), 0, flag(this.faults.nosync), this.temperature, flag(this.faults.fan)]);
      case MDC_CMD.serialNumber:
        return isGet ? ack(text(this.serial)) : nak(NAK_NOT_UNDERSTOOD);
      case MDC_CMD.softwareVersion:
        return isGet ? ack(text(this.software)) : nak(NAK_NOT_UNDERSTOOD);
      case MDC_CMD.modelName:
        return isGet ? ack(text(this.model)) : nak(NAK_NOT_UNDERSTOOD);
      case MDC_CMD.modelNumber:
        return isGet ? ack([0x02, 0x1f, 0x01]) : nak(NAK_NOT_UNDERSTOOD); // LCD, code 1F, no TV tuner
      case MDC_CMD.volume:
        if (!isGet && v > 100) return nak(NAK_NOT_UNDERSTOOD);
        if (!isGet) this.volume = v;
        return ack([this.volume]);
      case MDC_CMD.mute:
        if (!isGet && v > 1) return nak(NAK_NOT_UNDERSTOOD);
        if (!isGet) this.mute = v === 1;
        return ack([flag(this.mute)]);
      case MDC_CMD.input:
        if (!isGet && !VALID_INPUTS.has(v)) return nak(NAK_NOT_UNDERSTOOD);
        if (!isGet) this.inputCode = v;
        return ack([this.inputCode]);
      case MDC_CMD.brightness:
        if (!isGet && v > 100) return nak(NAK_NOT_UNDERSTOOD);
        if (!isGet) this.brightness = v;
        return ack([this.brightness]);
      case MDC_CMD.panel:
        if (!isGet && v > 1) return nak(NAK_NOT_UNDERSTOOD);
        if (!isGet) this.blanked = v === 1;
        return ack([flag(this.blanked)]);
      default:
        return nak(NAK_NOT_UNDERSTOOD);
    }
  }

  /** A broadcast (ID FE) request: obeyed, never answered. */
  obey(req: MdcFrame): void {
    this.handle(req, false);
  }

  /** Power from the remote or the button (not MDC): `on` boots first. */
  setPower(on: boolean, reboot = false): void {
    this.clock.clearTimeout(this.bootTimer);
    this.bootTimer = undefined;
    if (!on) {
      this.power = "off";
      return;
    }
    if (this.power === "on" && !reboot) return;
    this.power = "booting";
    this.bootTimer = this.clock.setTimeout(() => {
      this.bootTimer = undefined;
      this.power = "on";
    }, this.bootMs);
  }

  /** Clears the boot timer (simulator closing). */
  close(): void {
    this.clock.clearTimeout(this.bootTimer);
    this.bootTimer = undefined;
  }

  private handlePower(data: Buffer): Buffer {
    const pw = () => (this.power === "off" ? 0 : 1);
    if (data.length === 0) return encodeAck(this.id, MDC_CMD.power, [pw()]);
    const v = data[0]!;
    if (data.length !== 1 || v > 2) return encodeNak(this.id, MDC_CMD.power, NAK_NOT_UNDERSTOOD);
    this.setPower(v !== 0, v === 2);
    return encodeAck(this.id, MDC_CMD.power, [v]);
  }
}

function flag(b: boolean): number {
  return b ? 1 : 0;
}

function text(s: string): number[] {
  return [...Buffer.from(s, "latin1")];
}
