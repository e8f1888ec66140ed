/**
 * Entry point the agent loads lazily by protocol name (`snmp`).
 *
 * How SNMP fits the transport contract: net-snmp owns its UDP sockets (the session matches replies
 * to requests and keeps the SNMPv3 engine's boots/time on its own socket; the trap receiver is a
 * second socket). Re-implementing BER, USM and the request table over our UdpTransport would be a
 * second SNMP stack to get right. So the site file names the switch with an ordinary `udp`
 * transport (host, port 161: validated, unique per site, shown in meta, moved by `--free-ports`),
 * the agent builds that transport as for any device, and the driver reads `transport.endpoint`,
 * never opens the transport, and closes it on stop. Reconnecting is the driver's: a fresh session
 * after a failure, with backoff.
 */
import type { Driver } from "../types.js";
import { SnmpSwitchDriver } from "./driver.js";

export { SnmpSwitchDriver, type SwitchState } from "./driver.js";
export { snmpSwitchOptionsSchema as optionsSchema, parseSnmpSwitchOptions, type SnmpSwitchOptions } from "./options.js";
export { actionArgs } from "./actions.js";
export { readiness } from "./readiness.js";

/** A fresh, not yet started switch driver (the constructor does nothing). */
export function createDriver(): Driver {
  return new SnmpSwitchDriver() as unknown as Driver;
}
