/**
 * The Poly Group Series codec simulator: its API on TCP (telnet, port 24 on a codec), on an RS-232
 * pty (9600 by default), or over SSH, with the province's MCU (simulators/codec-mcu) as the far
 * side. The spec comes from tests or a site file's `simulator.options`, validated here with
 * messages that name the field.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { systemClock } from "../../drivers/clock.js";
import { SimulatedMcu, type NumberBehaviour } from "../codec-mcu/mcu.js";
import { ErrorLog } from "../error-log.js";
import type { SimHandle, SimRuntime, StartFromSite } from "../types.js";
import { PolyCodec } from "./codec.js";
import { startSerial, startSsh, startTcp, type Endpoint } from "./endpoints.js";
import { CONTROL_HELP, runControl } from "./controls.js";
import { parseSpec, SimulatorSpecError } from "../spec.js";

export { PolyCodec, ApiSession, EOL, SSH_PROMPT, causeCode } from "./codec.js";
export { CONTROL_HELP } from "./controls.js";

const behaviour = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("answer"), ringMs: z.number().int().min(0).optional(), hangupAfterMs: z.number().int().min(0).optional(), name: z.string().optional() }),
  z.strictObject({ kind: z.literal("reject"), cause: z.enum(["busy", "declined", "not-found"]), name: z.string().optional() }),
  z.strictObject({ kind: z.literal("no-answer"), name: z.string().optional() }),
]);

const shared = {
  name: z.string().min(1).max(64).regex(/^[^\r\n:]+$/).default("ROOM-101").describe("The system name in the banner"),
  model: z.string().min(1).max(40).default("Group 500"),
  software: z.string().min(1).max(40).default("6.2.2"),
  serialNumber: z.string().min(1).max(40).default("8215130F2E0DCV"),
  password: z.string().max(256).default("").describe("The API password asked over telnet and RS-232 (\"\": none). Over SSH: the user's password, unless the site's transport gives one"),
  askUsername: z.boolean().default(false).describe("Ask `Username:` before `Password:` (some units, P3)"),
  username: z.string().min(1).max(64).default("admin"),
  bootMs: z.number().int().min(0).max(600_000).default(5000).describe("Reboot to prompt or banner (ms); nothing is answered meanwhile"),
  maxLoginAttempts: z.number().int().min(1).max(100).default(3).describe("[A] Wrong passwords before a telnet connection is closed"),
  maxSessions: z.number().int().min(1).max(64).default(4).describe("[A] API sessions at once (telnet and SSH)"),
  defaultRate: z.number().int().min(64).max(6144).default(1920).describe("Call rate for `dial manual auto`"),
  defaultProtocol: z.enum(["sip", "h323"]).default("sip").describe("Protocol for a dial without a call type"),
  gatekeeperIp: z.string().min(1).default("10.10.0.10"),
  sipRegistrar: z.string().min(1).default("mcu.province.gov"),
  registrationsSurviveReboot: z.boolean().default(false).describe("P4: registrations are written to flash; default false, the harder case for a driver"),
  garbage: z.string().max(200).default("\x15\x1a#?!garbled!?#").describe("The line the garbage fault puts before replies"),
  numbers: z.record(z.string(), behaviour).default({}).describe("Dial string -> how the MCU's far end behaves"),
  otherwise: behaviour.default({ kind: "answer", ringMs: 300 }).describe("Any other number"),
  registered: z.strictObject({ sip: z.boolean().default(true), h323: z.boolean().default(true) }).default({ sip: true, h323: true }),
  baseline: z.strictObject({ lossPct: z.number().min(0).max(100), jitterMs: z.number().min(0) }).default({ lossPct: 0, jitterMs: 3 }),
};

export const polySimulatorSpecSchema = z.discriminatedUnion("link", [
  z.strictObject({ link: z.literal("tcp"), host: z.string().min(1).default("127.0.0.1"), port: z.number().int().min(0).max(65535).default(24).describe("0 = an ephemeral port"), ...shared }),
  z.strictObject({ link: z.literal("serial"), devicePath: z.string().min(1).describe("The path the agent opens"), baudRate: z.number().int().positive().default(9600), ...shared }),
  z.strictObject({
    link: z.literal("ssh"),
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(22).describe("0 = an ephemeral port"),
    users: z.record(z.string(), z.string()).optional().describe("SSH user -> password; default {username: password}"),
    ...shared,
  }),
]);

export type PolySimulatorSpec = z.input<typeof polySimulatorSpecSchema> & SimRuntime;

export interface PolySimHandle extends SimHandle {
  readonly codec: PolyCodec;
  readonly mcu: SimulatedMcu;
  readonly link: "tcp" | "serial" | "ssh";
  /** TCP and SSH: the bound port. */
  readonly port: number | undefined;
  /** Serial: the path the agent opens. */
  readonly devicePath: string | undefined;
  /** SSH: the host key's fingerprint, for a site file's `transport.hostFingerprint`. */
  readonly hostFingerprint: string | undefined;
  /** SSH: the users and passwords the server accepts (change one to refuse the agent). */
  readonly sshUsers: Record<string, string>;
  control(verb: string, args: readonly string[]): string | undefined;
  readonly controlHelp: string;
}

