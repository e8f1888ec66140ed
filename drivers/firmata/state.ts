/** The polled state of a Firmata GPIO board (a type alias so it is assignable to Record<string, unknown>). */
import type { FirmataOptions } from "./options.js";

export type FirmataState = {
  /** Relay name -> load powered (circuit closed). */
  relays: Record<string, boolean | null>;
  leds: Record<string, "on" | "off" | "blinking" | null>;
  /** Door contacts and other switches. */
  switches: Record<string, "open" | "closed" | null>;
  /** Thermometer name -> °C (one decimal). */
  temperatures: Record<string, number | null>;
  /** Firmware name and version the board reported, e.g. `StandardFirmata.ino 2.5`. */
  firmware: string | null;
  /** Malformed messages from the board since start. */
  garbledFrames: number;
};

/** Every configured name present, values unknown (null). */
export function emptyState(pins: FirmataOptions["pins"]): FirmataState {
  const s: FirmataState = { relays: {}, leds: {}, switches: {}, temperatures: {}, firmware: null, garbledFrames: 0 };
  for (const [name, role] of Object.entries(pins)) {
    if ("relay" in role) s.relays[name] = null;
    else if ("led" in role) s.leds[name] = null;
    else if ("switch" in role) s.switches[name] = null;
    else s.temperatures[name] = null;
  }
  return s;
}
