/**
 * Entry point the agent loads lazily by protocol name (`await import("../drivers/poly/index.js")`).
 * No `readiness` here: kind codec's readiness is shared (drivers/codec/readiness.ts) and wired by
 * the agent's maintainers.
 */
import type { Driver } from "../types.js";
import { PolyDriver } from "./driver.js";

export { PolyDriver } from "./driver.js";
export { polyOptionsSchema as optionsSchema, parsePolyOptions, type PolyOptions } from "./options.js";

/** A fresh, not yet started Poly Group Series / HDX driver (the constructor does nothing). */
export function createDriver(): Driver {
  // CodecState is an interface (no index signature), so it is a Record<string, unknown> only by a cast.
  return new PolyDriver() as unknown as Driver;
}
/** The readiness items every codec shares (registered, awake, microphones): drivers/codec/readiness.ts. */
export { readiness } from "../codec/readiness.js";
