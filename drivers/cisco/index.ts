/**
 * Entry point the agent loads lazily by protocol name (`await import("../drivers/cisco/index.js")`).
 * The codec readiness spec is shared by every codec driver (drivers/codec/readiness.ts) and wired by the agent.
 */
import type { Driver } from "../types.js";
import { CiscoDriver } from "./driver.js";

export { CiscoDriver, FEEDBACK } from "./driver.js";
export { ciscoOptionsSchema as optionsSchema, parseCiscoOptions, type CiscoOptions } from "./options.js";

/** A fresh, not yet started Cisco RoomOS / CE codec driver (the constructor does nothing). */
export function createDriver(): Driver {
  return new CiscoDriver() as unknown as Driver;
}
/** The readiness items every codec shares (registered, awake, microphones): drivers/codec/readiness.ts. */
export { readiness } from "../codec/readiness.js";
