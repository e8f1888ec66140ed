/**
 * Entry point the agent loads lazily by protocol name (`await import("../drivers/firmata/index.js")`).
 *
 * Why firmata-io directly and not johnny-five (issue 7 asked for johnny-five if it works reliably):
 * johnny-five keeps every component in module-private Maps (`priv` in relay.js, led.js,
 * thermometer.js, sensor.js) that nothing but its IS_TEST_MODE purge empties, and every Board in a
 * module-level `boards` array. A re-handshake after a replug needs a new Board and new components,
 * so each one leaked the old Board with its firmata-io instance (measured: ~18 KB per cycle with a
 * relay, lamp, thermometer and switch, ~11 KB with a relay alone). Its timers (connect timeout,
 * blink, sensor sampling, switch debounce) are global setTimeout/setInterval that the injected
 * clock cannot drive, and there is no teardown API. firmata-io alone has none of that.
 */
import type { Driver } from "../types.js";
import { FirmataDriver } from "./driver.js";

export { FirmataDriver, type FirmataState } from "./driver.js";
export { firmataOptionsSchema as optionsSchema, parseFirmataOptions, type FirmataOptions } from "./options.js";
export { actionArgs } from "./actions.js";

/** A fresh, not yet started Firmata GPIO driver (the constructor does nothing). */
export function createDriver(): Driver {
  return new FirmataDriver();
}
export { readiness } from "./readiness.js";
