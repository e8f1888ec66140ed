/**
 * Entry point the agent loads lazily by protocol name (`await import("../drivers/visca/index.js")`).
 */
import type { Driver } from "../types.js";
import { ViscaDriver } from "./driver.js";

export { ViscaDriver, type ViscaState } from "./driver.js";
export { viscaOptionsSchema as optionsSchema, parseViscaOptions, type ViscaOptions } from "./options.js";
export { actionArgs } from "./actions.js";

/** A fresh, not yet started VISCA camera driver (the constructor does nothing). */
export function createDriver(): Driver {
  return new ViscaDriver();
}
export { readiness } from "./readiness.js";
