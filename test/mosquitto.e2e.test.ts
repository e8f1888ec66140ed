/**
 * The agent, unchanged, against Mosquitto (MQTT 3.1.1): birth, commands, and retained state
 * republished after Mosquitto restarts without persistence.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import { siteConfigSchema } from "../config/site.js";
import { startViscaSimulator } from "../simulators/visca/index.js";
import type { UdpCameraHandle } from "../simulators/visca/index.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";
import { Mosquitto } from "./helpers/mosquitto.js";
import { freePort } from "./helpers/net.js";
import { describeWith } from "./helpers/tools.js";

const SITE = "commune-12";
const T = `roomgate/v1/${SITE}`;

describeWith("mosquitto")("the agent against Mosquitto", () => {
  let mosq: Mosquitto;
  let cam: UdpCameraHandle;
  let agent: Agent;
  let ops: Watcher;

  beforeAll(async () => {
    mosq = new Mosquitto(await freePort());
    await mosq.start();
    cam = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, recallMs: 100 });
    const config = siteConfigSchema.parse({
      site: SITE,
      region: ["province", "district-03", SITE],
      broker: { url: mosq.url },
      agent: { pollIntervalMs: 300, commandTimeoutMs: 5000 },
      devices: {
        cam: {
          kind: "camera", protocol: "visca",
          transport: { type: "udp", host: "127.0.0.1", port: cam.port },
          options: { ackTimeoutMs: 500, inquiryTimeoutMs: 500 },
        },
      },
    });
    ops = await Watcher.connect(mosq.url, `${T}/#`);
    agent = new Agent({ config, logger: memoryLogger(), version: "0.0.0-test", bootSeq: 3, mqttBackoff: { initialMs: 50, maxMs: 300 } });
    await agent.start();
  }, 20_000);

  afterAll(async () => {
    await agent?.stop();
    await ops?.close();
    await cam?.close();
    await mosq?.dispose();
  });

  it("is born on Mosquitto and reports its camera ok", async () => {
    const birth = await ops.waitFor((m) => m.topic === `${T}/agent/state`);
    expect(birth.json).toMatchObject({ state: "online", bootSeq: 3 });
    await ops.waitFor((m) => m.topic === `${T}/dev/cam/health` && m.json.status === "ok");
  });

  it("answers a command sent through Mosquitto", async () => {
    const mark = ops.seen.length;
    await ops.publish(`${T}/cmd/op-chi`, { id: "m1", device: "cam", action: "position", args: { pan: -400, tilt: 200 } });
    const res = await ops.waitFor((m) => m.topic === `${T}/res/op-chi` && m.json.id === "m1", 10_000, "response", mark);
    expect(res.json.status).toBe("ok");
    expect(cam.camera.position()).toMatchObject({ pan: -400, tilt: 200 });
  });

  it("republishes its retained topics after Mosquitto restarts empty", async () => {
    await ops.close();
    await mosq.stop();
    await mosq.start();
    ops = await Watcher.connect(mosq.url, `${T}/#`);
    const birth = await ops.waitFor((m) => m.topic === `${T}/agent/state` && m.json.state === "online", 10_000, "birth after restart");
    expect(birth.json.bootSeq).toBe(3);
    await ops.waitFor((m) => m.topic === `${T}/dev/cam/state` && m.json.state.pan === -400);
    // A monitoring script that connects now finds everything retained in Mosquitto.
    const late = await Watcher.connect(mosq.url, `${T}/#`);
    try {
      await late.waitFor((m) => m.topic === `${T}/agent/state` && m.retain && m.json.state === "online");
      await late.waitFor((m) => m.topic === `${T}/agent/meta` && m.retain);
      await late.waitFor((m) => m.topic === `${T}/dev/cam/health` && m.retain && m.json.status === "ok");
    } finally {
      await late.close();
    }
  }, 20_000);
});
