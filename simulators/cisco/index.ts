/**
 * The Cisco RoomOS / CE codec simulator: the xAPI on SSH (the codec's default), on RS-232 (a pty,
 * with its console login) and on telnet (TC / old CE, for tests), with the province's MCU
 * (simulators/codec-mcu) as the far side of every call. The spec comes from tests or from a site
 * file's `simulator.options`; it is validated here with messages that name the field.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { systemClock } from "../../drivers/clock.js";
import type { SimHandle, SimRuntime, StartFromSite } from "../types.js";
import { SimulatedMcu, type NumberBehaviour } from "../codec-mcu/mcu.js";
import { CiscoCodec } from "./model.js";
import type { CodecShell } from "./shell.js";
import { startSerialLink, startSshLink, startTcpLink, type CodecLink } from "./links.js";
import { parseSpec, SimulatorSpecError } from "../spec.js";

export { CiscoCodec, type SimCall } from "./model.js";
export { CodecShell, GARBAGE } from "./shell.js";
export { TELNET_OPENING } from "./links.js";

const behaviour = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("answer"), ringMs: z.number().int().min(0).optional(), hangupAfterMs: z.number().int().min(0).optional(), name: z.string().optional() }),
  z.strictObject({ kind: z.literal("reject"), cause: z.enum(["busy", "declined", "not-found"]), name: z.string().optional() }),
  z.strictObject({ kind: z.literal("no-answer"), name: z.string().optional() }),
]);

const shared = {
  username: z.string().min(1).default("admin").describe("The codec's admin user"),
  password: z.string().default("cisco").describe("Its password (SSH and console login)"),
  name: z.string().min(1).default("room-codec").describe("System name in the welcome text"),
  productId: z.string().min(1).default("Cisco Webex Room Kit").describe("SystemUnit ProductId"),
  software: z.string().min(1).default("ce11.14.2.3 a8f5b5cfd8b").describe("SystemUnit Software Version"),
  protocols: z.strictObject({ sip: z.boolean().default(true), h323: z.boolean().default(true) }).default({ sip: true, h323: true }).describe("Registrations configured (off: Inactive)"),
  registered: z.strictObject({ sip: z.boolean().default(true), h323: z.boolean().default(true) }).default({ sip: true, h323: true }).describe("Registrations up at start"),
  sipUri: z.string().default("room-codec@province.gov"),
  gatekeeper: z.string().default("10.20.0.5"),
  defaultProtocol: z.enum(["sip", "h323"]).default("sip").describe("Protocol of a Dial without one"),
  defaultRateKbps: z.number().int().min(64).max(6000).default(1920),
  connectors: z.number().int().min(1).max(8).default(4).describe("Video input connectors"),
  presets: z.array(z.number().int().min(1).max(35)).default([1, 2, 3]).describe("Camera presets stored"),
  defaultVolume: z.number().int().min(0).max(100).default(50),
  numbers: z.record(z.string(), behaviour).default({}).describe("How dialled numbers behave at the MCU"),
  otherwise: behaviour.default({ kind: "answer", ringMs: 300 }).describe("Any other number"),
  baseline: z.strictObject({ lossPct: z.number().min(0).max(100), jitterMs: z.number().min(0) }).default({ lossPct: 0, jitterMs: 3 }),
  bootMs: z.number().int().min(0).max(600_000).default(5000).describe("Reboot until the codec answers again (ms)"),
  maxSessions: z.number().int().min(1).max(64).default(4).describe("Security Session MaxTotalSessions [A]"),
  maxFeedback: z.number().int().min(1).max(100).default(38).describe("Feedback expressions per session (C1: 38; RoomOS 11.32: 50)"),
};

export const ciscoSimulatorSpecSchema = z.discriminatedUnion("link", [
  z.strictObject({ link: z.literal("ssh"), host: z.string().default("127.0.0.1"), port: z.number().int().min(0).max(65535).default(22), ...shared }),
  z.strictObject({ link: z.literal("tcp"), host: z.string().default("127.0.0.1"), port: z.number().int().min(0).max(65535).default(23), ...shared }),
  z.strictObject({ link: z.literal("serial"), devicePath: z.string().min(1), baudRate: z.number().int().positive().default(115200), ...shared }),
]);

export type CiscoSimulatorSpec = z.input<typeof ciscoSimulatorSpecSchema> & SimRuntime;

export interface CiscoSimHandle extends SimHandle {
  readonly codec: CiscoCodec;
  readonly mcu: SimulatedMcu;
  readonly link: CodecLink;
  readonly port: number | undefined;
  readonly devicePath: string | undefined;
  /** SSH: the host key's fingerprint, for `transport.hostFingerprint`. */
  readonly hostFingerprint: string | undefined;
  /** Every shell opened so far, oldest first. */
  readonly shells: readonly CodecShell[];
  /** Logins refused (SSH and console). */
  readonly refusedLogins: number;
  /** The codec's users (change a password to refuse a logged-in driver's next login). */
  readonly users: Record<string, string>;
  control(verb: string, args: readonly string[]): string | undefined;
  readonly controlHelp: string;
}

