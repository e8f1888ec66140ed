/**
 * The link-encryptor simulator (ENC/1) on a serial line (pseudo-terminal) or a TCP port. The spec comes
 * from tests or from a site file's `simulator.options`, so it is validated here with messages that
 * name the field. Fault injection goes through the handle (`device`, `faults`, `control`), never
 * through the device line.
 */
import { z } from "zod";
import { systemClock } from "../../drivers/clock.js";
import type { SimHandle, SimRuntime, StartFromSite } from "../types.js";
import { runControl, CONTROL_HELP } from "./control.js";
import { Enc1Device, type Enc1Faults } from "./device.js";
import { ErrorLog } from "./errors.js";
import { SIM_STATES } from "./lines.js";
import { startSerialEndpoint } from "./serial.js";
import { startTcpEndpoint } from "./tcp.js";
import { parseSpec, SimulatorSpecError } from "../spec.js";

export { Enc1Device, DEFAULT_GARBAGE, type Enc1Faults, type Enc1DeviceOptions } from "./device.js";
export { CONTROL_HELP } from "./control.js";
export { SIM_STATES, sentence, nmeaChecksum, type SimState } from "./lines.js";
export { wireTimeMs } from "./serial.js";

const shared = {
  state: z.enum(SIM_STATES).default("SECURE").describe("State after the self-test (default SECURE)."),
  selftestMs: z.number().int().min(0).max(600_000).default(0).describe("Time in SELFTEST after start; 0 = none."),
  heartbeatMs: z.number().int().min(10).max(600_000).default(2000).describe("Heartbeat interval (PROTOCOLS.md: 2 s)."),
  statusEveryMs: z.number().int().min(10).max(3_600_000).default(10_000).describe("Periodic status line (PROTOCOLS.md: 10 s)."),
  model: z.string().regex(/^[\x20-\x7e]{1,60}$/).refine((s) => !/[,*$]/.test(s), "no , * or $").default("RG-ENC1-SIM").describe("Model in the ID line."),
  firmware: z.string().regex(/^[\x20-\x7e]{1,60}$/).refine((s) => !/[,*$]/.test(s), "no , * or $").default("1.0.0").describe("Firmware in the ID line."),
};

export const enc1SimulatorSpecSchema = z.discriminatedUnion("link", [
  z.strictObject({
    link: z.literal("tcp"),
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).describe("0 = an ephemeral port."),
    ...shared,
  }),
  z.strictObject({
    link: z.literal("serial"),
    devicePath: z.string().min(1).describe("The path the agent opens."),
    baudRate: z.number().int().positive().default(9600),
    ...shared,
  }),
]);

export type Enc1SimulatorSpec = z.input<typeof enc1SimulatorSpecSchema> & SimRuntime;

/** A running encryptor simulator: the common handle, plus the device model for tests. */
export interface Enc1SimHandle extends SimHandle {
  readonly device: Enc1Device;
  readonly faults: Enc1Faults;
  /** TCP: the bound port; serial: undefined. */
  readonly port: number | undefined;
  /** Serial: the path the agent opens; TCP: undefined. */
  readonly devicePath: string | undefined;
  control(verb: string, args: readonly string[]): string | undefined;
  readonly controlHelp: string;
}

export class Enc1SimulatorSpecError extends SimulatorSpecError {}

/** Starts a simulated encryptor. Rejects with Enc1SimulatorSpecError (`bad_config`) for a bad spec. */
export async function startEnc1Simulator(spec: Enc1SimulatorSpec): Promise<Enc1SimHandle> {
  const { clock = systemClock, logger, ...data } = spec;
  const s = parseSpec(enc1SimulatorSpecSchema, data, "ENC/1 simulator spec", Enc1SimulatorSpecError);
  const device = new Enc1Device({
    clock, state: s.state, selftestMs: s.selftestMs, heartbeatMs: s.heartbeatMs, statusEveryMs: s.statusEveryMs, model: s.model, firmware: s.firmware,
  });
  const where = s.link === "tcp" ? `tcp:${s.host}:${s.port}` : `serial:${s.devicePath}`;
  const errors = new ErrorLog(logger, { sim: "enc1", link: where });
  let endpoint;
  try {
    endpoint =
      s.link === "tcp"
        ? { kind: "tcp" as const, ep: await startTcpEndpoint(device, s.host, s.port, errors) }
        : {
            kind: "serial" as const,
            ep: await startSerialEndpoint(device, {
              devicePath: s.devicePath, baudRate: s.baudRate, clock,
            }, errors),
          };
  } catch (err) {
    device.close(); // no timers left behind by a simulator that never started
    throw err;
  }
  const ep = endpoint;

  let closed: Promise<void> | undefined;
  return {
    protocol: "enc1",
    device,
    faults: device.faults,
    get errors() {
      return errors.list;
    },
    port: ep.kind === "tcp" ? ep.ep.port : undefined,
    devicePath: ep.kind === "serial" ? ep.ep.devicePath : undefined,
    control: (verb, args) => runControl(device, verb, args),
    controlHelp: CONTROL_HELP,
    unplug: () => ep.ep.unplug(),
    replug: () => ep.ep.replug(),
    close() {
      closed ??= (async () => {
        device.close();
        await ep.ep.close();
      })();
      return closed;
    },
    describe() {
      const at = ep.kind === "tcp" ? `tcp:${s.link === "tcp" ? s.host : ""}:${ep.ep.port}` : `serial:${ep.ep.devicePath}@${ep.ep.baudRate}`;
      return `enc1 ${at} state ${device.state} ${ep.ep.plugged ? "plugged" : "unplugged"}`;
    },
  };
}

/** `roomgate sim`: the simulator on the endpoint a site file's device transport names. */
export const startFromSite: StartFromSite = (transport, options, runtime = {}) => {
  const rt = { ...(runtime.clock ? { clock: runtime.clock } : {}), ...(runtime.logger ? { logger: runtime.logger } : {}) };
  if (transport.type === "tcp") return startEnc1Simulator({ link: "tcp", host: transport.host, port: transport.port, ...options, ...rt });
  if (transport.type === "serial") {
    return startEnc1Simulator({ link: "serial", devicePath: transport.path, baudRate: transport.baudRate, ...options, ...rt });
  }
  return Promise.reject(new Enc1SimulatorSpecError(`the ENC/1 simulator has no ${transport.type} link; use tcp or serial`));
};
