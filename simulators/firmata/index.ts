/**
 * The Firmata board simulator (an Arduino Uno with StandardFirmata) on a pseudo-terminal. The spec comes
 * from tests or from a site file's `simulator.options`, so it is validated here with messages that
 * name the field. Device controls for `roomgate sim`: temp, door, relays, nohandshake, reset.
 */
import { z } from "zod";
import type { SimHandle, SimRuntime, StartFromSite } from "../types.js";
import type { FirmataBoard, FirmataFaults } from "./board.js";
import { startSerialBoard } from "./serial.js";
import { SENSOR_MV } from "./uno.js";
import { parseSpec, SimulatorSpecError } from "../spec.js";

export { FirmataBoard, FIRMWARE_NAME, MALFORMED_SYSEX, analogPin, type FirmataFaults, type FirmataBoardEvents } from "./board.js";
export { celsiusToRaw, unoCapabilities, unoAnalogMapping, UNO_PIN_COUNT } from "./uno.js";

const sensorModel = z.enum(Object.keys(SENSOR_MV) as [string, ...string[]]);

export const firmataSimulatorSpecSchema = z.strictObject({
  link: z.literal("serial").default("serial").describe("Only serial: a pseudo-terminal."),
  devicePath: z.string().min(1).describe("The path the agent opens."),
  baudRate: z.number().int().positive().default(57600).describe("StandardFirmata runs at 57600."),
  sensors: z
    .record(z.string().regex(/^A[0-5]$/, "an analog pin A0..A5"), sensorModel)
    .default({})
    .describe("Sensor model on each analog pin, for the `temp` control (default LM35)."),
  temperatures: z
    .record(z.string().regex(/^A[0-5]$/, "an analog pin A0..A5"), z.number().min(-55).max(150))
    .default({})
    .describe("Temperature (°C) on analog pins at start."),
  doors: z
    .record(z.string().regex(/^([2-9]|1[0-9])$/, "a digital pin 2..19"), z.enum(["open", "closed"]))
    .default({})
    .describe("Door contacts at start, by pin number."),
});

export type FirmataSimulatorSpec = z.input<typeof firmataSimulatorSpecSchema> & SimRuntime;

export interface FirmataSimHandle extends SimHandle {
  readonly board: FirmataBoard;
  readonly faults: FirmataFaults;
  readonly devicePath: string;
  /** Calls `fn(pin, value)` whenever a digital output changes; returns the unsubscribe. */
  onOutput(fn: (pin: number, value: 0 | 1) => void): () => void;
  control(verb: string, args: readonly string[]): string | undefined;
  readonly controlHelp: string;
}

export { SimulatorSpecError };

export const CONTROL_HELP = [
  "  temp DEV PIN CELSIUS [MODEL]  analog sensor reading (A0..A5; LM35 10 mV/°C, TMP36 500 mV + 10 mV/°C, 5 V ref)",
  "  door DEV PIN open|closed      door contact to ground on a digital pin (closed = low)",
  "  relays DEV                    digital outputs and their levels",
  "  nohandshake DEV on|off        answer version/firmware but never capabilities (handshake stalls)",
  "  reset DEV                     reset button: defaults, then the version/firmware banner",
].join("\n");

/** Starts a simulated Firmata board. Rejects with SimulatorSpecError (`bad_config`) for a bad spec. */
export async function startFirmataSimulator(spec: FirmataSimulatorSpec): Promise<FirmataSimHandle> {
  const { clock, logger, ...data } = spec;
  const s = parseSpec(firmataSimulatorSpecSchema, data, "Firmata simulator spec");
  const sim = await startSerialBoard({
    devicePath: s.devicePath,
    baudRate: s.baudRate,
    sensors: s.sensors,
    ...(clock ? { clock } : {}),
    ...(logger ? { logger } : {}),
  });
  const board = sim.board;
  for (const [pin, c] of Object.entries(s.temperatures)) board.setTemperature(pin, c);
  for (const [pin, state] of Object.entries(s.doors)) board.setDoor(Number(pin), state);

  const control = (verb: string, args: readonly string[]): string | undefined => {
    switch (verb) {
      case "temp": {
        const [pin, value, model] = args;
        const c = Number(value);
        if (pin === undefined || value === undefined || !Number.isFinite(c)) throw new Error("usage: temp DEV PIN CELSIUS [MODEL]");
        const raw = board.setTemperature(pin, c, model);
        return `${pin.toUpperCase()} = ${c} °C (adc ${raw})`;
      }
      case "door": {
        const [pin, state] = args;
        const n = Number(pin);
        if (!Number.isInteger(n) || (state !== "open" && state !== "closed")) throw new Error("usage: door DEV PIN open|closed");
        board.setDoor(n, state);
        return `pin ${n} door ${state}`;
      }
      case "relays": {
        const outs = Object.entries(board.outputs()).map(([pin, v]) => `${pin}=${v ? "high" : "low"}`);
        return outs.length === 0 ? "no outputs" : outs.join(" ");
      }
      case "nohandshake": {
        const v = args[0];
        if (v !== "on" && v !== "off") throw new Error("usage: nohandshake DEV on|off");
        board.faults.noHandshake = v === "on";
        return `nohandshake=${v}`;
      }
      case "reset":
        board.boot();
        return "board reset";
      default:
        return undefined;
    }
  };

  return {
    protocol: "firmata",
    board,
    faults: board.faults,
    devicePath: sim.devicePath,
    get errors() {
      return sim.errors;
    },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    close: () => sim.close(),
    describe: () => sim.describe(),
    onOutput(fn) {
      board.on("output", fn);
      return () => board.off("output", fn);
    },
    control,
    controlHelp: CONTROL_HELP,
  };
}

/** `roomgate sim` entry: a Firmata board on the serial path the site file names. */
export const startFromSite: StartFromSite = async (transport, options, runtime = {}) => {
  if (transport.type !== "serial") {
    throw new SimulatorSpecError(`the Firmata simulator has no ${transport.type} link (serial only)`);
  }
  return startFirmataSimulator({ ...options, devicePath: transport.path, baudRate: transport.baudRate, ...runtime });
};