export const CONTROL_HELP = `Cisco codec controls:
  reboot DEV [ms]                 reboot: calls dropped, sessions cut (SSH, telnet) or logged out (RS-232), back after ms
  register DEV sip|h323 on|off    the registration is lost (off) or back (on)
  hangup DEV [callId]             the far end hangs up (every call when no id)
  netdrop DEV [callId]            the network drops the call
  number DEV NUM answer [ringMs] [hangupAfterMs] | reject busy|declined|not-found | no-answer
  incoming DEV NUM                a far end calls the codec
  storm DEV LOSS% JITTERms | off  loss and jitter on every connected call
  password DEV NEW                the codec's password changes (logins with the old one are refused)
  sessions DEV N                  at most N sessions (SSH shells, telnet)
  volume DEV N | mute DEV on|off | standby DEV on|off   changed at the codec (touch panel): fed back`;

export class CiscoSimulatorSpecError extends SimulatorSpecError {}

export async function startCiscoSimulator(spec: CiscoSimulatorSpec): Promise<CiscoSimHandle> {
  const { clock = systemClock, logger, ...data } = spec;
  const s = parseSpec(ciscoSimulatorSpecSchema, data, "Cisco simulator spec", CiscoSimulatorSpecError);
  const mcu = new SimulatedMcu({ clock, numbers: s.numbers as Record<string, NumberBehaviour>, otherwise: s.otherwise as NumberBehaviour, registered: s.registered, baseline: s.baseline });
  const codec = new CiscoCodec({ clock, mcu, ...s });
  const users: Record<string, string> = { [s.username]: s.password };
  const errorList: Error[] = [];
  const errors = {
    add(err: unknown, msg: string) {
      const e = err instanceof Error ? err : new Error(String(err));
      if (errorList.length < 100) errorList.push(e);
      logger?.warn({ sim: "cisco", err: e.message }, msg);
    },
  };
  const shells: CodecShell[] = [];
  let refused = 0;
  const limits = { maxSessions: s.maxSessions };
  const deps = {
    codec,
    users,
    get maxSessions() {
      return limits.maxSessions;
    },
    maxFeedback: s.maxFeedback,
    errors,
    clock,
    onShell: (sh: CodecShell) => shells.push(sh),
    onRefusedLogin: () => void refused++,
  };
  let link: CodecLink;
  try {
    link = s.link === "ssh" ? await startSshLink(deps, s.host, s.port) : s.link === "tcp" ? await startTcpLink(deps, s.host, s.port) : await startSerialLink(deps, s.devicePath, s.baudRate);
  } catch (err) {
    codec.close();
    mcu.close();
    throw err;
  }

  function reboot(ms: number): void {
    codec.reboot();
    void link.rebooting().catch((e: unknown) => errors.add(e, "reboot failed"));
    codec.after(ms, () => {
      codec.booted();
      void link.booted().catch((e: unknown) => errors.add(e, "boot failed"));
    });
  }

  const callId = (arg: string | undefined): number[] => {
    if (arg === undefined) return mcu.active().map((c) => c.id);
    const id = Number(arg);
    if (!Number.isInteger(id)) throw new Error(`a call id is a number, got ${arg}`);
    return [id];
  };
  const onOff = (v: string | undefined, verb: string): boolean => {
    if (v !== "on" && v !== "off") throw new Error(`${verb} needs on|off, got ${v ?? "nothing"}`);
    return v === "on";
  };

  function control(verb: string, args: readonly string[]): string | undefined {
    switch (verb) {
      case "reboot": {
        const ms = args[0] === undefined ? s.bootMs : Number(args[0]);
        if (!Number.isInteger(ms) || ms < 0) throw new Error(`reboot takes a boot time in ms, got ${args[0]}`);
        reboot(ms);
        return `rebooting; back in ${ms} ms`;
      }
      case "register": {
        const p = args[0];
        if (p !== "sip" && p !== "h323") throw new Error(`register needs sip|h323, got ${p ?? "nothing"}`);
        mcu.setRegistered(p, onOff(args[1], "register"));
        return `${p} registration ${args[1]}`;
      }
      case "hangup":
      case "netdrop": {
        const ended = callId(args[0]).filter((id) => mcu.drop(id, verb === "hangup" ? "remote" : "network"));
        return ended.length > 0 ? `ended ${ended.join(", ")}` : "no such call";
      }
      case "number": {
        const [num, kind, a, b] = args;
        if (!num) throw new Error("number needs a dial string");
        const beh: NumberBehaviour | undefined =
          kind === "answer"
            ? { kind: "answer", ...(a !== undefined ? { ringMs: Number(a) } : {}), ...(b !== undefined ? { hangupAfterMs: Number(b) } : {}) }
            : kind === "reject" && (a === "busy" || a === "declined" || a === "not-found")
              ? { kind: "reject", cause: a }
              : kind === "no-answer"
                ? { kind: "no-answer" }
                : undefined;
        if (!beh) throw new Error("number NUM answer [ringMs] [hangupAfterMs] | reject busy|declined|not-found | no-answer");
        mcu.setNumber(num, beh);
        return `${num}: ${[kind, a, b].filter((x) => x !== undefined).join(" ")}`;
      }
      case "incoming": {
        if (!args[0]) throw new Error("incoming needs the caller's number");
        return `incoming call ${mcu.incoming(args[0]).id}`;
      }
      case "storm": {
        if (args[0] === "off") [mcu.storm.lossPct, mcu.storm.jitterMs] = [0, 0];
        else {
          const [loss, jitter] = [Number(args[0]), Number(args[1] ?? 0)];
          if (!Number.isFinite(loss) || loss < 0 || loss > 100 || !Number.isFinite(jitter) || jitter < 0) throw new Error("storm needs LOSS% (0..100) and JITTERms, or off");
          [mcu.storm.lossPct, mcu.storm.jitterMs] = [loss, jitter];
        }
        return `storm loss=${mcu.storm.lossPct}% jitter=${mcu.storm.jitterMs}ms`;
      }
      case "password": {
        if (!args[0]) throw new Error("password needs the new password");
        users[s.username] = args[0];
        return "password changed";
      }
      case "sessions": {
        const n = Number(args[0]);
        if (!Number.isInteger(n) || n < 1) throw new Error(`sessions needs a count >= 1, got ${args[0]}`);
        limits.maxSessions = n;
        return `at most ${n} sessions`;
      }
      case "volume": {
        const n = Number(args[0]);
        if (!Number.isInteger(n) || n < 0 || n > 100) throw new Error("volume needs 0..100");
        codec.volume = n;
        codec.changed();
        return `volume ${n}`;
      }
      case "mute":
        codec.muted = onOff(args[0], "mute");
        codec.changed();
        return `microphones ${codec.muted ? "muted" : "live"}`;
      case "standby":
        codec.standby = onOff(args[0], "standby") ? "Standby" : "Off";
        codec.changed();
        return `standby ${codec.standby}`;
      default:
        return undefined;
    }
  }

  let closed: Promise<void> | undefined;
  return {
    protocol: "cisco",
    faults: codec.faults,
    codec,
    mcu,
    link,
    get errors() {
      return errorList;
    },
    get port() {
      return link.port;
    },
    devicePath: link.devicePath,
    hostFingerprint: link.hostFingerprint,
    shells,
    get refusedLogins() {
      return refused + link.refusedLogins;
    },
    users,
    control,
    controlHelp: CONTROL_HELP,
    unplug: () => link.unplug(),
    replug: () => link.replug(),
    close() {
      closed ??= (async () => {
        codec.close();
        mcu.close();
        await link.close();
      })();
      return closed;
    },
    describe() {
      const at = link.kind === "serial" ? `serial:${link.devicePath}` : `${link.kind}:${s.link === "serial" ? "" : s.host}:${link.port}`;
      const state = codec.booting ? "booting" : link.plugged ? "plugged" : "unplugged";
      return `cisco ${at} ${s.productId} calls ${codec.calls.size} ${state}`;
    },
  };
}

/** `roomgate sim`: the simulator on the endpoint a site file's device transport names. */
export const startFromSite: StartFromSite = async (transport, options, runtime = {}) => {
  const rt = { ...(runtime.clock ? { clock: runtime.clock } : {}), ...(runtime.logger ? { logger: runtime.logger } : {}) };
  if (transport.type === "ssh") {
    // The transport's user logs in with the transport's password, unless the simulator options say otherwise.
    const password = transport.password ?? (transport.passwordFile ? ((await readFile(transport.passwordFile, "utf8")).split(/\r?\n/)[0] ?? "") : undefined);
    return startCiscoSimulator({ link: "ssh", host: transport.host, port: transport.port, username: transport.username, ...(password !== undefined ? { password } : {}), ...options, ...rt });
  }
  if (transport.type === "tcp") return startCiscoSimulator({ link: "tcp", host: transport.host, port: transport.port, ...options, ...rt });
  if (transport.type === "serial") return startCiscoSimulator({ link: "serial", devicePath: transport.path, baudRate: transport.baudRate, ...options, ...rt });
  return Promise.reject(new CiscoSimulatorSpecError(`the Cisco simulator has no ${transport.type} link; use ssh, serial or tcp`));
};
