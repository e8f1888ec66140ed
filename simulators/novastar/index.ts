/**
 * The NovaStar LED controller simulator: one entry point that picks the TCP or serial (pseudo-terminal)
 * endpoint from a spec. The spec comes from tests or from a site file's `simulator.options`, so it
 * is validated here with messages that name the field.
 */
import { z } from "zod";
import type { TransportConfig } from "../../config/site.js";
import type { Clock, Logger } from "../../drivers/types.js";
import type { SimHandle, SimRuntime, StartFromSite } from "../types.js";
import { SIM_MODELS, type NovastarController, type NovastarFaults } from "./controller.js";
import { startSerialController } from "./serial.js";
import { startTcpController } from "./tcp.js";
import { parseSpec, SimulatorSpecError } from "../spec.js";

export { NovastarController, SIM_MODELS, type ControllerOptions, type NovastarFaults } from "./controller.js";

const controllerShape = {
  model: z.enum(Object.keys(SIM_MODELS) as [string, ...string[]]).optional().describe("Controller model (default mctrl4k)."),
  modelId: z.string().regex(/^[0-9a-fA-F]{4}$/, "4 hex digits, e.g. 0311").optional().describe("Model id to report instead of the model's own."),
  display: z.enum(["receiver", "controller"]).optional().describe("How blackout/freeze are stored (default receiver bytes)."),
  brightness: z.number().int().min(0).max(255).optional().describe("Brightness register at start, 0..255 (default 255)."),
  input: z.string().min(1).optional().describe("Input at start (default the model's first)."),
  echoWriteData: z.boolean().optional().describe("Echo written data in write replies (default false)."),
  garbageBytes: z
    .union([z.instanceof(Buffer), z.string().regex(/^([0-9a-fA-F]{2})+$/, "hex bytes, e.g. AA5513")])
    .transform((v) => (typeof v === "string" ? Buffer.from(v, "hex") : v))
    .optional()
    .describe("Junk the garbage fault puts before replies."),
};

export const novastarSimulatorSpecSchema = z.discriminatedUnion("link", [
  z.strictObject({
    link: z.literal("tcp"),
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).describe("0 = an ephemeral port."),
    ...controllerShape,
  }),
  z.strictObject({
    link: z.literal("serial"),
    devicePath: z.string().min(1).describe("The path the agent opens."),
    baudRate: z.number().int().positive().default(115200),
    ...controllerShape,
  }),
]);

interface Runtime {
  clock?: Clock;
  logger?: Logger;
}

export type NovastarSimulatorSpec = z.input<typeof novastarSimulatorSpecSchema> & Runtime;

/** A running simulator: the SimHandle contract plus the controller model and its endpoint. */
export interface NovastarSimHandle extends SimHandle {
  readonly faults: NovastarFaults;
  readonly controller: NovastarController;
  /** TCP port (tcp link), for tests started on port 0. */
  readonly port?: number;
  /** Path the agent opens (serial link). */
  readonly devicePath?: string;
}

export const CONTROL_HELP = [
  "  status DEV CODE|off          answer every request with status CODE (1 timeout, 2/3 check error, 4 bad command)",
  "  badchecksum DEV on|off       replies with a wrong checksum",
  "  wrongserial DEV on|off       replies with the wrong serial number",
].join("\n");

export { SimulatorSpecError };

/** Starts a simulated NovaStar controller. Rejects with SimulatorSpecError (`bad_config`) for a bad spec. */
export async function startNovastarSimulator(spec: NovastarSimulatorSpec): Promise<NovastarSimHandle> {
  const { clock, logger, ...data } = spec;
  const parsed = parseSpec(novastarSimulatorSpecSchema, data, "NovaStar simulator spec");
  const runtime = { ...(clock ? { clock } : {}), ...(logger ? { logger } : {}) };
  const { link: _link, ...rest } = parsed;
  const opts = { ...stripUndefined(rest), ...runtime };
  try {
    if (parsed.link === "tcp") {
      const h = await startTcpController(opts as Parameters<typeof startTcpController>[0]);
      return withControl(h, { port: h.port });
    }
    const h = await startSerialController(opts as Parameters<typeof startSerialController>[0]);
    return withControl(h, { devicePath: h.devicePath });
  } catch (err) {
    if (err instanceof RangeError) throw new SimulatorSpecError(`NovaStar simulator spec: ${err.message}`);
    throw err;
  }
}

/** `roomgate sim`: a simulator on the endpoint the device's transport names. */
export const startFromSite: StartFromSite = (transport: TransportConfig, options: Record<string, unknown>, runtime: SimRuntime = {}) => {
  if (transport.type === "tcp") return startNovastarSimulator({ link: "tcp", host: transport.host, port: transport.port, ...options, ...runtime });
  if (transport.type === "serial") {
    return startNovastarSimulator({ link: "serial", devicePath: transport.path, baudRate: transport.baudRate, ...options, ...runtime });
  }
  return Promise.reject(new SimulatorSpecError(`the NovaStar simulator has no ${transport.type} link (tcp or serial)`));
};

type Endpoint = {
  controller: NovastarController;
  faults: NovastarFaults;
  errors: readonly Error[];
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
  describe(): string;
};

/** `where`: the endpoint, fixed once started (replug reuses the same port / path). */
function withControl(h: Endpoint, where: { port: number } | { devicePath: string }): NovastarSimHandle {
  return {
    protocol: "novastar",
    controller: h.controller,
    faults: h.faults,
    get errors() {
      return h.errors;
    },
    ...where,
    unplug: () => h.unplug(),
    replug: () => h.replug(),
    close: () => h.close(),
    describe: () => h.describe(),
    control: (verb: string, args: readonly string[]) => control(h.faults, verb, args),
    controlHelp: CONTROL_HELP,
  };
}

/** Device-specific fault verbs. Undefined for a verb that is not ours; throws for a bad value. */
export function control(faults: NovastarFaults, verb: string, args: readonly string[]): string | undefined {
  const value = args[0];
  const onOff = (): boolean => {
    if (value === "on") return true;
    if (value === "off") return false;
    throw new Error(`${verb} needs on or off, got "${value ?? ""}"`);
  };
  switch (verb) {
    case "status": {
      if (value === undefined || value === "off") faults.status = null;
      else {
        const code = Number.parseInt(value, 10);
        if (!/^0?[1-4]$/.test(value)) throw new Error(`status needs 1..4 or off, got "${value}"`);
        faults.status = code;
      }
      return `status=${faults.status ?? "off"}`;
    }
    case "badchecksum":
      faults.badChecksum = onOff();
      return `badChecksum=${faults.badChecksum}`;
    case "wrongserial":
      faults.wrongSerial = onOff();
      return `wrongSerial=${faults.wrongSerial}`;
    default:
      return undefined;
  }
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
