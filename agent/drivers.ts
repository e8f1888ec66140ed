/**
 * Protocol name -> driver module, loaded lazily: a site loads only the drivers (and so the
 * transports and libraries) it uses, which keeps the agent's memory small on a gateway.
 */
import type { Driver } from "../drivers/types.js";
import { DeviceError } from "../drivers/types.js";

export interface DriverModule {
  createDriver(): Driver;
}

const loaders: Record<string, () => Promise<DriverModule>> = {
  visca: () => import("../drivers/visca/index.js"),
};

export const knownProtocols = Object.keys(loaders);

export async function loadDriver(protocol: string): Promise<DriverModule> {
  const load = loaders[protocol];
  if (!load) throw new DeviceError("invalid_args", `unknown protocol "${protocol}"; known: ${knownProtocols.join(", ")}`);
  return load();
}
