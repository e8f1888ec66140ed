/**
 * The VISCA camera simulator: one entry point that picks the serial (pseudo-terminal) or UDP
 * (VISCA over IP) endpoint from a spec. The spec comes from tests or from a site file's
 * `simulator.options`, so it is validated here with messages that name the field.
 */
import { z } from "zod";
import type { Clock, Logger } from "../../drivers/types.js";
import type { ViscaCamera, ViscaFaults } from "./camera.js";
import { startSerialCamera, type SerialCameraHandle } from "./serial.js";
import { startUdpCamera, type UdpCameraHandle } from "./udp.js";
import type { StartFromSite } from "../types.js";
import { parseSpec, SimulatorSpecError } from "../spec.js";

export { ViscaCamera, type ViscaCameraOptions, type ViscaFaults, type CameraPosition } from "./camera.js";
export { FAULT_ERROR_CODES } from "./faults.js";
export type { SerialCameraHandle } from "./serial.js";
export type { UdpCameraHandle } from "./udp.js";

const ms = z.number().int().min(0).max(600_000);
const limits = z.tuple([z.number().int().min(-0x8000), z.number().int().max(0x7fff)]).refine(([lo, hi]) => lo < hi, "min must be below max");

const cameraShape = {
  power: z.enum(["on", "standby"]).optional().describe("Power at start (default on)."),
  bootMs: ms.optional().describe("Power on to ready (default 3000)."),
  recallMs: ms.optional().describe("Preset recall time (default 1500)."),
  resetMs: ms.optional().describe("Pan-tilt reset time (default 3000)."),
  onePushMs: ms.optional().describe("One-push focus time (default 500)."),
  unitsPerSpeedStep: z.number().positive().optional().describe("Pan/tilt units per second per speed step (default 100)."),
  zoomUnitsPerSecond: z.number().positive().optional().describe("Zoom units per second at standard speed."),
  panLimits: limits.optional(),
  tiltLimits: limits.optional(),
  garbageBytes: z
    .union([z.instanceof(Buffer), z.string().regex(/^([0-9a-fA-F]{2})+$/, "hex bytes, e.g. 007E13")])
    .transform((v) => (typeof v === "string" ? Buffer.from(v, "hex") : v))
    .optional()
    .describe("Junk the garbage fault puts before replies."),
};

export const viscaSimulatorSpecSchema = z.discriminatedUnion("link", [
  z.strictObject({
    link: z.literal("serial"),
    devicePath: z.string().min(1).describe("The path the agent opens."),
    baudRate: z.number().int().positive().default(9600),
    address: z.number().int().min(1).max(7).optional().describe("Camera address = place on the chain (default 1)."),
    ...cameraShape,
  }),
  z.strictObject({
    link: z.literal("udp"),
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).describe("0 = an ephemeral port."),
    ...cameraShape,
  }),
]);

/** Things a spec may carry that are not data (never from a site file). */
interface Runtime {
  clock?: Clock;
  logger?: Logger;
}

export type ViscaSimulatorSpec = z.input<typeof viscaSimulatorSpecSchema> & Runtime;
type SerialSpec = Extract<z.input<typeof viscaSimulatorSpecSchema>, { link: "serial" }> & Runtime;
type UdpSpec = Extract<z.input<typeof viscaSimulatorSpecSchema>, { link: "udp" }> & Runtime;

/** What `roomgate sim` and tests hold of a running simulator. */
export interface SimulatorHandle {
  /** The model, for tests to read state (position, power, sockets) and flip it. */
  readonly camera: ViscaCamera;
  readonly faults: ViscaFaults;
  /** Errors met while running (socket errors, model bugs); bounded. */
  readonly errors: readonly Error[];
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
  /** One line: link, endpoint, camera address, plugged or not. */
  describe(): string;
}

export { SimulatorSpecError };

/** Starts a simulated VISCA camera. Rejects with SimulatorSpecError (`bad_config`) for a bad spec. */
export function startViscaSimulator(spec: SerialSpec): Promise<SerialCameraHandle>;
export function startViscaSimulator(spec: UdpSpec): Promise<UdpCameraHandle>;
export function startViscaSimulator(spec: ViscaSimulatorSpec): Promise<SimulatorHandle>;
export async function startViscaSimulator(spec: ViscaSimulatorSpec): Promise<SimulatorHandle> {
  const { clock, logger, ...data } = spec;
  const runtime = { ...(clock ? { clock } : {}), ...(logger ? { logger } : {}) };
  const s = parseSpec(viscaSimulatorSpecSchema, data, "VISCA simulator spec");
  if (s.link === "serial") {
    const { link: _link, ...rest } = s;
    return startSerialCamera({ ...stripUndefined(rest), ...runtime });
  }
  const { link: _link, ...rest } = s;
  return startUdpCamera({ ...stripUndefined(rest), ...runtime });
}

/** zod leaves absent optionals as absent, but be sure: the camera applies its own defaults. */
function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * `roomgate sim` entry: a VISCA camera on the endpoint the site file's transport names, with the
 * VISCA-only `error` control (answer every command with a VISCA error).
 */
export const startFromSite: StartFromSite = async (transport, options, runtime = {}) => {
  let sim: SimulatorHandle;
  if (transport.type === "serial") {
    sim = await startViscaSimulator({ link: "serial", devicePath: transport.path, baudRate: transport.baudRate, ...options, ...runtime });
  } else if (transport.type === "udp") {
    sim = await startViscaSimulator({ link: "udp", host: transport.host, port: transport.port, ...options, ...runtime });
  } else {
    throw new SimulatorSpecError(`the VISCA simulator has no ${transport.type} link (serial or udp)`);
  }
  return {
    protocol: "visca",
    faults: sim.faults,
    get errors() {
      return sim.errors;
    },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    close: () => sim.close(),
    describe: () => `visca ${sim.describe()}`,
    port: "port" in sim ? (sim as UdpCameraHandle).port : undefined,
    controlHelp:
      "  error DEV CODE|off           answer every command with a VISCA error (syntax, not_executable, buffer_full, ...)\n" +
      "  where DEV                    the camera's power and position now (pan, tilt, zoom in camera units)",
    control(verb, args) {
      if (verb === "where") {
        const p = sim.camera.position();
        return `power=${sim.camera.power} pan=${p.pan} tilt=${p.tilt} zoom=${p.zoom}${sim.camera.moving() ? " moving" : ""}`;
      }
      if (verb !== "error") return undefined;
      const value = args[0];
      sim.faults.errorReply = value === undefined || value === "off" ? null : (value as NonNullable<ViscaFaults["errorReply"]>);
      return `errorReply=${sim.faults.errorReply ?? "off"}`;
    },
  };
};
