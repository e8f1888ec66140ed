/**
 * The simulated Firmata board (an Arduino Uno with StandardFirmata 2.5), independent of the link:
 * `handle(bytes)` takes what the host wrote, `output` receives what the board sends. Behaviour
 * follows StandardFirmata: after a reset every digital pin is OUTPUT low and A0..A5 are ANALOG,
 * reporting is off, the sampling interval is 19 ms; it announces `F9 02 05` and its firmware name;
 * enabling a report sends the current value at once; digital inputs are reported on change,
 * analog inputs every sampling interval. Time comes from the injected clock.
 */
import { EventEmitter } from "node:events";
import { systemClock } from "../../drivers/clock.js";
import type { Clock, TimerHandle } from "../../drivers/types.js";
import {
  decodeHostMessage, encodeAnalog, encodeAnalogMapping, encodeCapabilities, encodeDigitalPort, encodeFirmware,
  encodePinState, encodeVersion, FirmataCodecError, MODE, SYSEX, encode7bitText, type HostMessage,
} from "../../drivers/firmata/codec.js";
import { FirmataFramer } from "../../drivers/firmata/framer.js";
import { celsiusToRaw, unoAnalogMapping, unoCapabilities, UNO_FIRST_ANALOG_PIN, UNO_PIN_COUNT } from "./uno.js";

export const FIRMWARE_NAME = "StandardFirmata.ino";
export const DEFAULT_SAMPLING_MS = 19;

/** Fault switches (CommonFaults plus the Firmata-only one). */
export interface FirmataFaults {
  silent: boolean;
  /** Put a malformed sysex (`F0 79 F7`, a firmware report with no version) before every message. */
  garbage: boolean;
  slowMs: number;
  /** Answer the version and firmware queries but never the capability / analog mapping queries. */
  noHandshake: boolean;
}

export interface FirmataBoardOptions {
  clock?: Clock;
  /** Sensor model per analog pin name for `setTemperature` (default LM35). */
  sensors?: Record<string, string>;
}

interface Pin {
  mode: number;
  /** Output value (OUTPUT) or pull-up on (INPUT/PULLUP). */
  value: number;
  /** Level an external circuit drives on the pin (inputs); floating with pull-up reads 1. */
  level: number | null;
  /** ADC reading 0..1023 (analog pins). */
  raw: number;
}

export interface FirmataBoardEvents {
  /** A digital output pin changed level (a relay coil, a lamp). */
  output: [pin: number, value: 0 | 1];
}

export const MALFORMED_SYSEX = Buffer.from([0xf0, SYSEX.REPORT_FIRMWARE, 0xf7]);

export class FirmataBoard extends EventEmitter<FirmataBoardEvents> {
  readonly faults: FirmataFaults = { silent: false, garbage: false, slowMs: 0, noHandshake: false };
  /** Where the board's bytes go; unset while unplugged. */
  output: ((bytes: Buffer) => void) | undefined;
  readonly framer = new FirmataFramer("fromHost");
  /** Host messages that did not decode (counted, as a sketch would ignore them). */
  rejected = 0;
  private readonly clock: Clock;
  private readonly sensors: Record<string, string>;
  private readonly capabilities = unoCapabilities();
  private readonly pins: Pin[] = [];
  private readonly analogReport = new Set<number>();
  private readonly digitalReport = new Set<number>();
  private lastReportedPort = new Map<number, number>();
  private samplingMs = DEFAULT_SAMPLING_MS;
  private sampler: TimerHandle | undefined;
  private readonly delayed = new Set<TimerHandle>();

