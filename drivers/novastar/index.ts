/**
 * Entry point the agent loads lazily by protocol name (`await import("../drivers/novastar/index.js")`).
 */
import type { Driver } from "../types.js";
import { NovastarDriver } from "./driver.js";

export { NovastarDriver, type NovastarState } from "./driver.js";
export { novastarOptionsSchema as optionsSchema, parseNovastarOptions, type NovastarOptions } from "./options.js";
export { actionArgs } from "./actions.js";
export { BUILTIN_MODELS, TEST_PATTERNS } from "./registers.js";

/** A fresh, not yet started NovaStar LED controller driver (the constructor does nothing). */
export function createDriver(): Driver {
  return new NovastarDriver();
}
export { readiness } from "./readiness.js";
