/**
 * No message lost between publishers and a subscriber on the broker as `roomgate broker` runs it:
 * the on-disk store (LevelDB) answers retained writes out of order, and aedes' own dedupe then
 * dropped every message that reached the fan-out after a later one (broker/exact-dedupe.ts), and
 * without the ordered store steps (broker/ordered-store.ts) a topic's messages would arrive out of
 * order. A burst from many connections at once, as a fleet reconnecting after a WAN outage sends it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import type { PersistenceChoice } from "../broker/persistence.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { memoryLogger } from "./helpers/logger.js";

const PUBLISHERS = 20;
const EACH = 50;

const dirs: string[] = [];
const running: RunningBroker[] = [];
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true);
  for (const b of running.splice(0)) await b.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function connect(url: string, id: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { clientId: id, reconnectPeriod: 0 });
  clients.push(c);
  return c;
}

/**
 * Every publisher sends its messages at once; resolves with what the monitor got before the marker,
 * and each topic's payloads in the order they arrived.
 */
async function burst(persistence: PersistenceChoice, qos: 0 | 1): Promise<{ got: Set<string>; byTopic: Map<string, number[]> }> {
  const b = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger(), persistence });
  running.push(b);
  const monitor = await connect(b.url, "monitor");
  await monitor.subscribeAsync("fleet/#", { qos });
  const got = new Set<string>();
  const byTopic = new Map<string, number[]>();
  const marker = new Promise<void>((resolve) => {
    monitor.on("message", (topic, payload) => {
      if (topic === "fleet/end") resolve();
      else {
        got.add(`${topic} ${payload.toString()}`);
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), Number(payload.toString())]);
      }
    });
  });
  const publishers = await Promise.all(Array.from({ length: PUBLISHERS }, (_, i) => connect(b.url, `agent-${i}`)));
  await Promise.all(
    publishers.flatMap((p, i) => Array.from({ length: EACH }, (_, j) => p.publishAsync(`fleet/s${i}/dev/d${j % 10}/health`, `${j}`, { qos: 1, retain: true }))),
  );
  const last = await connect(b.url, "last");
  await last.publishAsync("fleet/end", "", { qos: 1 });
  await marker;
  return { got, byTopic };
}

/** Topics whose messages arrived in another order than their publisher sent them. */
function outOfOrder(byTopic: Map<string, number[]>): string[] {
  return [...byTopic].filter(([, seq]) => seq.some((v, i) => i > 0 && v < seq[i - 1]!)).map(([t, seq]) => `${t}: ${seq.join(" ")}`);
}

const expected = new Set(Array.from({ length: PUBLISHERS }, (_, i) => Array.from({ length: EACH }, (_, j) => `fleet/s${i}/dev/d${j % 10}/health ${j}`)).flat());

describe("a burst from many publishers reaches a subscriber whole", () => {
  it.each([
    ["on the on-disk store, QoS 1", 1],
    ["on the on-disk store, QoS 0", 0],
  ] as const)("%s", async (_name, qos) => {
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-delivery-"));
    dirs.push(dir);
    const { got, byTopic } = await burst({ type: "level", dir }, qos);
    expect([...expected].filter((m) => !got.has(m))).toEqual([]);
    expect(got.size).toBe(PUBLISHERS * EACH);
    // MQTT-4.6.0-5: one client's messages to a topic reach each subscriber in the order it sent them.
    expect(outOfOrder(byTopic)).toEqual([]);
  });

  it("on the memory store, QoS 1", async () => {
    const { got, byTopic } = await burst({ type: "memory" }, 1);
    expect(got.size).toBe(PUBLISHERS * EACH);
    expect(outOfOrder(byTopic)).toEqual([]);
  });
});
