/**
 * The Behringer X32 / Midas M32 simulator (OSC over UDP): spec validation, the typed entry point
 * for tests, and the `roomgate sim` entry with the X32-only controls (reboot, change, signal, scene).
 */
import { z } from "zod";
import type { Clock, Logger } from "../../drivers/types.js";
import type { StartFromSite } from "../types.js";
import { startX32Server, type X32ServerHandle } from "./server.js";
import { siteHandle } from "../site-handle.js";
import { parseSpec, SimulatorSpecError } from "../spec.js";

export { X32Mixer, type ParamValue, DEFAULT_FADER, quantiseFader } from "./mixer.js";
export { SUBSCRIPTION_MS, type X32ServerHandle, type X32SimStats } from "./server.js";
export { MALFORMED_PACKETS } from "./garbage.js";

const ms = z.number().int().min(0).max(600_000);

export const x32SimulatorSpecSchema = z.strictObject({
  host: z.string().min(1).default("127.0.0.1").describe("Address to bind."),
  port: z.number().int().min(0).max(65535).describe("UDP port (10023 on a real desk); 0 = an ephemeral port."),
  name: z.string().min(1).max(32).optional().describe("Console name /xinfo reports (default X32-SIM)."),
  model: z.string().min(1).max(16).optional().describe("Model /xinfo reports (default X32; M32 for a Midas)."),
  firmware: z.string().min(1).max(16).optional().describe("Firmware /xinfo reports (default 4.06)."),
  ip: z.string().min(1).optional().describe("IP /xinfo reports (default: host)."),
  signalDb: z.number().max(0).optional().describe("Input signal of every channel in dBFS, as /meters/1 shows it (default -30)."),
  scenes: z
    .record(z.string().regex(/^\d{1,2}$/, "scene numbers 0..99"), z.record(z.string(), z.number()))
    .optional()
    .describe("Scenes: number -> {address: value}, e.g. {\"1\": {\"/ch/01/mix/on\": 0, \"/main/st/mix/fader\": 0.5}}."),
  meterIntervalMs: z.number().int().min(10).max(10_000).optional().describe("Meter push interval (default 50, as the desk)."),
  rebootMs: ms.optional().describe("How long `reboot` answers nothing (default 5000)."),
});

/** Things a spec may carry that are not data (never from a site file). */
interface Runtime {
  clock?: Clock;
  logger?: Logger;
}

export type X32SimulatorSpec = z.input<typeof x32SimulatorSpecSchema> & Runtime;

export { SimulatorSpecError };

/** Starts a simulated X32 on UDP. Rejects with SimulatorSpecError (`bad_config`) for a bad spec. */
export async function startX32Simulator(spec: X32SimulatorSpec): Promise<X32ServerHandle> {
  const { clock, logger, ...data } = spec;
  const parsed = parseSpec(x32SimulatorSpecSchema, data, "X32 simulator spec");
  const s = Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined)) as typeof parsed;
  try {
    return await startX32Server({ ...s, ...(clock ? { clock } : {}), ...(logger ? { logger } : {}) });
  } catch (e) {
    if (e instanceof RangeError) throw new SimulatorSpecError(`X32 simulator spec: ${e.message}`);
    throw e;
  }
}

export const CONTROL_HELP = [
  "  reboot DEV [MS]              forget /xremote and /meters subscribers, answer nothing for MS (default rebootMs)",
  "  change DEV CH [mute|unmute|toggle|DB]  a change on the desk (pushed to /xremote clients); CH = 1..32 or a path (/bus/02, /main/st)",
  "  signal DEV CH DB             input level of channel CH (1..32) in dBFS, as /meters/1 reports it",
  "  scene DEV N                  load scene N from the desk's surface",
].join("\n");

/** `3` -> `/ch/03`; paths are kept as they are. */
function stripPath(ch: string | undefined): string {
  if (ch === undefined) throw new Error("which channel? 1..32 or a path like /bus/02");
  if (/^\d{1,2}$/.test(ch)) return `/ch/${ch.padStart(2, "0")}`;
  return ch;
}

/** Runs one X32 control verb; undefined when the verb is not one of ours. */
export function runControl(sim: X32ServerHandle, verb: string, args: readonly string[]): string | undefined {
  switch (verb) {
    case "reboot": {
      const ms = args[0] === undefined ? undefined : Number(args[0]);
      if (ms !== undefined && (!Number.isInteger(ms) || ms < 0)) throw new Error(`reboot needs a time in ms, got ${args[0]}`);
      sim.reboot(ms);
      return `rebooting${ms === undefined ? "" : ` for ${ms} ms`}: subscribers forgotten`;
    }
    case "change": {
      const path = stripPath(args[0]);
      const op = args[1] ?? "toggle";
      const dca = path.startsWith("/dca/");
      const on = dca ? `${path}/on` : `${path}/mix/on`;
      const fader = dca ? `${path}/fader` : `${path}/mix/fader`;
      if (!sim.mixer.has(on)) throw new Error(`unknown strip ${path}`);
      let address = on;
      let value: { type: "i" | "f"; value: number };
      if (op === "mute" || op === "unmute") value = { type: "i", value: op === "mute" ? 0 : 1 };
      else if (op === "toggle") value = { type: "i", value: sim.mixer.get(on)!.value === 1 ? 0 : 1 };
      else {
        const db = Number(op);
        if (!Number.isFinite(db) || db < -90 || db > 10) throw new Error(`change needs mute|unmute|toggle or a level -90..10 dB, got ${op}`);
        address = fader;
        value = { type: "f", value: faderFromDb(db) };
      }
      const n = sim.deskChange(address, value);
      const stored = sim.mixer.get(address)!;
      const shown = stored.type === "f" ? stored.value.toFixed(4) : String(stored.value);
      return `${address} = ${shown} (pushed to ${n} client${n === 1 ? "" : "s"})`;
    }
    case "signal": {
      const ch = Number(args[0]);
      const db = Number(args[1]);
      sim.mixer.setSignal(ch, db); // RangeError with a clear message for bad values
      return `channel ${ch} signal ${db} dBFS`;
    }
    case "scene": {
      const n = Number(args[0]);
      if (!Number.isInteger(n) || n < 0 || n > 99) throw new Error(`scene needs a number 0..99, got ${args[0]}`);
      const changed = sim.loadScene(n);
      return changed === null ? `scene ${n} is empty` : `scene ${n} loaded (${changed} changes pushed)`;
    }
    default:
      return undefined;
  }
}

/** The desk's fader law (PROTOCOLS.md), inverse direction; written here so the simulator does not share the driver's. */
function faderFromDb(db: number): number {
  if (db >= -10) return (db + 30) / 40;
  if (db >= -30) return (db + 50) / 80;
  if (db >= -60) return (db + 70) / 160;
  return (db + 90) / 480;
}

/** `roomgate sim` entry: an X32 on the UDP endpoint the site file's transport names. */
export const startFromSite: StartFromSite = async (transport, options, runtime = {}) => {
  if (transport.type !== "udp") throw new SimulatorSpecError(`the X32 simulator has no ${transport.type} link (udp only)`);
  const sim = await startX32Simulator({ host: transport.host, port: transport.port, ...options, ...runtime });
  return siteHandle("x32", sim, { controlHelp: CONTROL_HELP, control: (verb, args) => runControl(sim, verb, args) });
};
