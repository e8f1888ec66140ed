/**
 * Entry point the agent loads lazily by protocol name (`await import("../drivers/enc1/index.js")`).
 * ENC/1: the read-only status line of a link encryptor (PROTOCOLS.md), kind `crypto`.
 */
import type { Driver } from "../types.js";
import { Enc1Driver } from "./driver.js";

export { Enc1Driver } from "./driver.js";
export { STATE_FIELDS, type Enc1DriverState, type AlarmChange, type AlarmSeverity } from "./state.js";
export { enc1OptionsSchema as optionsSchema, parseEnc1Options, type Enc1Options } from "./options.js";
export { actionArgs } from "./actions.js";
export { ENC_STATES, type Enc1State, type Enc1DeviceState } from "./codec.js";

/** A fresh, not yet started ENC/1 driver (the constructor does nothing). */
export function createDriver(): Driver {
  return new Enc1Driver();
}
export { readiness } from "./readiness.js";
