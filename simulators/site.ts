/**
 * `roomgate sim`: starts a simulator for every device of a site file whose `simulator.enabled`
 * is set, on the endpoint the agent's transport names (the agent then runs unchanged against it),
 * and exposes their fault controls by device id.
 */
import type { SiteConfig, DeviceConfig } from "../config/site.js";
import type { Logger } from "../drivers/types.js";
import type { SimulatorHandle } from "./visca/index.js";

export interface SiteSimulators {
  readonly devices: ReadonlyMap<string, SimulatorHandle>;
  /** Runs one fault-control line (`unplug cam-main`, `slow cam-aux 300`, ...); returns the answer. */
  control(line: string): Promise<string>;
  close(): Promise<void>;
}

export const CONTROL_HELP = `fault controls:
  status                       list simulated devices and their faults
  unplug DEV | replug DEV      pull / restore the cable (serial) or the network (udp)
  silent DEV on|off            answer nothing
  garbage DEV on|off           mix junk bytes into replies
  slow DEV MS                  delay every reply by MS (0 = off)
  error DEV CODE|off           answer every command with a VISCA error (syntax, not_executable, buffer_full, ...)`;

async function startOne(id: string, dev: DeviceConfig): Promise<SimulatorHandle> {
  if (dev.protocol !== "visca") throw new Error(`no simulator for protocol "${dev.protocol}" (device ${id})`);
  const { startViscaSimulator } = await import("./visca/index.js");
  const options = (dev.simulator?.options ?? {}) as Record<string, unknown>;
  const t = dev.transport;
  if (t.type === "serial") return startViscaSimulator({ link: "serial", devicePath: t.path, baudRate: t.baudRate, ...options });
  if (t.type === "udp") return startViscaSimulator({ link: "udp", host: t.host, port: t.port, ...options });
  throw new Error(`VISCA simulator has no ${t.type} link (device ${id})`);
}

export async function startSiteSimulators(config: SiteConfig, logger: Logger): Promise<SiteSimulators> {
  const devices = new Map<string, SimulatorHandle>();
  try {
    for (const [id, dev] of Object.entries(config.devices)) {
      if (!dev.simulator?.enabled) continue;
      const handle = await startOne(id, dev);
      devices.set(id, handle);
      logger.info({ device: id, endpoint: handle.describe() }, "simulator started");
    }
  } catch (err) {
    await Promise.all([...devices.values()].map((h) => h.close()));
    throw err;
  }

  /** A typo at the prompt (a bad error code, a negative delay) is answered, never thrown. */
  async function control(line: string): Promise<string> {
    try {
      return await runControl(line);
    } catch (err) {
      return `refused: ${(err as Error).message}`;
    }
  }

  async function runControl(line: string): Promise<string> {
    const [verb, id, value] = line.trim().split(/\s+/);
    if (!verb || verb === "help") return CONTROL_HELP;
    if (verb === "status") {
      return [...devices].map(([d, h]) => `${d}: ${h.describe()} faults=${JSON.stringify(h.faults)}`).join("\n") || "no simulated devices";
    }
    const sim = id ? devices.get(id) : undefined;
    if (!sim) return `unknown device "${id ?? ""}"; simulated: ${[...devices.keys()].join(", ")}`;
    const on = value === "on";
    switch (verb) {
      case "unplug":
        await sim.unplug();
        return `${id} unplugged`;
      case "replug":
        await sim.replug();
        return `${id} replugged`;
      case "silent":
        sim.faults.silent = on;
        return `${id} silent=${on}`;
      case "garbage":
        sim.faults.garbage = on;
        return `${id} garbage=${on}`;
      case "slow": {
        const ms = Number(value);
        if (!Number.isFinite(ms) || ms < 0) return "slow needs a delay in ms";
        sim.faults.slowMs = ms;
        return `${id} slowMs=${ms}`;
      }
      case "error":
        sim.faults.errorReply = value === undefined || value === "off" ? null : (value as NonNullable<typeof sim.faults.errorReply>);
        return `${id} errorReply=${sim.faults.errorReply ?? "off"}`;
      default:
        return `unknown control "${verb}"\n${CONTROL_HELP}`;
    }
  }

  return {
    devices,
    control,
    async close() {
      await Promise.all([...devices.values()].map((h) => h.close()));
    },
  };
}
