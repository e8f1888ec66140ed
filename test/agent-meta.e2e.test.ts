/**
 * The agent's own actions, learnt from the contract alone: a script reads the retained
 * `agent/meta`, finds `agent.actions` (each with the JSON Schema of its args and an example), and
 * can call every one of them without `device`. What meta lists is exactly what the agent accepts;
 * each listed schema says yes and no where the agent does. A module that fails to start is logged
 * and left out while the rest work; two modules claiming one action stop the agent from starting.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { Agent } from "../agent/agent.js";
import type { AgentModule } from "../agent/module.js";
import { ModuleConflictError } from "../agent/module.js";
import { AgentMetaSchema } from "../agent/topics.js";
import { siteConfigSchema, type SiteConfig } from "../config/site.js";
import { startViscaSimulator, type UdpCameraHandle } from "../simulators/visca/index.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";

const SITE = "district-21";
const T = `roomgate/v1/${SITE}`;
let broker: RunningBroker;
let cam: UdpCameraHandle;
let agent: Agent;
let ops: Watcher;
let config: SiteConfig;
const logger = memoryLogger();
let brokenStopped = 0;

/** A module whose start throws: the agent logs it, leaves its action out, and carries on. */
const broken: AgentModule = {
  name: "broken",
  actions: () => ({ "broken.run": { description: "Never offered.", args: z.strictObject({}), run: async () => ({}) } }),
  start: async () => {
    throw new Error("relay board not configured");
  },
  stop: async () => {
    brokenStopped++;
  },
};

async function command(action: string, args: unknown, id: string): Promise<any> {
  return ops.command(T, "op-lan", { id, action, args }, 15_000);
}

/** What a script that connects now reads: the retained meta. */
async function retainedMeta(): Promise<z.output<typeof AgentMetaSchema>> {
  const script = await Watcher.connect(broker.url, `${T}/agent/meta`);
  const m = await script.waitFor((s) => s.topic === `${T}/agent/meta`, 10_000, "agent/meta").finally(() => script.close());
  expect(m.retain).toBe(true);
  const parsed = AgentMetaSchema.safeParse(m.json);
  expect(parsed.success, parsed.success ? "" : parsed.error.message).toBe(true);
  return parsed.data!;
}

beforeAll(async () => {
  broker = await startBroker({ host: "127.0.0.1", port: 0, logger });
  cam = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, bootMs: 0 });
  config = siteConfigSchema.parse({
    site: SITE,
    broker: { url: broker.url },
    agent: { pollIntervalMs: 500 },
    readiness: { deadlineMs: 3000 },
    rooms: { "main-hall": { profile: { devices: { "cam-main": { power: "on" } } } } },
    devices: {
      "cam-main": {
        kind: "camera", protocol: "visca", room: "main-hall",
        transport: { type: "udp", host: "127.0.0.1", port: cam.port },
        options: { ackTimeoutMs: 400, inquiryTimeoutMs: 400 },
      },
    },
  });
  ops = await Watcher.connect(broker.url, `${T}/#`);
  agent = new Agent({ config, logger, version: "0.0.0-test", bootSeq: 4, mqttBackoff: { initialMs: 50, maxMs: 300 }, modules: [broken] });
  await agent.start();
  await ops.waitFor((m) => m.topic === `${T}/dev/cam-main/health` && m.json.status === "ok", 10_000, "cam-main ok");
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  await ops?.close();
  await cam?.close();
  await broker?.close();
});