export class PolySimulatorSpecError extends SimulatorSpecError {}

/** Starts a simulated Poly codec. Rejects with PolySimulatorSpecError (`bad_config`) for a bad spec. */
export async function startPolySimulator(spec: PolySimulatorSpec): Promise<PolySimHandle> {
  const { clock = systemClock, logger, ...data } = spec;
  const s = parseSpec(polySimulatorSpecSchema, data, "Poly simulator spec", PolySimulatorSpecError);
  const mcu = new SimulatedMcu({ clock, numbers: s.numbers as Record<string, NumberBehaviour>, otherwise: s.otherwise as NumberBehaviour, registered: s.registered, baseline: s.baseline });
  const codec = new PolyCodec(clock, mcu, { ...s }, s.maxSessions);
  const where = s.link === "serial" ? `serial:${s.devicePath}` : `${s.link}:${s.host}:${s.port}`;
  const errors = new ErrorLog(logger, { sim: "poly", link: where });
  const sshUsers: Record<string, string> = s.link === "ssh" ? { ...(s.users ?? { [s.username]: s.password }) } : {};
  let ep: Endpoint & { port?: number; devicePath?: string; baudRate?: number; hostFingerprint?: string };
  try {
    if (s.link === "tcp") ep = await startTcp(codec, s.host, s.port, errors);
    else if (s.link === "serial") ep = await startSerial(codec, { devicePath: s.devicePath, baudRate: s.baudRate, clock }, errors);
    else ep = await startSsh(codec, { host: s.host, port: s.port, users: sshUsers }, errors);
  } catch (err) {
    codec.close();
    mcu.close();
    throw err;
  }

  let closed: Promise<void> | undefined;
  return {
    protocol: "poly",
    link: s.link,
    codec,
    mcu,
    faults: codec.faults,
    get errors() {
      return errors.list;
    },
    get port() {
      return ep.port;
    },
    devicePath: ep.devicePath,
    hostFingerprint: ep.hostFingerprint,
    sshUsers,
    control: (verb, args) => runControl({ codec, mcu, sshUsers, username: s.username }, verb, args),
    controlHelp: CONTROL_HELP,
    unplug: () => ep.unplug(),
    replug: () => ep.replug(),
    close() {
      closed ??= (async () => {
        codec.close();
        mcu.close();
        await ep.close();
      })();
      return closed;
    },
    describe() {
      const at = s.link === "serial" ? `serial:${ep.devicePath}@${ep.baudRate}` : `${s.link}:${s.host}:${ep.port}`;
      const state = codec.booting ? "booting" : ep.plugged ? "plugged" : "unplugged";
      return `poly ${s.model} ${at} sessions ${codec.sessions.size} calls ${mcu.active().length} ${state}`;
    },
  };
}

/** `roomgate sim`: the simulator on the endpoint a site file's device transport names. */
export const startFromSite: StartFromSite = async (transport, options, runtime = {}) => {
  const rt = { ...(runtime.clock ? { clock: runtime.clock } : {}), ...(runtime.logger ? { logger: runtime.logger } : {}) };
  if (transport.type === "tcp") return startPolySimulator({ link: "tcp", host: transport.host, port: transport.port, ...options, ...rt });
  if (transport.type === "serial") return startPolySimulator({ link: "serial", devicePath: transport.path, baudRate: transport.baudRate, ...options, ...rt });
  if (transport.type === "ssh") {
    // The agent logs in with the site's SSH credentials: the simulated codec accepts exactly those.
    const password = transport.password ?? (transport.passwordFile !== undefined ? readFirstLine(transport.passwordFile) : undefined);
    const users = password === undefined ? undefined : { [transport.username]: password };
    return startPolySimulator({ link: "ssh", host: transport.host, port: transport.port, ...(users ? { users } : {}), ...options, ...rt });
  }
  throw new PolySimulatorSpecError(`the Poly simulator has no ${transport.type} link; use tcp, serial or ssh`);
};

function readFirstLine(file: string): string {
  try {
    return readFileSync(file, "utf8").split(/\r?\n/)[0] ?? "";
  } catch (err) {
    throw new PolySimulatorSpecError(`cannot read the SSH password file ${file} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
}
