/**
 * The WAN-link simulator (STAMP / TWAMP-light reflector behind a configurable bad path): spec
 * validation, the typed entry point for tests, and the `roomgate sim` entry with the link's controls
 * (loss, delay, jitter, reorder, duplicate, stranger, clean).
 */
import { z } from "zod";
import type { SimRuntime, StartFromSite } from "../types.js";
import { startStampServer, type StampSimHandle } from "./server.js";
import { siteHandle } from "../site-handle.js";
import { parseSpec, SimulatorSpecError } from "../spec.js";

export type { StampSimHandle, StampSimStats, StampSimFaults } from "./server.js";

const pct = z.number().min(0).max(100);
const ms = z.number().int().min(0).max(60_000);

export const stampSimulatorSpecSchema = z.strictObject({
  host: z.string().min(1).default("127.0.0.1").describe("Address to bind."),
  port: z.number().int().min(0).max(65535).describe("UDP port (862 for STAMP, needs root; 0 = an ephemeral port)."),
  delayMs: ms.optional().describe("Round-trip delay the path adds to every reply."),
  jitterMs: ms.optional().describe("Jitter the sender should measure: each reply waits an extra uniform 0..3 × jitterMs."),
  lossPct: pct.optional().describe("Share of replies lost, spread evenly."),
  reorderPct: pct.optional().describe("Share of replies overtaken by the next one."),
  duplicatePct: pct.optional().describe("Share of replies sent twice."),
  seed: z.number().int().min(0).max(0xffffffff).optional().describe("Seed of the jitter's random numbers (default 1)."),
  ttl: z.number().int().min(0).max(255).optional().describe("Session-Sender TTL written in replies (default 0: not known)."),
});

export type StampSimulatorSpec = z.input<typeof stampSimulatorSpecSchema> & SimRuntime;

export class StampSimulatorSpecError extends SimulatorSpecError {}

/** Starts a simulated reflector on UDP. Rejects with StampSimulatorSpecError (`bad_config`) for a bad spec. */
export async function startStampSimulator(spec: StampSimulatorSpec): Promise<StampSimHandle> {
  const { clock, logger, ...data } = spec;
  const parsed = parseSpec(stampSimulatorSpecSchema, data, "STAMP simulator spec", StampSimulatorSpecError);
  const s = Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined)) as typeof parsed;
  return startStampServer({ ...s, ...(clock ? { clock } : {}), ...(logger ? { logger } : {}) });
}

export const CONTROL_HELP = [
  "  loss DEV PCT                 lose PCT % of replies (spread evenly; 0 = off)",
  "  delay DEV MS                 add MS to every round trip",
  "  jitter DEV MS                jitter of about MS (each reply waits an extra 0..3×MS)",
  "  reorder DEV PCT              PCT % of replies overtaken by the next one",
  "  duplicate DEV PCT            PCT % of replies sent twice",
  "  stranger DEV on|off          also answer sequence numbers never sent, and from another port",
  "  clean DEV                    every fault off: a clean link",
].join("\n");

function number(verb: string, v: string | undefined, max: number, unit: string): number {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n) || n < 0 || n > max) throw new Error(`${verb} needs ${unit} 0..${max}, got ${v ?? "nothing"}`);
  return n;
}

/** Runs one link control verb; undefined when the verb is not one of ours. */
export function runControl(sim: StampSimHandle, verb: string, args: readonly string[]): string | undefined {
  const f = sim.faults;
  switch (verb) {
    case "loss":
      f.lossPct = number(verb, args[0], 100, "a percentage");
      return `loss=${f.lossPct}%`;
    case "delay":
      f.delayMs = number(verb, args[0], 60_000, "a time in ms");
      return `delay=${f.delayMs}ms`;
    case "jitter":
      f.jitterMs = number(verb, args[0], 60_000, "a time in ms");
      return `jitter=${f.jitterMs}ms`;
    case "reorder":
      f.reorderPct = number(verb, args[0], 100, "a percentage");
      return `reorder=${f.reorderPct}%`;
    case "duplicate":
      f.duplicatePct = number(verb, args[0], 100, "a percentage");
      return `duplicate=${f.duplicatePct}%`;
    case "stranger":
      if (args[0] !== "on" && args[0] !== "off") throw new Error(`stranger needs on or off, got ${args[0] ?? "nothing"}`);
      f.stranger = args[0] === "on";
      return `stranger=${f.stranger}`;
    case "clean":
      sim.clean();
      return "clean: every fault off";
    default:
      return undefined;
  }
}

/** `roomgate sim` entry: a reflector on the UDP endpoint the site file's transport names. */
export const startFromSite: StartFromSite = async (transport, options, runtime = {}) => {
  if (transport.type !== "udp") throw new StampSimulatorSpecError(`the STAMP simulator has no ${transport.type} link (udp only)`);
  const sim = await startStampSimulator({ host: transport.host, port: transport.port, ...options, ...runtime });
  return siteHandle("stamp", sim, { controlHelp: CONTROL_HELP, control: (verb, args) => runControl(sim, verb, args) });
};
