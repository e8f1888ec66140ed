/**
 * Entry point the agent loads lazily by protocol name (`await import("../drivers/tesira/index.js")`).
 */
import type { Driver } from "../types.js";
import { TesiraDriver } from "./driver.js";

export { TesiraDriver } from "./driver.js";
export type { TesiraState, ChannelState } from "./state.js";
export { tesiraOptionsSchema as optionsSchema, parseTesiraOptions, LEVEL_MIN_DB, LEVEL_MAX_DB, type TesiraOptions } from "./options.js";
export { actionArgs } from "./actions.js";

/** A fresh, not yet started Tesira DSP driver (the constructor does nothing). */
export function createDriver(): Driver {
  return new TesiraDriver();
}
export { readiness } from "./readiness.js";
