/**
 * `roomgate sim`: starts a simulator for every device of a site file whose `simulator.enabled`
 * is set, on the endpoint the agent's transport names (the agent then runs unchanged against it),
 * and exposes their fault controls by device id.
 */
import type { SiteConfig, DeviceConfig } from "../config/site.js";
import type { Logger } from "../drivers/types.js";
import type { SimHandle, StartFromSite } from "./types.js";
import { freePort, hasTrapPort, withTrapPort } from "./site-endpoints.js";

export interface SiteSimulators {
  readonly devices: ReadonlyMap<string, SimHandle>;
  /** The site as simulated: with `anyPort`, every simulated network device and host on the port it got. */
  readonly config: SiteConfig;
  /** Runs one fault-control line (`unplug cam-main`, `slow cam-aux 300`, ...); returns the answer. */
  control(line: string): Promise<string>;
  close(): Promise<void>;
}

/** Protocol name -> simulator module, loaded lazily like the drivers. */
const simulators: Record<string, () => Promise<{ startFromSite: StartFromSite }>> = {
  visca: () => import("./visca/index.js"),
  novastar: () => import("./novastar/index.js"),
  mdc: () => import("./samsung-mdc/index.js"),
  onvif: () => import("./onvif/index.js"),
  x32: () => import("./x32/index.js"),
  tesira: () => import("./tesira/index.js"),
  enc1: () => import("./enc1/index.js"),
  firmata: () => import("./firmata/index.js"),
  stamp: () => import("./stamp/index.js"),
  cisco: () => import("./cisco/index.js"),
  poly: () => import("./poly/index.js"),
  snmp: () => import("./snmp-switch/index.js"),
};

export const simulatedProtocols = Object.keys(simulators);

const COMMON_HELP = `fault controls:
  status                       list simulated devices and their faults (status DEV ... goes to the device)
  unplug DEV | replug DEV      pull / restore the cable (serial) or the network (tcp/udp/http)
  silent DEV on|off            answer nothing
  garbage DEV on|off           mix junk into replies
  slow DEV MS                  delay every reply by MS (0 = off)`;

/** The help for a set of running simulators: the common verbs, then each protocol's own once. */
export function controlHelp(handles: Iterable<SimHandle>): string {
  const extra = new Map<string, string>();
  for (const h of handles) if (h.controlHelp) extra.set(h.protocol, `${h.protocol}:\n${h.controlHelp}`);
  return [COMMON_HELP, ...extra.values()].join("\n");
}

async function startOne(id: string, dev: DeviceConfig, anyPort: boolean): Promise<SimHandle> {
  const load = simulators[dev.protocol];
  if (!load) throw new Error(`no simulator for protocol "${dev.protocol}" (device ${id}); simulated: ${simulatedProtocols.join(", ")}`);
  const { startFromSite } = await load();
  // Port 0 is not a valid port in a site file, but every simulator binds it as "any free port".
  const transport = anyPort && dev.transport.type !== "serial" ? { ...dev.transport, port: 0 } : dev.transport;
  return startFromSite(transport, simulatorOptions(dev));
}

/**
 * The simulator's options, with what it takes from its device's own entry so that the agent runs
 * unchanged against it (as the codecs' take the transport's SSH login): a switch accepts the
 * community of the driver's `communityFile` and sends its traps to the driver's `trapPort`, unless
 * its own options say otherwise.
 */
function simulatorOptions(dev: DeviceConfig): Record<string, unknown> {
  const opts = { ...(dev.simulator?.options ?? {}) } as Record<string, unknown>;
  if (dev.protocol !== "snmp") return opts;
  const o = dev.options as { communityFile?: unknown; trapPort?: unknown; trapAddress?: unknown };
  if (opts.communities === undefined && opts.communityFile === undefined && typeof o.communityFile === "string") opts.communityFile = o.communityFile;
  if (opts.trapTarget === undefined && typeof o.trapPort === "number") {
    const bound = typeof o.trapAddress === "string" && o.trapAddress !== "0.0.0.0" ? o.trapAddress : "127.0.0.1";
    opts.trapTarget = { host: bound, port: o.trapPort };
  }
  return opts;
}

