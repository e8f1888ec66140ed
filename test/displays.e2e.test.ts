/**
 * LED wall and displays through the agent (issue 4): an operator switches the NovaStar LED wall's
 * input and blanks one Samsung display of a daisy chain over MQTT; the devices change (read from
 * the simulators) and the retained state follows. A display's fan fault shows as degraded health.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { Agent } from "../agent/agent.js";
import { siteConfigSchema } from "../config/site.js";
import { startNovastarSimulator, type NovastarSimHandle } from "../simulators/novastar/index.js";
import { startSamsungMdcSimulator, type MdcSimHandle } from "../simulators/samsung-mdc/index.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";

const SITE = "district-03";
const T = `roomgate/v1/${SITE}`;
let dir: string;
let broker: RunningBroker;
let led: NovastarSimHandle;
let mdc: MdcSimHandle;
let agent: Agent;
let ops: Watcher;

async function command(device: string, action: string, args: Record<string, unknown>, id: string): Promise<any> {
  return ops.command(T, "op-binh", { id, device, action, args });
}

const stateOf = (device: string, match: (s: any) => boolean, what: string) =>
  ops.waitFor((m) => m.topic === `${T}/dev/${device}/state` && m.retain !== undefined && match(m.json.state), 10_000, what);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "roomgate-displays-"));
  const logger = memoryLogger();
  broker = await startBroker({ host: "127.0.0.1", port: 0, logger });
  led = await startNovastarSimulator({ link: "tcp", host: "127.0.0.1", port: 0, model: "mctrl4k" });
  mdc = await startSamsungMdcSimulator({ link: "serial", devicePath: path.join(dir, "displays"), baudRate: 9600, displays: [1, 2], bootMs: 200 });
  const config = siteConfigSchema.parse({
    site: SITE,
    broker: { url: broker.url },
    agent: { pollIntervalMs: 300 },
    devices: {
      "led-wall": {
        kind: "ledwall", protocol: "novastar",
        transport: { type: "tcp", host: "127.0.0.1", port: led.port },
        options: { model: "mctrl4k", timeoutMs: 800 },
      },
      "side-displays": {
        kind: "display", protocol: "mdc",
        transport: { type: "serial", path: path.join(dir, "displays"), baudRate: 9600 },
        options: { displays: { left: 1, right: 2 }, timeoutMs: 1500, bootMs: 1000 },
      },
    },
  });
  ops = await Watcher.connect(broker.url, `${T}/#`);
  agent = new Agent({ config, logger, version: "0.0.0-test", bootSeq: 5, mqttBackoff: { initialMs: 50, maxMs: 300 } });
  await agent.start();
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  await ops?.close();
  await led?.close();
  await mdc?.close();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("LED wall and displays, seen from MQTT", () => {
  it("switches the LED wall to the codec input and sets its brightness; retained state follows", async () => {
    await ops.waitFor((m) => m.topic === `${T}/dev/led-wall/health` && m.json.status === "ok", 10_000, "led-wall ok");
    expect(await command("led-wall", "input.select", { input: "dp" }, "l1")).toMatchObject({ status: "ok" });
    expect(await command("led-wall", "brightness.set", { percent: 40 }, "l2")).toMatchObject({ status: "ok" });
    expect(led.controller.input).toBe("dp");
    expect(led.controller.brightness).toBe(Math.round((40 * 255) / 100));
    await stateOf("led-wall", (s) => s.input === "dp" && s.brightness === 40, "led-wall state dp/40%");
    const bad = await command("led-wall", "input.select", { input: "sdi" }, "l3");
    expect(bad).toMatchObject({ status: "error", error: { code: "invalid_args" } });
    expect(bad.error.message).toMatch(/dp/);
  });

  it("blanks one display of the chain, leaves the other, and reports mixed at the top level", async () => {
    await ops.waitFor((m) => m.topic === `${T}/dev/side-displays/health` && m.json.status === "ok", 15_000, "displays ok");
    expect(await command("side-displays", "blank.set", { on: true, display: "right" }, "d1")).toMatchObject({ status: "ok" });
    expect(mdc.display(2).blanked).toBe(true);
    expect(mdc.display(1).blanked).toBe(false);
    const st = await stateOf("side-displays", (s) => s.displays?.right?.blanked === true, "right blanked");
    expect(st.json.state.displays.left.blanked).toBe(false);
    expect(st.json.state.blanked).toBe("mixed");
    expect(await command("side-displays", "input.select", { input: "hdmi2" }, "d2")).toMatchObject({ status: "ok" });
    await stateOf("side-displays", (s) => s.input === "hdmi2", "both on hdmi2");
  });

  it("a fan failure on one display makes the device degraded with code fan_fault, and clears", async () => {
    mdc.control("fan", ["on", "1"]);
    const degraded = await ops.waitFor((m) => m.topic === `${T}/dev/side-displays/health` && m.json.status === "degraded", 15_000, "degraded");
    expect(degraded.json.code).toBe("fan_fault");
    const mark = ops.seen.length;
    mdc.control("fan", ["off", "1"]);
    await ops.waitFor((m) => m.topic === `${T}/dev/side-displays/health` && m.json.status === "ok", 15_000, "ok again", mark);
  });
});