describe("the agent's own actions in agent/meta", () => {
  it("lists exactly the actions the agent accepts without a device", async () => {
    const listed = Object.keys((await retainedMeta()).agent?.actions ?? {}).sort();
    expect(listed).toEqual([
      "alarm.ack", "alarm.list", "device.powercycle", "discover", "ping", "readiness.last", "readiness.run", "rebirth",
      "scene.list", "scene.run", "session.end", "session.resume", "session.start", "session.status",
    ]);
    // docs/topics.md's table of agent actions names every one.
    const doc = readFileSync(new URL("../docs/topics.md", import.meta.url), "utf8");
    for (const action of listed) expect(doc, `docs/topics.md names ${action}`).toContain(`\`${action}\``);
    // A name meta does not list is unknown_action, and the agent's own list of known actions is meta's.
    const unknown = await command("no.such.action", {}, "unlisted");
    expect(unknown).toMatchObject({ status: "error", error: { code: "unknown_action" } });
    const known = /known: (.*)$/.exec(unknown.error.message)?.[1]?.split(", ");
    expect(known).toEqual(listed);
    // Every listed one is routed to its module: with args it cannot take it is rejected, not unknown.
    for (const action of listed) {
      const r = await command(action, { "no-such-arg": true }, `known-${action}`);
      expect(r, action).toMatchObject({ status: "rejected", error: { code: "invalid_args" } });
    }
  });

  it("each listed args schema takes its documented example and refuses what the agent rejects", async () => {
    const meta = await retainedMeta();
    for (const [action, spec] of Object.entries(meta.agent!.actions)) {
      expect(spec.description, action).not.toBe("");
      const schema = z.fromJSONSchema(spec.args as Parameters<typeof z.fromJSONSchema>[0]);
      const example = (spec.args.examples as unknown[] | undefined)?.[0];
      expect(example, `${action} documents an example`).toBeDefined();
      expect(schema.safeParse(example).success, `${action} schema takes ${JSON.stringify(example)}`).toBe(true);
      const answer = await command(action, example, `example-${action}`);
      expect(answer.status, `${action} ${JSON.stringify(example)}: ${JSON.stringify(answer.error)}`).not.toBe("rejected");
      for (const bad of [{ "no-such-arg": true }, "not-an-object"]) {
        expect(schema.safeParse(bad).success, `${action} schema refuses ${JSON.stringify(bad)}`).toBe(false);
      }
    }
    // A wrong type where the schema says integer: refused by the listed schema and by the agent alike.
    const pc = z.fromJSONSchema(meta.agent!.actions["device.powercycle"]!.args as Parameters<typeof z.fromJSONSchema>[0]);
    expect(pc.safeParse({ device: "cam-main", offMs: "3s" }).success).toBe(false);
    expect(await command("device.powercycle", { device: "cam-main", offMs: "3s" }, "pc-bad")).toMatchObject({
      status: "rejected", error: { code: "invalid_args", details: { issues: [expect.objectContaining({ path: ["offMs"] })] } },
    });
  });

  it("a module that fails to start is logged and left out; the others answer", async () => {
    expect(logger.records).toContainEqual(expect.objectContaining({ level: "error", obj: expect.objectContaining({ module: "broken" }), msg: expect.stringContaining("failed to start") }));
    expect(brokenStopped).toBe(1);
    expect(await command("broken.run", {}, "broken")).toMatchObject({ status: "error", error: { code: "unknown_action" } });
    expect(await command("ping", {}, "ping")).toMatchObject({ status: "ok", data: { pong: true, bootSeq: 4 } });
    expect(await command("readiness.run", {}, "check")).toMatchObject({ status: "ok", data: { result: "pass", rooms: ["main-hall"] } });
  });

  it("two modules declaring one action: the agent does not start, and the error names both", async () => {
    const site = "district-22";
    const watch = await Watcher.connect(broker.url, `roomgate/v1/${site}/#`);
    try {
      const dup: AgentModule = {
        name: "codec-interlock",
        actions: () => ({ "alarm.ack": { description: "Clashes with the alarms module.", args: z.strictObject({}), run: async () => ({}) } }),
        start: async () => undefined,
        stop: async () => undefined,
      };
      const second = new Agent({ config: { ...config, site, devices: {}, rooms: {} }, logger, version: "0.0.0-test", bootSeq: 1, modules: [dup] });
      const err = await second.start().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ModuleConflictError);
      expect(err).toMatchObject({ code: "duplicate_action", action: "alarm.ack", modules: ["alarms", "codec-interlock"] });
      expect((err as Error).message).toMatch(/alarms.*codec-interlock/);
      // Refused before the MQTT session started: no birth, no meta, nothing on the broker.
      expect(second.mqttConnected).toBe(false);
      expect(watch.seen.map((m) => m.topic)).toEqual([]);
      await second.stop();
    } finally {
      await watch.close();
    }
  });
});
