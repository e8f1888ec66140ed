/**
 * Power-cycling a PoE camera through the room's access switch, seen from MQTT (issue 22 point 3):
 * the camera's `power` names a switch port, `device.powercycle` runs the switch's port.powercycle,
 * the simulated camera goes dark while its port delivers no power (`roomgate sim` wiring) and comes
 * back. A port flap raises the retained `{switch}-{port}-down` alarm from the trap, and clears it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

const SITE = "district-12";
const T = `roomgate/v1/${SITE}`;
let dir: string;
let broker: RunningBroker;
let sims: SiteSimulators;
let agent: Agent;
let ops: Watcher;

async function command(action: string, args: Record<string, unknown>, id: string, device?: string): Promise<any> {
  return ops.command(T, "op-lan", { id, ...(device ? { device } : {}), action, args }, 20_000);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "roomgate-poe-"));
  writeFileSync(path.join(dir, "community"), "e2e-community\n", { mode: 0o600 });
  const logger = memoryLogger();
  broker = await startBroker({ host: "127.0.0.1", port: 0, logger });
  const [camPort, switchPort, trapPort] = [await freePort(), await freePort(), await freePort()];
  const config: SiteConfig = siteConfigSchema.parse({
    site: SITE,
    broker: { url: broker.url },
    agent: { pollIntervalMs: 300, commandTimeoutMs: 15_000 },
    devices: {
      cam: {
        kind: "camera", protocol: "visca",
        transport: { type: "udp", host: "127.0.0.1", port: camPort },
        options: { ackTimeoutMs: 300, inquiryTimeoutMs: 300 },
        power: { device: "access-switch", port: "cam-main" },
        simulator: { enabled: true, options: { bootMs: 0 } },
      },
      "access-switch": {
        kind: "switch", protocol: "snmp",
        transport: { type: "udp", host: "127.0.0.1", port: switchPort },
        options: { communityFile: path.join(dir, "community"), ports: { "cam-main": 5, codec: 7, uplink: { ifIndex: 24, protected: true } }, trapPort, trapAddress: "127.0.0.1", timeoutMs: 500, statusWatchMs: 50 },
        simulator: {
          enabled: true,
          options: {
            communities: ["e2e-community"],
            ports: { "cam-main": { ifIndex: 5, neighbour: "cam" }, codec: { ifIndex: 7, neighbour: "codec" }, uplink: { ifIndex: 24, poe: false, neighbour: "core" } },
            trapTarget: { host: "127.0.0.1", port: trapPort },
            detectMs: 100,
            bootMs: 100,
          },
        },
      },
    },
  });
  sims = await startSiteSimulators(config, logger);
  ops = await Watcher.connect(broker.url, `${T}/#`);
  agent = new Agent({ config, logger, version: "0.0.0-test", bootSeq: 4, stateDir: path.join(dir, "state"), mqttBackoff: { initialMs: 50, maxMs: 300 } });
  await agent.start();
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  await ops?.close();
  await sims?.close();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("power-cycle through a switch port, seen from MQTT", () => {
  it("the camera goes dark while its PoE port is off and comes back; the answer names the port", async () => {
    await ops.waitFor((m) => m.topic === `${T}/dev/access-switch/health` && m.json.status === "ok", 20_000, "switch ok");
    await ops.waitFor((m) => m.topic === `${T}/dev/cam/health` && m.json.status === "ok", 20_000, "cam ok");
    const mark = ops.seen.length;
    const r = await command("device.powercycle", { device: "cam", offMs: 2500 }, "pc-1");
    expect(r).toMatchObject({ status: "ok", data: { device: "cam", port: "access-switch/cam-main", wentDown: true } });
    const down = ops.seen.slice(mark).findIndex((m) => m.topic === `${T}/dev/cam/health` && m.json.status === "unreachable");
    expect(down).toBeGreaterThanOrEqual(0);
    await ops.waitFor((m) => m.topic === `${T}/dev/cam/health` && m.json.status === "ok", 15_000, "cam ok again", mark + down);
    // A deliberate cycle is no link alarm.
    expect(ops.seen.slice(mark).some((m) => m.topic === `${T}/alarm/access-switch-cam-main-down` && m.raw !== "")).toBe(false);
  });

  it("the uplink is protected: a power-cycle is refused with the reason", async () => {
    const r = await command("port.powercycle", { port: "uplink", offMs: 1000 }, "pc-2", "access-switch");
    expect(r).toMatchObject({ status: "error", error: { code: "invalid_args", message: expect.stringMatching(/protected/) } });
  });

  it("a port flap raises the retained {switch}-{port}-down alarm, and the link back clears it", async () => {
    const mark = ops.seen.length;
    expect(await sims.control("flap access-switch codec 1500")).not.toMatch(/refused|unknown/);
    const alarm = await ops.waitFor((m) => m.topic === `${T}/alarm/access-switch-codec-down` && m.raw !== "", 5000, "codec-down alarm", mark);
    expect(alarm.json).toMatchObject({ code: "codec-down", device: "access-switch", severity: "major" });
    await ops.waitFor((m) => m.topic === `${T}/alarm/access-switch-codec-down` && m.raw === "", 10_000, "alarm cleared", mark);
  });
});
