/**
 * Power-cycling a device through MQTT (issue 7): the camera is fed by a relay of the simulated
 * Firmata board (`roomgate sim` wiring: relay off = the camera simulator goes dark). The operator's
 * `device.powercycle` opens the relay, the camera's health goes away, the relay closes, and the
 * camera's health comes back; the answer says so. The board's over-temperature becomes an alarm.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { Agent } from "../agent/agent.js";
import { siteConfigSchema, type SiteConfig } from "../config/site.js";
import { startSiteSimulators, type SiteSimulators } from "../simulators/site.js";
import { freePort } from "./helpers/net.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";

const SITE = "district-11";
const T = `roomgate/v1/${SITE}`;
let dir: string;
let broker: RunningBroker;
let sims: SiteSimulators;
let agent: Agent;
let ops: Watcher;

async function command(device: string | undefined, action: string, args: Record<string, unknown>, id: string): Promise<any> {
  return ops.command(T, "op-minh", { id, ...(device ? { device } : {}), action, args }, 20_000);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "roomgate-power-"));
  const logger = memoryLogger();
  broker = await startBroker({ host: "127.0.0.1", port: 0, logger });
  const camPort = await freePort();
  const config: SiteConfig = siteConfigSchema.parse({
    site: SITE,
    broker: { url: broker.url },
    agent: { pollIntervalMs: 300, commandTimeoutMs: 15_000 },
    devices: {
      cam: {
        kind: "camera", protocol: "visca",
        transport: { type: "udp", host: "127.0.0.1", port: camPort },
        options: { ackTimeoutMs: 300, inquiryTimeoutMs: 300 },
        power: { device: "gpio", relay: "cam-power" },
        simulator: { enabled: true, options: { bootMs: 0 } },
      },
      gpio: {
        kind: "gpio", protocol: "firmata",
        transport: { type: "serial", path: path.join(dir, "gpio"), baudRate: 57600 },
        options: { pins: { "cam-power": { relay: 7, type: "NO" }, "rack-temp": { thermometer: "A0", model: "LM35", overC: 45 } } },
        simulator: { enabled: true, options: { sensors: { A0: "LM35" }, temperatures: { A0: 28 } } },
      },
    },
  });
  sims = await startSiteSimulators(config, logger);
  ops = await Watcher.connect(broker.url, `${T}/#`);
  agent = new Agent({ config, logger, version: "0.0.0-test", bootSeq: 3, mqttBackoff: { initialMs: 50, maxMs: 300 } });
  await agent.start();
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  await ops?.close();
  await sims?.close();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("power-cycle through a relay, seen from MQTT", () => {
  it("the camera's health goes away and comes back, and the answer reports it", async () => {
    await ops.waitFor((m) => m.topic === `${T}/dev/gpio/health` && m.json.status === "ok", 20_000, "gpio ok");
    await ops.waitFor((m) => m.topic === `${T}/dev/cam/health` && m.json.status === "ok", 20_000, "cam ok");
    const mark = ops.seen.length;
    const r = await command(undefined, "device.powercycle", { device: "cam", offMs: 2500 }, "pc-1");
    expect(r).toMatchObject({ status: "ok", data: { device: "cam", relay: "gpio/cam-power", wentDown: true } });
    const down = ops.seen.slice(mark).findIndex((m) => m.topic === `${T}/dev/cam/health` && m.json.status === "unreachable");
    expect(down).toBeGreaterThanOrEqual(0);
    await ops.waitFor((m) => m.topic === `${T}/dev/cam/health` && m.json.status === "ok", 15_000, "cam ok again", mark + down);
    expect(agent.health("cam")?.status).toBe("ok");
  });

  it("a device without a power relay is refused with the reason", async () => {
    const r = await command(undefined, "device.powercycle", { device: "gpio" }, "pc-2");
    expect(r).toMatchObject({ status: "error", error: { code: "invalid_args" } });
  });

  it("the rack getting hot raises an over_temperature alarm, and it clears when it cools", async () => {
    const mark = ops.seen.length;
    expect(await sims.control("temp gpio A0 52")).not.toMatch(/refused|unknown/);
    const alarm = await ops.waitFor((m) => m.topic === `${T}/alarm/gpio-over-temperature` && m.raw !== "", 10_000, "over_temperature alarm", mark);
    expect(alarm.json).toMatchObject({ code: "over_temperature", device: "gpio" });
    await sims.control("temp gpio A0 30");
    await ops.waitFor((m) => m.topic === `${T}/alarm/gpio-over-temperature` && m.raw === "", 10_000, "alarm cleared", mark);
  });
});
