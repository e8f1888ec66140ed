/**
 * The agent, unchanged, with its own credentials (site file `broker.username` / `password`) on both
 * brokers holding the same users: it is born, serves an operator's command, and the audit names the
 * operator the broker verified. Wrong passwords and unknown users are refused with the same code, and
 * on aedes no one else can take the agent's client id.
 */
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import { matrixUsers, passwordOf } from "../broker/acl.cases.js";
import { startBroker } from "../broker/server.js";
import { siteConfigSchema } from "../config/site.js";
import { startViscaSimulator, type UdpCameraHandle } from "../simulators/visca/index.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";
import { startMosquittoWithPolicy } from "./helpers/mosquitto.js";
import { describeWith } from "./helpers/tools.js";

const T = "roomgate/v1/s1";

/** CONNACK code of a refused connection (mqtt.js puts it on the error), or 0 when accepted. */
async function connackCode(url: string, username: string, password: string, clientId = `probe-${Math.random().toString(16).slice(2, 8)}`): Promise<number> {
  try {
    const c = await mqtt.connectAsync(url, { username, password, clientId, protocolVersion: 4, reconnectPeriod: 0 });
    await c.endAsync(true);
    return 0;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

/** `suite`: describe, or describeWith(the broker's tool). */
function agentSuite(name: "aedes" | "mosquitto", suite: (name: string, fn: () => void) => void, start: () => Promise<{ url: string; stop: () => Promise<void> }>) {
  suite(`an agent with credentials on ${name}`, () => {
    let url: string;
    let stop: () => Promise<void>;
    let cam: UdpCameraHandle;
    let agent: Agent;
    let root: Watcher;
    let op: Watcher;

    beforeAll(async () => {
      ({ url, stop } = await start());
      cam = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, recallMs: 100 });
      const withUser = (u: string) => `mqtt://${u}:${passwordOf(u)}@${new URL(url).host}`;
      root = await Watcher.connect(withUser("root"), `${T}/#`);
      op = await Watcher.connect(withUser("op-1"), `${T}/res/op-1`);
      const config = siteConfigSchema.parse({
        site: "s1",
        region: ["s1"],
        broker: { url, username: "agent-s1", password: passwordOf("agent-s1") },
        agent: { pollIntervalMs: 300, commandTimeoutMs: 5000 },
        devices: {
          cam: {
            kind: "camera", protocol: "visca",
            transport: { type: "udp", host: "127.0.0.1", port: cam.port },
            options: { ackTimeoutMs: 500, inquiryTimeoutMs: 500 },
          },
        },
      });
      agent = new Agent({ config, logger: memoryLogger(), version: "0.0.0-test", bootSeq: 5, mqttBackoff: { initialMs: 50, maxMs: 300 } });
      await agent.start();
    }, 15_000);

    afterAll(async () => {
      await agent?.stop();
      await op?.close();
      await root?.close();
      await cam?.close();
      await stop?.();
    });

    it("is born and serves op-1's command; the audit names op-1", async () => {
      await root.waitFor((m) => m.topic === `${T}/agent/state` && m.json?.state === "online" && m.json.bootSeq === 5);
      await root.waitFor((m) => m.topic === `${T}/dev/cam/health` && m.json?.status === "ok");
      await op.publish(`${T}/cmd/op-1`, { id: "acl-1", device: "cam", action: "position", args: { pan: 300, tilt: -100 } });
      const res = await op.waitFor((m) => m.topic === `${T}/res/op-1` && m.json?.id === "acl-1", 8000, "response");
      expect(res.json.status).toBe("ok");
      expect(cam.camera.position()).toMatchObject({ pan: 300, tilt: -100 });
      const audit = await root.waitFor((m) => m.topic === `${T}/event` && m.json?.type === "command" && m.json.data?.id === "acl-1");
      expect(audit.json.data).toMatchObject({ user: "op-1", device: "cam", action: "position", status: "ok" });
    });

    it("refuses a wrong password and an unknown user with the same CONNACK code (5, not authorized)", async () => {
      expect(await connackCode(url, "op-1", "wrong")).toBe(5);
      expect(await connackCode(url, "nobody", "wrong")).toBe(5);
      expect(await connackCode(url, "op-1", passwordOf("op-1"))).toBe(0);
    });

    if (name === "aedes") {
      it("keeps the agent's client id from everyone else (identifier rejected) and the agent stays online", async () => {
        expect(await connackCode(url, "op-1", passwordOf("op-1"), "roomgate-agent-s1")).toBe(2);
        const mark = root.seen.length;
        await op.publish(`${T}/cmd/op-1`, { id: "acl-2", action: "rebirth" });
        const res = await op.waitFor((m) => m.json?.id === "acl-2", 8000, "response to rebirth");
        expect(res.json.status).toBe("ok");
        // No "lost" will was published: the agent was never kicked off.
        expect(root.seen.slice(mark).some((m) => m.topic === `${T}/agent/state` && m.json?.state === "lost")).toBe(false);
      });
    }
  });
}

agentSuite("aedes", describe, async () => {
  const broker = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger(), auth: { users: await matrixUsers() } });
  return { url: broker.url, stop: () => broker.close() };
});

agentSuite("mosquitto", describeWith("mosquitto"), async () => {
  const mosq = await startMosquittoWithPolicy({ users: await matrixUsers() });
  return { url: mosq.url, stop: () => mosq.dispose() };
});