export interface SiteSimulatorOptions {
  /**
   * Bind every simulated network device and host on a port the kernel picks, and report them in
   * `config` (`roomgate demo --free-ports`): choosing free ports first and binding them later races
   * every other program that binds or connects in between.
   */
  anyPort?: boolean;
}

export async function startSiteSimulators(config: SiteConfig, logger: Logger, opts: SiteSimulatorOptions = {}): Promise<SiteSimulators> {
  const devices = new Map<string, SimHandle>();
  const anyPort = opts.anyPort === true;
  let simulated = config;
  try {
    for (const [id, entry] of Object.entries(config.devices)) {
      if (!entry.simulator?.enabled) continue;
      // The agent's trap receiver is the one port the agent binds rather than a simulator: it is
      // chosen free here (not reserved until the agent binds it) and given to both.
      const dev = anyPort && hasTrapPort(entry) ? withTrapPort(entry, await freePort("udp")) : entry;
      const handle = await startOne(id, dev, anyPort);
      devices.set(id, handle);
      if (dev !== entry) simulated = { ...simulated, devices: { ...simulated.devices, [id]: dev } };
      if (anyPort && dev.transport.type !== "serial") simulated = withDevicePort(simulated, id, boundPort(id, handle));
      logger.info({ device: id, endpoint: handle.describe() }, "simulator started");
    }
    // Network hosts of the rooms' readiness profiles (the conference bridge), by host id.
    const { startHostSimulator } = await import("./host.js");
    for (const [room, r] of Object.entries(config.rooms ?? {})) {
      for (const [id, h] of Object.entries(r.profile?.hosts ?? {})) {
        if (!h.simulator?.enabled || devices.has(id)) continue;
        const handle = await startHostSimulator(h.host, anyPort ? 0 : h.port);
        devices.set(id, handle);
        if (anyPort) simulated = withHostPort(simulated, room, id, handle.port);
        logger.info({ host: id, endpoint: `${h.host}:${handle.port}` }, "host simulator started");
      }
    }
  } catch (err) {
    await Promise.all([...devices.values()].map((h) => h.close()));
    throw err;
  }
  const unwire = wirePower(config, devices, logger);

  /** A typo at the prompt (a bad error code, a negative delay) is answered, never thrown. */
  async function control(line: string): Promise<string> {
    try {
      return await runControl(line);
    } catch (err) {
      return `refused: ${(err as Error).message}`;
    }
  }

  async function runControl(line: string): Promise<string> {
    const [verb, id, ...args] = line.trim().split(/\s+/);
    const help = controlHelp(devices.values());
    if (!verb || verb === "help") return help;
    if (verb === "status" && id === undefined) {
      return [...devices].map(([d, h]) => `${d}: ${h.describe()} faults=${JSON.stringify(h.faults)}`).join("\n") || "no simulated devices";
    }
    const sim = id ? devices.get(id) : undefined;
    if (!sim) return `unknown device "${id ?? ""}"; simulated: ${[...devices.keys()].join(", ")}`;
    const value = args[0];
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
      default: {
        const answer = await sim.control?.(verb, args);
        if (answer !== undefined) return `${id} ${answer}`;
        return `unknown control "${verb}" for ${sim.protocol} device ${id}\n${help}`;
      }
    }
  }

  return {
    devices,
    config: simulated,
    control,
    async close() {
      for (const off of unwire) off();
      await Promise.all([...devices.values()].map((h) => h.close()));
    },
  };
}

/** A board simulator that reports its digital outputs (the Firmata one). */
interface OutputSource {
  onOutput(fn: (pin: number, value: 0 | 1) => void): () => void;
}

