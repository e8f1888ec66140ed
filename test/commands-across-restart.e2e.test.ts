/**
 * Commands across outages (issue 9, item 2): a command sent while the agent is away is not queued
 * for it and silently run when it comes back (the agent's MQTT session is clean), and a command
 * whose expiresAt has passed is answered `expired`, never run.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startBroker } from "../broker/server.js";
import { Agent } from "../agent/agent.js";
import { siteConfigSchema } from "../config/site.js";
import { startViscaSimulator } from "../simulators/visca/index.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";

const SITE = "commune-12";
const T = `roomgate/v1/${SITE}`;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("commands across an agent restart", () => {
  it("never runs a command that was sent while the agent was away; answers late ones `expired`", async () => {
    const logger = memoryLogger();
    const broker = await startBroker({ host: "127.0.0.1", port: 0, logger });
    cleanups.push(() => broker.close());
    const cam = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, recallMs: 100, bootMs: 0 });
    cleanups.push(() => cam.close());
    const config = siteConfigSchema.parse({
      site: SITE,
      broker: { url: broker.url },
      agent: { pollIntervalMs: 250 },
      devices: {
        cam: {
          kind: "camera", protocol: "visca",
          transport: { type: "udp", host: "127.0.0.1", port: cam.port },
          options: { ackTimeoutMs: 400, inquiryTimeoutMs: 400 },
        },
      },
    });
    // What the broker learns from the agent's CONNECT: a clean session, so it queues nothing for it.
    const sessions: boolean[] = [];
    broker.aedes.on("client", (c: { id: string; clean?: boolean }) => {
      if (c.id === `roomgate-agent-${SITE}`) sessions.push(c.clean === true);
    });
    const ops = await Watcher.connect(broker.url, `${T}/#`);
    cleanups.push(() => ops.close());
    const start = async (bootSeq: number): Promise<Agent> => {
      const mark = ops.seen.length;
      const agent = new Agent({ config, logger, version: "0.0.0-test", bootSeq, mqttBackoff: { initialMs: 50, maxMs: 300 } });
      await agent.start();
      const online = (m: { topic: string; json: any }) => m.topic === `${T}/agent/state` && m.json.bootSeq === bootSeq && m.json.state === "online";
      await ops.waitFor(online, 8000, `birth ${bootSeq}`, mark);
      return agent;
    };

    const first = await start(1);
    await first.stop();
    // While the agent is away, an operator (QoS 1) asks the camera to move.
    await ops.publish(`${T}/cmd/op-anna`, { id: "while-away", device: "cam", action: "position", args: { pan: 500, tilt: 100 } });
    const second = await start(2);
    cleanups.push(() => second.stop());
    // A command sent now is answered; the one sent while away never is, and the camera never moved.
    await ops.publish(`${T}/cmd/op-anna`, { id: "after", device: "cam", action: "home", args: {} });
    await ops.waitFor((m) => m.topic === `${T}/res/op-anna` && m.json.id === "after", 8000, "response to after");
    await ops.publish(`${T}/cmd/op-anna`, { id: "late", device: "cam", action: "position", args: { pan: 300, tilt: 0 }, expiresAt: Date.now() - 1 });
    const late = await ops.waitFor((m) => m.topic === `${T}/res/op-anna` && m.json.id === "late", 8000, "response to late");
    expect(late.json).toMatchObject({ status: "expired", error: { code: "expired" } });
    expect(ops.seen.filter((m) => m.topic === `${T}/res/op-anna` && m.json.id === "while-away")).toEqual([]);
    expect(cam.camera.position()).toMatchObject({ pan: 0, tilt: 0 });
    expect(sessions).toEqual([true, true]);
  });
});
