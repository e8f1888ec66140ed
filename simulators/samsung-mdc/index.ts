/**
 * The Samsung MDC display simulator: one or more displays (by id) on a serial chain (pseudo-terminal)
 * or behind a TCP port. The spec comes from tests or from a site file's `simulator.options`, so it
 * is validated here with messages that name the field.
 */
import { z } from "zod";
import { systemClock } from "../../drivers/clock.js";
import { INPUT_NAMES } from "../../drivers/samsung-mdc/codec-tables.js";
import { MAX_DISPLAY_ID } from "../../drivers/samsung-mdc/codec.js";
import type { SimHandle, SimRuntime, StartFromSite } from "../types.js";
import { MdcChain, type MdcFaults } from "./chain.js";
import { HOT_C, type MdcDisplay } from "./display.js";
import { ErrorLog } from "./errors.js";
import { startSerialEndpoint } from "./serial.js";
import { startTcpEndpoint } from "./tcp.js";
import { parseSpec, SimulatorSpecError } from "../spec.js";

export { MdcChain, DEFAULT_GARBAGE, type MdcFaults } from "./chain.js";
export { MdcDisplay, HOT_C, NORMAL_C, NAK_NOT_NOW, NAK_NOT_UNDERSTOOD, type DisplayFaults } from "./display.js";
export { SECURED_BANNER } from "./tcp.js";

const displayId = z.number().int().min(0).max(MAX_DISPLAY_ID);
const displaySpec = z.union([
  displayId,
  z.strictObject({
    id: displayId.describe("The display's MDC id."),
    power: z.enum(["on", "off"]).optional().describe("Power at start (default on)."),
    input: z.enum(INPUT_NAMES).optional().describe("Input at start (default hdmi1)."),
    model: z.string().min(1).max(40).optional(),
    serial: z.string().min(1).max(40).optional(),
    software: z.string().min(1).max(40).optional(),
  }),
]);

const shared = {
  displays: z.array(displaySpec).min(1).default([1]).describe("Displays on the chain: ids, or {id, power, input, ...}."),
  bootMs: z.number().int().min(0).max(600_000).default(5000).describe("Power-on to ready (ms); NAKs meanwhile."),
  garbageBytes: z
    .string()
    .regex(/^([0-9a-fA-F]{2})+$/, "hex bytes, e.g. 1337")
    .optional()
    .describe("Junk the garbage fault puts before answers (default: 2 stray bytes and a bad-checksum frame)."),
};

export const mdcSimulatorSpecSchema = z.discriminatedUnion("link", [
  z.strictObject({
    link: z.literal("tcp"),
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(1515).describe("0 = an ephemeral port."),
    ...shared,
  }),
  z.strictObject({
    link: z.literal("serial"),
    devicePath: z.string().min(1).describe("The path the agent opens."),
    baudRate: z.number().int().positive().default(9600),
    ...shared,
  }),
]);

export type MdcSimulatorSpec = z.input<typeof mdcSimulatorSpecSchema> & SimRuntime;

/** A running MDC simulator: the common handle plus the chain for tests. */
export interface MdcSimHandle extends SimHandle {
  readonly faults: MdcFaults;
  readonly chain: MdcChain;
  /** TCP: the bound port; serial: undefined. */
  readonly port: number | undefined;
  /** Serial: the path the agent opens; TCP: undefined. */
  readonly devicePath: string | undefined;
  display(id: number): MdcDisplay;
  /** TCP only: behave like secured-protocol firmware (drops live connections). */
  setSecured(on: boolean): void;
  control(verb: string, args: readonly string[]): string | undefined;
  readonly controlHelp: string;
}

export const CONTROL_HELP = `MDC display controls (ID: one display id; absent = every display on the chain):
  overtemp DEV on|off [ID]    temperature error, ${HOT_C} °C
  fan DEV on|off [ID]         fan failure
  nosync DEV on|off [ID]      no signal on the input
  power DEV on|off [ID]       power from the remote (on boots first)
  nakstorm DEV on|off         every display NAKs every command
  secured DEV on|off          TCP only: greet with MDCSTART<<TLS>> like secured-protocol firmware`;

export class MdcSimulatorSpecError extends SimulatorSpecError {}

