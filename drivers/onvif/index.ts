/**
 * Entry point the agent loads lazily by protocol name (`await import("../drivers/onvif/index.js")`).
 * Also exports WS-Discovery (`discover`, `formatDeviceEntry`) for `roomgate discover` and the
 * agent-level `discover` action.
 */
import type { Driver } from "../types.js";
import { OnvifDriver } from "./driver.js";

export { OnvifDriver, type OnvifState } from "./driver.js";
export { onvifOptionsSchema as optionsSchema, parseOnvifOptions, resolvePassword, type OnvifOptions } from "./options.js";
export { actionArgs } from "./actions.js";
export { createOnvifClient, type OnvifClient, type OnvifClientOptions, type ConnectInfo, type CallOptions } from "./client.js";
export {
  discover, formatDeviceEntry, discoveryOptionsSchema,
  type DiscoverOptions, type DiscoveredCamera, type DiscoveryResult, type DiscoveryError,
} from "./discovery.js";

/** A fresh, not yet started ONVIF camera driver (the constructor does nothing). */
export function createDriver(): Driver {
  return new OnvifDriver();
}
export { readiness } from "./readiness.js";
