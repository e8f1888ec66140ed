/**
 * A bench site: the broker (child process or in this process), simulated VISCA cameras on
 * ptys and UDP, and the site file the agent child reads (validated here with the real schema, so
 * a mistake fails before the agent starts).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createLogger } from "../../agent/logger.js";
import { startBroker } from "../../broker/server.js";
import { siteConfigSchema, type SiteConfigInput } from "../../config/site.js";
import { startViscaSimulator, type SimulatorHandle } from "../../simulators/visca/index.js";
import { startMosquitto } from "../fleet/brokers.js";
import { spawnBroker } from "./processes.js";
import { freePort } from "../../simulators/site-endpoints.js";

/** `roomgate broker` as a child, aedes in the bench's process, or Debian's Mosquitto (for comparison). */
export type BrokerMode = "child" | "in-process" | "mosquitto";
export const BROKER_MODES: readonly BrokerMode[] = ["child", "in-process", "mosquitto"];

export interface BenchBroker {
  url: string;
  /** The broker's process when it runs as a child (its CPU is measured). */
  pid?: number;
  close(): Promise<void>;
}

export async function startBenchBroker(mode: BrokerMode): Promise<BenchBroker> {
  if (mode === "child") {
    const { child, url } = await spawnBroker();
    return { url, pid: child.pid, close: async () => void (await child.stop()) };
  }
  if (mode === "mosquitto") {
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-bench-mosquitto-"));
    const port = await freePort();
    const m = await startMosquitto("anonymous", dir, port);
    return {
      url: `mqtt://127.0.0.1:${port}`,
      pid: m.pid,
      close: async () => {
        await m.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  // Warnings only, on stderr: stdout carries the bench's JSON.
  const broker = await startBroker({ host: "127.0.0.1", port: 0, logger: createLogger({ level: "warn", name: "bench-broker", destination: 2 }) });
  return { url: broker.url, close: () => broker.close() };
}

export interface SimulatedDevice {
  id: string;
  link: "serial" | "udp";
  handle: SimulatorHandle;
  /** The device block of the site file. */
  config: NonNullable<SiteConfigInput["devices"]>[string];
}

/** Starts one simulated camera and returns it with the device block the agent needs to reach it. */
export async function startCamera(
  dir: string,
  id: string,
  link: "serial" | "udp",
  opts: { baudRate: number; pollIntervalMs: number },
): Promise<SimulatedDevice> {
  const camera = (transport: SimulatedDevice["config"]["transport"], options: Record<string, unknown>) =>
    ({ kind: "camera", protocol: "visca", pollIntervalMs: opts.pollIntervalMs, transport, options }) as SimulatedDevice["config"];
  if (link === "serial") {
    const devicePath = path.join(dir, id);
    const handle = await startViscaSimulator({ link: "serial", devicePath, baudRate: opts.baudRate });
    const transport = { type: "serial", path: devicePath, baudRate: opts.baudRate as 9600 } as const;
    return { id, link, handle, config: camera(transport, { address: 1 }) };
  }
  const handle = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0 });
  return { id, link, handle, config: camera({ type: "udp", host: "127.0.0.1", port: handle.port }, {}) };
}

/** Writes the site file (JSON is YAML) after validating it; returns its path. */
export function writeSiteFile(dir: string, site: SiteConfigInput): string {
  const parsed = siteConfigSchema.safeParse(site);
  if (!parsed.success) throw new Error(`bench site file is invalid: ${parsed.error.message}`);
  const file = path.join(dir, "site.yaml");
  writeFileSync(file, `${JSON.stringify(site, null, 2)}\n`);
  return file;
}

/** A scratch directory for ptys, the site file and the agent's state; removed by `cleanup`. */
export function scratchDir(name: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `roomgate-${name}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
