/**
 * Audio through the agent (issue 5): an operator mutes a microphone on the Tesira DSP and on the X32
 * over MQTT; the retained state follows; a level changed at the desk or in the DSP's own UI arrives
 * as a pushed value; after a DSP reboot pushed values flow again with no operator action.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { Agent } from "../agent/agent.js";
import { siteConfigSchema } from "../config/site.js";
import { startTesiraSimulator, type TesiraSimHandle } from "../simulators/tesira/index.js";
import { startX32Simulator, runControl } from "../simulators/x32/index.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";

const SITE = "commune-44";
const T = `roomgate/v1/${SITE}`;
let broker: RunningBroker;
let dsp: TesiraSimHandle;
let x32: Awaited<ReturnType<typeof startX32Simulator>>;
let agent: Agent;
let ops: Watcher;

async function command(device: string, action: string, args: Record<string, unknown>, id: string): Promise<any> {
  return ops.command(T, "op-hoa", { id, device, action, args });
}

const state = (device: string, match: (s: any) => boolean, what: string, from = 0) =>
  ops.waitFor((m) => m.topic === `${T}/dev/${device}/state` && match(m.json.state), 12_000, what, from);

beforeAll(async () => {
  const logger = memoryLogger();
  broker = await startBroker({ host: "127.0.0.1", port: 0, logger });
  dsp = await startTesiraSimulator({ link: "tcp", host: "127.0.0.1", port: 0, bootMs: 300 });
  x32 = await startX32Simulator({ host: "127.0.0.1", port: 0 });
  const config = siteConfigSchema.parse({
    site: SITE,
    broker: { url: broker.url },
    agent: { pollIntervalMs: 500 },
    devices: {
      dsp: {
        kind: "audio", protocol: "tesira",
        transport: { type: "tcp", host: "127.0.0.1", port: dsp.port },
        options: { channels: { mics: { mute: { tag: "MicMute", index: 1 }, level: { tag: "MicLevel", index: 1 } } }, pushIntervalMs: 200, timeoutMs: 1000 },
      },
      mixer: {
        kind: "audio", protocol: "x32",
        transport: { type: "udp", host: "127.0.0.1", port: x32.port },
        options: { channels: { "lectern-mic": { path: "/ch/01" } }, pushIntervalMs: 200 },
      },
    },
  });
  ops = await Watcher.connect(broker.url, `${T}/#`);
  agent = new Agent({ config, logger, version: "0.0.0-test", bootSeq: 8, mqttBackoff: { initialMs: 50, maxMs: 300 } });
  await agent.start();
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  await ops?.close();
  await dsp?.close();
  await x32?.close();
  await broker?.close();
});

describe("audio, seen from MQTT", () => {
  it("mutes the microphones on both the DSP and the mixer with the same command; retained state follows", async () => {
    for (const [device, channel] of [["dsp", "mics"], ["mixer", "lectern-mic"]] as const) {
      await ops.waitFor((m) => m.topic === `${T}/dev/${device}/health` && m.json.status === "ok", 12_000, `${device} ok`);
      expect(await command(device, "mute.set", { channel, on: true }, `${device}-mute`)).toMatchObject({ status: "ok" });
      await state(device, (s) => s.channels?.[channel]?.muted === true, `${device} ${channel} muted`);
      const bad = await command(device, "level.set", { channel, db: 40 }, `${device}-loud`);
      expect(bad).toMatchObject({ status: "rejected", error: { code: "invalid_args" } });
    }
    expect(dsp.dsp.block("MicMute").mutes[0]).toBe(true);
    expect(x32.mixer.get("/ch/01/mix/on")).toMatchObject({ value: 0 });
  });

  it("a level changed outside roomgate arrives as a pushed value, on the DSP and at the desk", async () => {
    const mark = ops.seen.length;
    dsp.control("level", ["MicLevel", "1", "-23"]);
    await state("dsp", (s) => s.channels?.mics?.levelDb === -23, "dsp pushed level -23", mark);
    runControl(x32, "change", ["1", "-12"]);
    await state("mixer", (s) => Math.abs((s.channels?.["lectern-mic"]?.levelDb ?? 99) + 12) < 0.5, "x32 pushed level -12", mark);
  });

  it("after a DSP reboot, pushed values flow again without an operator", async () => {
    dsp.control("reboot", ["300"]);
    await ops.next((m) => m.topic === `${T}/event` && m.json.type === "driver" && m.json.data?.type === "dsp_rebooted", 12_000, "dsp_rebooted");
    const mark = ops.seen.length;
    dsp.control("level", ["MicLevel", "1", "-31"]);
    await state("dsp", (s) => s.channels?.mics?.levelDb === -31, "dsp pushed level -31 after reboot", mark);
  });
});