/** Starts a simulated MDC chain. Rejects with MdcSimulatorSpecError (`bad_config`) for a bad spec. */
export async function startSamsungMdcSimulator(spec: MdcSimulatorSpec): Promise<MdcSimHandle> {
  const { clock = systemClock, logger, ...data } = spec;
  const s = parseSpec(mdcSimulatorSpecSchema, data, "MDC simulator spec", MdcSimulatorSpecError);
  const displays = s.displays.map((d) => (typeof d === "number" ? { id: d } : stripUndefined(d)));
  if (new Set(displays.map((d) => d.id)).size !== displays.length) {
    throw new MdcSimulatorSpecError("MDC simulator spec: displays: two displays share one id");
  }
  const chain = new MdcChain({
    displays, clock, bootMs: s.bootMs,
    ...(s.garbageBytes ? { garbageBytes: Buffer.from(s.garbageBytes, "hex") } : {}),
  });
  const where = s.link === "tcp" ? `tcp:${s.host}:${s.port}` : `serial:${s.devicePath}`;
  const errors = new ErrorLog(logger, { sim: "mdc", link: where });
  const endpoint =
    s.link === "tcp"
      ? { kind: "tcp" as const, ep: await startTcpEndpoint(chain, s.host, s.port, errors) }
      : {
          kind: "serial" as const,
          ep: await startSerialEndpoint(chain, {
            devicePath: s.devicePath, baudRate: s.baudRate, clock,
          }, errors),
        };
  const ids = () => [...chain.displays.keys()].join(",");

  function setSecured(on: boolean): void {
    if (endpoint.kind !== "tcp") throw new Error("secured protocol exists on TCP only; this display is on a serial line");
    endpoint.ep.secured = on;
  }

  function control(verb: string, args: readonly string[]): string | undefined {
    const known = ["overtemp", "fan", "nosync", "power", "nakstorm", "secured"];
    if (!known.includes(verb)) return undefined;
    const [value, idArg] = args;
    if (value !== "on" && value !== "off") throw new Error(`${verb} needs on|off, got ${value ?? "nothing"}`);
    const on = value === "on";
    if (verb === "nakstorm") {
      chain.faults.nakstorm = on;
      return `nakstorm=${value}`;
    }
    if (verb === "secured") {
      setSecured(on);
      return `secured=${value}`;
    }
    const targets = idArg === undefined ? [...chain.displays.values()] : [chain.display(parseId(idArg))];
    for (const d of targets) {
      if (verb === "power") d.setPower(on);
      else d.faults[verb as "overtemp" | "fan" | "nosync"] = on;
    }
    return `${verb}=${value} on display ${targets.map((d) => d.id).join(",")}`;
  }

  let closed: Promise<void> | undefined;
  return {
    protocol: "mdc",
    faults: chain.faults,
    chain,
    get errors() {
      return errors.list;
    },
    port: endpoint.kind === "tcp" ? endpoint.ep.port : undefined,
    devicePath: endpoint.kind === "serial" ? endpoint.ep.devicePath : undefined,
    display: (id) => chain.display(id),
    setSecured,
    control,
    controlHelp: CONTROL_HELP,
    unplug: () => endpoint.ep.unplug(),
    replug: () => endpoint.ep.replug(),
    close() {
      closed ??= (async () => {
        chain.close();
        await endpoint.ep.close();
      })();
      return closed;
    },
    describe() {
      const at =
        endpoint.kind === "tcp"
          ? `tcp:${where.split(":")[1]}:${endpoint.ep.port}${endpoint.ep.secured ? " secured" : ""}`
          : `serial:${endpoint.ep.devicePath}@${endpoint.ep.baudRate}`;
      return `mdc ${at} displays ${ids()} ${endpoint.ep.plugged ? "plugged" : "unplugged"}`;
    },
  };
}

/** `roomgate sim`: the simulator on the endpoint a site file's device transport names. */
export const startFromSite: StartFromSite = (transport, options, runtime = {}) => {
  const rt = { ...(runtime.clock ? { clock: runtime.clock } : {}), ...(runtime.logger ? { logger: runtime.logger } : {}) };
  if (transport.type === "tcp") return startSamsungMdcSimulator({ link: "tcp", host: transport.host, port: transport.port, ...options, ...rt });
  if (transport.type === "serial") {
    return startSamsungMdcSimulator({ link: "serial", devicePath: transport.path, baudRate: transport.baudRate, ...options, ...rt });
  }
  return Promise.reject(new MdcSimulatorSpecError(`MDC simulator has no ${transport.type} link; use tcp or serial`));
};

function parseId(s: string): number {
  const id = Number(s);
  if (!Number.isInteger(id) || id < 0 || id > MAX_DISPLAY_ID) throw new Error(`display id must be 0..${MAX_DISPLAY_ID}, got ${s}`);
  return id;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