  constructor(opts: FirmataBoardOptions = {}) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.sensors = opts.sensors ?? {};
    for (let p = 0; p < UNO_PIN_COUNT; p++) this.pins.push({ mode: MODE.OUTPUT, value: 0, level: null, raw: 0 });
    this.framer.onGarbage = () => this.rejected++;
    this.systemReset();
  }

  /** Power-on or reset button: defaults again, then the banner (version and firmware name). */
  boot(): void {
    this.systemReset();
    this.send(encodeVersion(2, 5));
    this.send(encodeFirmware(2, 5, FIRMWARE_NAME));
  }

  /** Bytes the host wrote. */
  handle(bytes: Buffer): void {
    for (const msg of this.framer.push(bytes)) {
      let m: HostMessage;
      try {
        m = decodeHostMessage(msg);
      } catch (err) {
        if (!(err instanceof FirmataCodecError)) throw err;
        this.rejected++;
        continue;
      }
      this.apply(m);
    }
  }

  /** Current level of every pin in OUTPUT mode, by pin number. */
  outputs(): Record<number, 0 | 1> {
    const out: Record<number, 0 | 1> = {};
    this.pins.forEach((p, i) => {
      if (p.mode === MODE.OUTPUT) out[i] = p.value ? 1 : 0;
    });
    return out;
  }

  pinMode(pin: number): number | undefined {
    return this.pins[pin]?.mode;
  }

  /** The sampling interval the host asked for. */
  get samplingIntervalMs(): number {
    return this.samplingMs;
  }

  /** Drives an input pin from outside (0 or 1); `null` leaves it floating (pull-up reads 1). */
  setInput(pin: number, level: 0 | 1 | null): void {
    const p = this.pinAt(pin);
    p.level = level;
    this.reportPortIfChanged(pin >> 3);
  }

  /** A door contact wired to ground: closed pulls the pin low, open leaves it to the pull-up. */
  setDoor(pin: number, state: "open" | "closed"): void {
    this.setInput(pin, state === "closed" ? 0 : 1);
  }

  /** Sets the ADC reading of an analog pin (`pin` is 14..19 or a name A0..A5). */
  setAnalog(pin: number | string, raw: number): void {
    if (!Number.isInteger(raw) || raw < 0 || raw > 1023) throw new RangeError(`analog value must be 0..1023, got ${raw}`);
    this.pinAt(analogPin(pin)).raw = raw;
  }

  /** Sets a temperature on an analog pin through the sensor's transfer function (5 V reference). */
  setTemperature(pin: number | string, celsius: number, model?: string): number {
    const p = analogPin(pin);
    const name = `A${p - UNO_FIRST_ANALOG_PIN}`;
    const raw = celsiusToRaw(model ?? this.sensors[name] ?? "LM35", celsius);
    this.setAnalog(p, raw);
    return raw;
  }

  /** Stops timers (closing the simulator). */
  close(): void {
    this.stopSampler();
    for (const t of this.delayed) this.clock.clearTimeout(t);
    this.delayed.clear();
  }

  // ---- protocol ----

  private apply(m: HostMessage): void {
    const handshake = m.type === "capabilityQuery" || m.type === "analogMappingQuery";
    if (handshake && this.faults.noHandshake) return;
    switch (m.type) {
      case "versionQuery": return this.send(encodeVersion(2, 5));
      case "firmwareQuery": return this.send(encodeFirmware(2, 5, FIRMWARE_NAME));
      case "capabilityQuery": return this.send(encodeCapabilities(this.capabilities));
      case "analogMappingQuery": return this.send(encodeAnalogMapping(unoAnalogMapping()));
      case "pinStateQuery": {
        const p = this.pins[m.pin];
        if (p) this.send(encodePinState(m.pin, p.mode, p.value));
        return;
      }
      case "samplingInterval":
        this.samplingMs = Math.max(1, m.ms);
        return this.restartSampler();
      case "pinMode": return this.setMode(m.pin, m.mode);
      case "digitalPort":
        for (let i = 0; i < 8; i++) this.writePin(m.port * 8 + i, (m.value >> i) & 1);
        return;
      case "digitalPin": return this.writePin(m.pin, m.value ? 1 : 0);
      case "reportDigital":
        if (!m.on) {
          this.digitalReport.delete(m.port);
          return;
        }
        this.digitalReport.add(m.port);
        this.lastReportedPort.set(m.port, this.readPort(m.port));
        return this.send(encodeDigitalPort(m.port, this.readPort(m.port)));
      case "reportAnalog": {
        if (!m.on) {
          this.analogReport.delete(m.channel);
          return;
        }
        this.analogReport.add(m.channel);
        const p = this.pins[UNO_FIRST_ANALOG_PIN + m.channel];
        if (p) this.send(encodeAnalog(m.channel, p.raw));
        return this.restartSampler();
      }
      case "reset": return this.systemReset();
      case "analogWrite":
      case "otherSysex":
        return;
    }
  }

  private setMode(pin: number, mode: number): void {
    const caps = this.capabilities[pin];
    const p = this.pins[pin];
    if (!caps || !p || !caps.has(mode)) {
      // StandardFirmata answers an unsupported mode with a string message.
      this.send(Buffer.from([0xf0, SYSEX.STRING_DATA, ...encode7bitText("Unknown pin mode"), 0xf7]));
      return;
    }
    const wasOutput = p.mode === MODE.OUTPUT;
    p.mode = mode;
    p.value = mode === MODE.PULLUP ? 1 : mode === MODE.OUTPUT ? p.value : 0;
    if (!wasOutput && mode === MODE.OUTPUT && p.value) this.emit("output", pin, 1);
    this.reportPortIfChanged(pin >> 3);
  }

  private writePin(pin: number, value: number): void {
    const p = this.pins[pin];
    if (!p || p.mode !== MODE.OUTPUT) return; // port writes carry every pin; only outputs obey
    if (p.value === value) return;
    p.value = value;
    this.emit("output", pin, value ? 1 : 0);
  }

  /** Input levels of a port (bits of pins in INPUT/PULLUP mode), as StandardFirmata's readPort. */
  private readPort(port: number): number {
    let v = 0;
    for (let i = 0; i < 8; i++) {
      const p = this.pins[port * 8 + i];
      if (!p || (p.mode !== MODE.INPUT && p.mode !== MODE.PULLUP)) continue;
      const level = p.level ?? (p.mode === MODE.PULLUP ? 1 : 0);
      v |= level << i;
    }
    return v;
  }

  private reportPortIfChanged(port: number): void {
    if (!this.digitalReport.has(port)) return;
    const v = this.readPort(port);
    if (this.lastReportedPort.get(port) === v) return;
    this.lastReportedPort.set(port, v);
    this.send(encodeDigitalPort(port, v));
  }

  private systemReset(): void {
    this.pins.forEach((p, i) => {
      p.mode = i >= UNO_FIRST_ANALOG_PIN ? MODE.ANALOG : MODE.OUTPUT;
      p.value = 0;
    });
    this.analogReport.clear();
    this.digitalReport.clear();
    this.lastReportedPort = new Map();
    this.samplingMs = DEFAULT_SAMPLING_MS;
    this.stopSampler();
  }

  private restartSampler(): void {
    this.stopSampler();
    if (this.analogReport.size === 0) return;
    this.sampler = this.clock.setInterval(() => this.sample(), this.samplingMs);
  }

  private stopSampler(): void {
    if (this.sampler !== undefined) this.clock.clearInterval(this.sampler);
    this.sampler = undefined;
  }

  private sample(): void {
    for (const ch of [...this.analogReport].sort((a, b) => a - b)) {
      const p = this.pins[UNO_FIRST_ANALOG_PIN + ch];
      if (p && p.mode === MODE.ANALOG) this.send(encodeAnalog(ch, p.raw));
    }
  }

  private send(bytes: Buffer): void {
    if (this.faults.silent || !this.output) return;
    const out = this.faults.garbage ? Buffer.concat([MALFORMED_SYSEX, bytes]) : bytes;
    if (this.faults.slowMs <= 0) {
      this.output(out);
      return;
    }
    const t = this.clock.setTimeout(() => {
      this.delayed.delete(t);
      this.output?.(out);
    }, this.faults.slowMs);
    this.delayed.add(t);
  }

  private pinAt(pin: number): Pin {
    const p = this.pins[pin];
    if (!p || pin < 2) throw new RangeError(`pin ${pin} is not an I/O pin of this board (2..${UNO_PIN_COUNT - 1})`);
    return p;
  }
}

/** 14..19, or "A0".."A5" -> 14..19. */
export function analogPin(pin: number | string): number {
  const n = typeof pin === "string" ? (/^A([0-5])$/i.exec(pin) ? UNO_FIRST_ANALOG_PIN + Number(pin.slice(1)) : NaN) : pin;
  if (!Number.isInteger(n) || n < UNO_FIRST_ANALOG_PIN || n >= UNO_PIN_COUNT) {
    throw new RangeError(`"${pin}" is not an analog pin (A0..A5 or 14..19)`);
  }
  return n;
}
