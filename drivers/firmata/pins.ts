/**
 * Pin roles checked against what the board reported in the handshake (capabilities and analog
 * mapping), and the sensors' transfer functions. Pure: the session hands in the board's tables.
 */
import { MODE } from "./codec.js";
import { rolePin, type FirmataOptions, type PinRole } from "./options.js";

export type ResolvedPin =
  | { name: string; kind: "relay"; pin: number; activeHigh: boolean; initialOn: boolean }
  | { name: string; kind: "led"; pin: number; initialOn: boolean }
  | { name: string; kind: "switch"; pin: number; pullup: boolean; closedLevel: 0 | 1 }
  | { name: string; kind: "thermometer"; pin: number; channel: number; model: string; arefV: number; overC?: number };

/** What the handshake told us (firmata-io's `pins[i].supportedModes` and `analogPins`). */
export interface BoardTables {
  supportedModes: readonly (readonly number[])[];
  /** Pin number of each analog channel. */
  analogPins: readonly number[];
}

export class PinConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PinConfigError";
  }
}

/** Resolves every role; throws PinConfigError naming the first pin the board cannot serve. */
export function resolvePins(pins: FirmataOptions["pins"], board: BoardTables): ResolvedPin[] {
  const out: ResolvedPin[] = [];
  const used = new Map<number, string>();
  for (const [name, role] of Object.entries(pins)) {
    const ref = rolePin(role);
    const pin = toPinNumber(name, ref, board);
    const need = requiredModes(role);
    const modes = board.supportedModes[pin] ?? [];
    if (!need.some((m) => modes.includes(m))) {
      throw new PinConfigError(
        `pin "${name}": pin ${String(ref)} cannot be ${roleKind(role)} on this board (its modes: ${modes.length ? modes.map(modeName).join(", ") : "none"})`,
      );
    }
    const other = used.get(pin);
    if (other !== undefined) throw new PinConfigError(`pin "${name}": pin ${String(ref)} is pin ${pin}, already used by "${other}"`);
    used.set(pin, name);
    out.push(resolveRole(name, role, pin, board));
  }
  return out;
}

function toPinNumber(name: string, ref: number | string, board: BoardTables): number {
  if (typeof ref === "number") {
    if (ref >= board.supportedModes.length) {
      throw new PinConfigError(`pin "${name}": pin ${ref} is beyond this board's ${board.supportedModes.length} pins`);
    }
    return ref;
  }
  const channel = Number(ref.slice(1));
  const pin = board.analogPins[channel];
  if (pin === undefined) throw new PinConfigError(`pin "${name}": ${ref} is beyond this board's ${board.analogPins.length} analog pins`);
  return pin;
}

function resolveRole(name: string, role: PinRole, pin: number, board: BoardTables): ResolvedPin {
  if ("relay" in role) return { name, kind: "relay", pin, activeHigh: role.type === "NO", initialOn: role.initialOn };
  if ("led" in role) return { name, kind: "led", pin, initialOn: role.initialOn };
  if ("switch" in role) return { name, kind: "switch", pin, pullup: role.pullup, closedLevel: role.invert ? 1 : 0 };
  const channel = board.analogPins.indexOf(pin);
  return {
    name, kind: "thermometer", pin, channel, model: role.model, arefV: role.arefV,
    ...(role.overC === undefined ? {} : { overC: role.overC }),
  };
}

function requiredModes(role: PinRole): number[] {
  if ("relay" in role || "led" in role) return [MODE.OUTPUT];
  if ("switch" in role) return role.pullup ? [MODE.PULLUP] : [MODE.INPUT];
  return [MODE.ANALOG];
}

function roleKind(role: PinRole): string {
  if ("relay" in role) return "a relay (digital output)";
  if ("led" in role) return "an led (digital output)";
  if ("switch" in role) return role.pullup ? "a switch (input with pull-up)" : "a switch (digital input)";
  return "a thermometer (analog input)";
}

const MODE_NAMES: Record<number, string> = {
  [MODE.INPUT]: "input", [MODE.OUTPUT]: "output", [MODE.ANALOG]: "analog", [MODE.PWM]: "pwm",
  [MODE.SERVO]: "servo", [MODE.I2C]: "i2c", [MODE.PULLUP]: "pullup",
};
const modeName = (m: number): string => MODE_NAMES[m] ?? `mode ${m}`;

/** ADC reading -> °C, one decimal (datasheet transfer functions, 10-bit ADC). */
export function rawToCelsius(model: string, raw: number, arefV: number): number {
  const mv = (raw * arefV * 1000) / 1023;
  const c = model === "TMP36" ? (mv - 500) / 10 : model === "LM335" ? mv / 10 - 273.15 : mv / 10;
  return Math.round(c * 10) / 10;
}
