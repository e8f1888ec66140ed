/**
 * Entry point the agent loads lazily by protocol name `x32` (`await import("../drivers/x32/index.js")`).
 * Behringer X32 / Midas M32 mixers over OSC (UDP 10023).
 */
import type { Driver } from "../types.js";
import { X32Driver } from "./driver.js";

export { X32Driver, type X32State, type ChannelState } from "./driver.js";
export { x32OptionsSchema as optionsSchema, parseX32Options, type X32Options } from "./options.js";
export { actionArgs } from "./actions.js";

/** A fresh, not yet started X32 driver (the constructor does nothing). */
export function createDriver(): Driver {
  return new X32Driver();
}
export { readiness } from "./readiness.js";
