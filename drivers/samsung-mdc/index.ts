/**
 * Entry point the agent loads lazily by protocol name `mdc` (`await import("../drivers/samsung-mdc/index.js")`).
 */
import type { Driver } from "../types.js";
import { MdcDriver } from "./driver.js";

export { MdcDriver } from "./driver.js";
export type { MdcState, DisplayState } from "./state.js";
export { mdcOptionsSchema as optionsSchema, parseMdcOptions, type MdcOptions } from "./options.js";
export { actionArgs } from "./actions.js";
export { INPUT_CODES, INPUT_NAMES } from "./codec-tables.js";

/** A fresh, not yet started Samsung MDC display driver (the constructor does nothing). */
export function createDriver(): Driver {
  return new MdcDriver();
}
export { readiness } from "./readiness.js";
