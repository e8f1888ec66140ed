/**
 * Entry point the agent loads lazily by protocol name `stamp` (`await import("../drivers/stamp/index.js")`).
 * The WAN link to the MCU (kind `link`): a STAMP / TWAMP-light sender over UDP to a stateless
 * reflector (`roomgate reflector`, drivers/stamp/reflector.ts).
 */
import type { Driver } from "../types.js";
import { StampDriver } from "./driver.js";

export { StampDriver, type StampState } from "./driver.js";
export { stampOptionsSchema as optionsSchema, parseStampOptions, type StampOptions } from "./options.js";
export { actionArgs } from "./actions.js";

/** A fresh, not yet started STAMP link driver (the constructor does nothing). */
export function createDriver(): Driver {
  return new StampDriver();
}
export { readiness } from "./readiness.js";