/** A switch simulator that reports its ports' PoE power (the SNMP one), by ifIndex. */
interface PortPowerSource {
  onPortPower(fn: (ifIndex: number, powered: boolean) => void): () => void;
}

/** Takes the fed simulator off or back on the network, logging a failure. */
function switchFed(fed: SimHandle, id: string, powered: boolean, via: Record<string, string>, logger: Logger): void {
  logger.info({ device: id, ...via, powered }, "simulated power");
  void (powered ? fed.replug() : fed.unplug()).catch((err: unknown) => logger.warn({ device: id, err: (err as Error).message }, "simulated power switch failed"));
}

/**
 * A simulated device fed by a relay of a simulated GPIO board, or by a PoE port of a simulated
 * switch, goes dark (unplugged) while its power is off and comes back when it is on again, so a
 * power-cycle is visible end to end. A relay's "on" powers its load: pin high for a normally-open
 * (NO) relay, pin low for a normally-closed one (NC). A PoE port powers its load while it delivers power.
 */
function wirePower(config: SiteConfig, devices: ReadonlyMap<string, SimHandle>, logger: Logger): (() => void)[] {
  const offs: (() => void)[] = [];
  for (const [id, dev] of Object.entries(config.devices)) {
    const power = dev.power;
    const fed = devices.get(id);
    if (power && fed && "port" in power) {
      const sw = devices.get(power.device) as (SimHandle & Partial<PortPowerSource>) | undefined;
      const entry = (config.devices[power.device]?.options.ports as Record<string, number | { ifIndex?: number }> | undefined)?.[power.port];
      const ifIndex = typeof entry === "number" ? entry : entry?.ifIndex;
      if (!sw?.onPortPower || ifIndex === undefined) continue;
      let poweredNow = true;
      offs.push(
        sw.onPortPower((i, powered) => {
          if (i !== ifIndex || powered === poweredNow) return;
          poweredNow = powered;
          switchFed(fed, id, powered, { port: `${power.device}/${power.port}` }, logger);
        }),
      );
      continue;
    }
    const board = power ? (devices.get(power.device) as (SimHandle & Partial<OutputSource>) | undefined) : undefined;
    if (!power || !fed || !board?.onOutput || "port" in power) continue;
    const pins = (config.devices[power.device]?.options.pins ?? {}) as Record<string, { relay?: number | string; type?: "NO" | "NC" }>;
    const role = pins[power.relay];
    const pin = typeof role?.relay === "string" && /^A\d+$/.test(role.relay) ? 14 + Number(role.relay.slice(1)) : Number(role?.relay);
    if (!Number.isInteger(pin)) continue;
    const nc = role?.type === "NC";
    let poweredNow = true; // simulators start plugged in
    offs.push(
      board.onOutput((p, value) => {
        if (p !== pin) return;
        const powered = nc ? value === 0 : value === 1;
        if (powered === poweredNow) return; // the board re-asserting a pin is not a change
        poweredNow = powered;
        switchFed(fed, id, powered, { relay: `${power.device}/${power.relay}` }, logger);
      }),
    );
  }
  return offs;
}

function boundPort(id: string, handle: SimHandle): number {
  if (handle.port === undefined || handle.port === 0) throw new Error(`simulator of ${id} did not report the port it bound`);
  return handle.port;
}

function withDevicePort(config: SiteConfig, id: string, port: number): SiteConfig {
  const dev = config.devices[id]!;
  return { ...config, devices: { ...config.devices, [id]: { ...dev, transport: { ...dev.transport, port } } as typeof dev } };
}

function withHostPort(config: SiteConfig, room: string, id: string, port: number): SiteConfig {
  const r = config.rooms![room]!;
  const hosts = { ...r.profile!.hosts, [id]: { ...r.profile!.hosts![id]!, port } };
  return { ...config, rooms: { ...config.rooms, [room]: { ...r, profile: { ...r.profile!, hosts } } } };
}
