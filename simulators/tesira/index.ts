/**
 * The Biamp Tesira DSP simulator: a telnet TTP server on TCP, or the RS-232 port on a pseudo-terminal.
 * The spec comes from tests or from a site file's `simulator.options`, so it is validated here
 * with messages that name the field.
 */
import { z } from "zod";
import { systemClock } from "../../drivers/clock.js";
import type { SimHandle, SimRuntime, StartFromSite } from "../types.js";
import { DEFAULT_BLOCKS, DEFAULT_PRESETS } from "./blocks.js";
import { TesiraDsp, type TesiraFaults } from "./dsp.js";
import { ErrorLog } from "./errors.js";
import { startSerialEndpoint } from "./serial.js";
import { startTcpEndpoint } from "./tcp.js";
import { parseSpec, SimulatorSpecError } from "../spec.js";

export { TesiraDsp, BANNER, type TesiraFaults, type DspSession } from "./dsp.js";
export { Block, DEFAULT_BLOCKS, DEFAULT_PRESETS, type BlockSpec, type PresetSpec } from "./blocks.js";
export { NEGOTIATION } from "./tcp.js";
export { ADDRESS_NOT_FOUND } from "./commands.js";

const tag = z.string().min(1).max(256).regex(/^[^"\r\n]+$/, "no double quotes or line breaks in a tag");
const blockSpec = z.strictObject({
  tag: tag.describe("Instance tag (case-sensitive, may hold spaces)"),
  type: z.enum(["level", "mute"]).describe("level: level + mute per channel; mute: mute per channel"),
  channels: z.number().int().min(1).max(256).optional().describe("Channels (default 1)"),
  minDb: z.number().min(-200).max(100).optional().describe("Level blocks: lowest level (default -100)"),
  maxDb: z.number().min(-200).max(100).optional().describe("Level blocks: highest level (default 12)"),
  levelDb: z.union([z.number(), z.array(z.number())]).optional().describe("Boot level(s) in dB"),
  muted: z.union([z.boolean(), z.array(z.boolean())]).optional().describe("Boot mute(s)"),
});
const presetSpec = z.strictObject({
  id: z.number().int().min(1),
  set: z.array(z.strictObject({ tag, attribute: z.enum(["level", "mute"]), index: z.number().int().min(1), value: z.union([z.number(), z.boolean()]) })),
});
const shared = {
  blocks: z.array(blockSpec).min(1).default(DEFAULT_BLOCKS).describe("The design's blocks (default: MicMute, MicLevel, \"Program Level\")"),
  presets: z.array(presetSpec).default(DEFAULT_PRESETS).describe("Presets for DEVICE recallPreset (default 1001, 1002)"),
  firmware: z.string().min(1).max(40).default("4.7.1.23").describe("Answer to DEVICE get version"),
  bootMs: z.number().int().min(0).max(600_000).default(3000).describe("Reboot to Welcome banner (ms); nothing is answered meanwhile"),
  periodicPushes: z.boolean().default(true).describe("Push subscribed levels at their interval even when unchanged"),
  garbage: z.string().max(200).default('+OK "value":#garbled#').describe("The line the garbage fault puts before answers"),
};

export const tesiraSimulatorSpecSchema = z.discriminatedUnion("link", [
  z.strictObject({
    link: z.literal("tcp"),
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(23).describe("0 = an ephemeral port"),
    ...shared,
  }),
  z.strictObject({
    link: z.literal("serial"),
    devicePath: z.string().min(1).describe("The path the agent opens"),
    baudRate: z.number().int().positive().default(115200),
    ...shared,
  }),
]);

export type TesiraSimulatorSpec = z.input<typeof tesiraSimulatorSpecSchema> & SimRuntime;

export interface TesiraSimHandle extends SimHandle {
  readonly faults: TesiraFaults;
  readonly dsp: TesiraDsp;
  /** TCP: the bound port; serial: undefined. */
  readonly port: number | undefined;
  /** Serial: the path the agent opens; TCP: undefined. */
  readonly devicePath: string | undefined;
  /** TCP: the telnet option answers received per connection (e.g. "WONT 24"). */
  readonly telnetAnswers: readonly string[][];
  control(verb: string, args: readonly string[]): string | undefined;
  readonly controlHelp: string;
}

export const CONTROL_HELP = `Tesira DSP controls:
  reboot DEV [ms]              reboot: subscriptions dropped, silent, Welcome banner again after ms (default bootMs)
  echostorm DEV on|off         echo every command 25 times and stray echoes after answers
  mute DEV TAG INDEX on|off    change a mute from elsewhere (front panel, another controller): pushed
  level DEV TAG INDEX DB       change a level from elsewhere: pushed`;

export class TesiraSimulatorSpecError extends SimulatorSpecError {}

/** Starts a simulated Tesira. Rejects with TesiraSimulatorSpecError (`bad_config`) for a bad spec. */
export async function startTesiraSimulator(spec: TesiraSimulatorSpec): Promise<TesiraSimHandle> {
  const { clock = systemClock, logger, ...data } = spec;
  const s = parseSpec(tesiraSimulatorSpecSchema, data, "Tesira simulator spec", TesiraSimulatorSpecError);
  if (new Set(s.blocks.map((b) => b.tag)).size !== s.blocks.length) throw new TesiraSimulatorSpecError("Tesira simulator spec: blocks: two blocks share one tag");
  const dsp = new TesiraDsp({ clock, blocks: s.blocks, presets: s.presets, firmware: s.firmware, bootMs: s.bootMs, periodicPushes: s.periodicPushes, garbage: s.garbage });
  const where = s.link === "tcp" ? `tcp:${s.host}:${s.port}` : `serial:${s.devicePath}`;
  const errors = new ErrorLog(logger, { sim: "tesira", link: where });
  const ep =
    s.link === "tcp"
      ? { kind: "tcp" as const, ep: await startTcpEndpoint(dsp, s.host, s.port, errors) }
      : {
          kind: "serial" as const,
          ep: await startSerialEndpoint(dsp, { devicePath: s.devicePath, baudRate: s.baudRate }, errors),
        };

  function control(verb: string, args: readonly string[]): string | undefined {
    switch (verb) {
      case "reboot": {
        const ms = args[0] === undefined ? undefined : Number(args[0]);
        if (ms !== undefined && (!Number.isInteger(ms) || ms < 0)) throw new Error(`reboot takes a boot time in ms, got ${args[0]}`);
        dsp.reboot(ms);
        return `rebooting; Welcome banner in ${ms ?? s.bootMs} ms`;
      }
      case "echostorm": {
        const v = args[0];
        if (v !== "on" && v !== "off") throw new Error(`echostorm needs on|off, got ${v ?? "nothing"}`);
        dsp.faults.echostorm = v === "on";
        return `echostorm=${v}`;
      }
      case "mute":
      case "level": {
        const [tagArg, indexArg, valueArg] = args;
        const block = tagArg === undefined ? undefined : dsp.blocks.get(tagArg);
        if (!block) throw new Error(`${verb} needs a block tag: ${[...dsp.blocks.keys()].join(", ")}`);
        const index = Number(indexArg);
        if (!Number.isInteger(index) || index < 1 || index > block.channels) throw new Error(`${verb}: index 1..${block.channels}, got ${indexArg}`);
        if (verb === "mute") {
          if (valueArg !== "on" && valueArg !== "off") throw new Error(`mute needs on|off, got ${valueArg ?? "nothing"}`);
          dsp.setValue(block, "mute", index, valueArg === "on");
        } else {
          const db = Number(valueArg);
          if (block.type !== "level" || valueArg === undefined || !Number.isFinite(db)) throw new Error(`level needs a level block and a number of dB`);
          dsp.setValue(block, "level", index, db);
        }
        return `${block.tag} ${verb} ${index} = ${verb === "mute" ? block.mutes[index - 1] : block.levels[index - 1]}`;
      }
      default:
        return undefined;
    }
  }

  let closed: Promise<void> | undefined;
  return {
    protocol: "tesira",
    faults: dsp.faults,
    dsp,
    get errors() {
      return errors.list;
    },
    port: ep.kind === "tcp" ? ep.ep.port : undefined,
    devicePath: ep.kind === "serial" ? ep.ep.devicePath : undefined,
    telnetAnswers: ep.kind === "tcp" ? ep.ep.answers : [],
    control,
    controlHelp: CONTROL_HELP,
    unplug: () => ep.ep.unplug(),
    replug: () => ep.ep.replug(),
    close() {
      closed ??= (async () => {
        dsp.close();
        await ep.ep.close();
      })();
      return closed;
    },
    describe() {
      const at = ep.kind === "tcp" ? `${where.replace(/:\d+$/, "")}:${ep.ep.port}` : `serial:${ep.ep.devicePath}@${ep.ep.baudRate}`;
      const state = dsp.booting ? "booting" : ep.ep.plugged ? "plugged" : "unplugged";
      return `tesira ${at} blocks ${[...dsp.blocks.keys()].join(",")} ${state}`;
    },
  };
}

/** `roomgate sim`: the simulator on the endpoint a site file's device transport names. */
export const startFromSite: StartFromSite = (transport, options, runtime = {}) => {
  const rt = { ...(runtime.clock ? { clock: runtime.clock } : {}), ...(runtime.logger ? { logger: runtime.logger } : {}) };
  if (transport.type === "tcp") return startTesiraSimulator({ link: "tcp", host: transport.host, port: transport.port, ...options, ...rt });
  if (transport.type === "serial") return startTesiraSimulator({ link: "serial", devicePath: transport.path, baudRate: transport.baudRate, ...options, ...rt });
  return Promise.reject(new TesiraSimulatorSpecError(`the Tesira simulator has no ${transport.type} link; use tcp or serial`));
};
