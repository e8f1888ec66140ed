/**
 * Protocol name -> driver module, loaded lazily: a site loads only the drivers (and so the
 * transports and libraries) it uses, which keeps the agent's memory small on a gateway.
 */
import type { z } from "zod";
import type { Driver } from "../drivers/types.js";
import { DeviceError } from "../drivers/types.js";
import type { SiteConfig } from "../config/site.js";
import { ConfigError, zodIssuesToConfigIssues } from "../config/issues.js";
import type { ConfigIssue } from "../config/issues.js";
import { fileLocator } from "../config/load-site.js";
import type { DriverReadiness } from "../drivers/readiness.js";
import { readinessConfigIssues } from "./readiness/config-check.js";

export interface DriverModule {
  createDriver(): Driver;
  /** The schema of the device's `options` block, checked when the site file is loaded. */
  optionsSchema?: z.ZodType;
  /** What a room profile may expect of the device, and how a fresh state is judged (docs/readiness.md). */
  readiness?: DriverReadiness;
}

const loaders: Record<string, () => Promise<DriverModule>> = {
  visca: () => import("../drivers/visca/index.js"),
  novastar: () => import("../drivers/novastar/index.js"),
  mdc: () => import("../drivers/samsung-mdc/index.js"),
  onvif: () => import("../drivers/onvif/index.js"),
  x32: () => import("../drivers/x32/index.js"),
  tesira: () => import("../drivers/tesira/index.js"),
  enc1: () => import("../drivers/enc1/index.js"),
  firmata: () => import("../drivers/firmata/index.js"),
  stamp: () => import("../drivers/stamp/index.js"),
  cisco: () => import("../drivers/cisco/index.js"),
  poly: () => import("../drivers/poly/index.js"),
  snmp: () => import("../drivers/snmp-switch/index.js"),
};

export const knownProtocols = Object.keys(loaders);

export async function loadDriver(protocol: string): Promise<DriverModule> {
  const load = loaders[protocol];
  if (!load) throw new DeviceError("invalid_args", `unknown protocol "${protocol}"; known: ${knownProtocols.join(", ")}`);
  return load();
}

/**
 * The checks the site file's own schema cannot make: every device's protocol has a driver, its
 * `options` pass that driver's schema, and the rooms' profiles and scene steps are ones its driver
 * can check and run (agent/readiness/config-check.ts). Throws a ConfigError naming the file and each path, so an
 * agent with a bad device never starts (exit 2) and `roomgate config validate` says why.
 */
export async function checkDevices(config: SiteConfig, file: string): Promise<void> {
  const issues: ConfigIssue[] = [];
  const locate = await fileLocator(file);
  for (const [id, dev] of Object.entries(config.devices)) {
    const load = loaders[dev.protocol];
    if (!load) {
      issues.push({ path: `devices.${id}.protocol`, message: `unknown protocol "${dev.protocol}"; known: ${knownProtocols.join(", ")}` });
      continue;
    }
    const schema = (await load()).optionsSchema;
    const parsed = schema?.safeParse(dev.options ?? {});
    if (parsed && !parsed.success) {
      const at = ["devices", id, "options"];
      for (const issue of zodIssuesToConfigIssues(parsed.error.issues, dev.options ?? {}, (p, k) => locate([...at, ...p], k))) {
        issues.push({ ...issue, path: `devices.${id}.options${issue.path === "" ? "" : `.${issue.path}`}` });
      }
    }
  }
  issues.push(...(await readinessConfigIssues(config, (p) => loaders[p]?.(), locate)));
  if (issues.length > 0) throw new ConfigError(file, issues);
}
