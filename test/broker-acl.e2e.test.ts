/**
 * The ACL matrix (broker/acl.cases.ts) over real MQTT, on both brokers a site may run:
 * aedes (`roomgate broker` with users) and Mosquitto started with the policy that
 * `roomgate broker acl --mosquitto` generates from the same users.
 *
 * What each broker does with a refusal differs, and the test says so row by row:
 * - a denied PUBLISH: aedes closes the publisher's connection, Mosquitto acknowledges and drops it;
 *   on both, a privileged watcher subscribed to `#` never sees it (checked after a fence message);
 * - a denied SUBSCRIBE: aedes answers 0x80 in SUBACK, Mosquitto grants it but delivers only what the
 *   user may read; on both, a probe the user may not read never reaches it.
 */
import mqtt from "mqtt";
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matrixUsers, passwordOf, PUBLISH_CASES, S, SUBSCRIBE_CASES, type MatrixUser } from "../broker/acl.cases.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { memoryLogger } from "./helpers/logger.js";
import { MOSQUITTO, startMosquittoWithPolicy } from "./helpers/mosquitto.js";

let seq = 0;
async function connectAs(url: string, user: string, clientId = user === "agent-s1" ? "roomgate-agent-s1" : `t-${user}-${++seq}`): Promise<MqttClient & { got: string[] }> {
  const client = await mqtt.connectAsync(url, { username: user, password: passwordOf(user), clientId, protocolVersion: 4, reconnectPeriod: 0 });
  const got: string[] = [];
  client.on("message", (_t, payload) => got.push(payload.toString()));
  client.on("error", () => undefined); // a refused or closed connection is an outcome the test reads, not a crash
  return Object.assign(client, { got });
}

/** Resolves when `payload` has arrived at the client (bounded). */
function arrival(c: { got: string[]; on: MqttClient["on"]; off: MqttClient["off"] }, payload: string, ms = 3000): Promise<void> {
  if (c.got.includes(payload)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      c.off("message", on);
      reject(new Error(`${payload} did not arrive within ${ms} ms; got ${c.got.slice(-5).join(", ")}`));
    }, ms);
    const on = (_t: string, p: Buffer) => {
      if (p.toString() !== payload) return;
      clearTimeout(timer);
      c.off("message", on);
      resolve();
    };
    c.on("message", on);
  });
}

/** QoS 1 publish: "acked", or "closed" when the broker drops the connection instead. */
function publishOutcome(c: MqttClient, topic: string, payload: string): Promise<"acked" | "closed"> {
  return new Promise((resolve) => {
    c.once("close", () => resolve("closed"));
    c.publish(topic, payload, { qos: 1 }, (err) => resolve(err ? "closed" : "acked"));
  });
}

async function subscribeCode(c: MqttClient, filter: string): Promise<number> {
  try {
    const granted = await c.subscribeAsync(filter, { qos: 1 });
    return granted[0]!.qos;
  } catch (err) {
    // mqtt.js rejects a SUBACK failure (0x80) and hands the packet along.
    const granted = (err as { packet?: { granted?: unknown[] } }).packet?.granted?.[0];
    if (typeof granted === "number") return granted;
    throw err;
  }
}

/** A topic each user may read that no probe uses, to know when earlier messages have been delivered. */
const FENCE: Record<MatrixUser, string> = {
  "agent-s1": `${S}/cmd/fence`,
  "op-1": `${S}/alarm/fence`,
  "op-all": `${S}/alarm/fence`,
  "mon-1": `${S}/alarm/fence`,
  root: "fence/root",
};

type BrokerName = "aedes" | "mosquitto";

function matrixSuite(name: BrokerName, start: () => Promise<{ url: string; stop: () => Promise<void> }>) {
  describe(`the ACL matrix on ${name}`, () => {
    let url: string;
    let stop: () => Promise<void>;
    let watcher: MqttClient & { got: string[] };

    beforeAll(async () => {
      ({ url, stop } = await start());
      watcher = await connectAs(url, "root", "watcher-root");
      await watcher.subscribeAsync("#", { qos: 1 });
    }, 15_000);
    afterAll(async () => {
      await watcher?.endAsync(true);
      await stop?.();
    });

    it.each(PUBLISH_CASES.map((c, i) => ({ ...c, i })))("$user publish $topic: $allowed ($why)", async ({ user, topic, allowed, i }) => {
      const c = await connectAs(url, user);
      const marker = `${name}-pub-${i}`;
      try {
        const outcome = await publishOutcome(c, topic, marker);
        if (allowed) {
          expect(outcome).toBe("acked");
          await arrival(watcher, marker);
        } else {
          expect(outcome).toBe(name === "aedes" ? "closed" : "acked");
          const fence = `${name}-pub-fence-${i}`;
          await watcher.publishAsync("fence/pub", fence, { qos: 1 });
          await arrival(watcher, fence);
          expect(watcher.got).not.toContain(marker);
        }
      } finally {
        await c.endAsync(true);
      }
    });

    it.each(SUBSCRIBE_CASES.map((c, i) => ({ ...c, i })))(
      "$user subscribe $filter, probe $probe: granted $allowed, readable $probeReadable ($why)",
      async ({ user, filter, allowed, probe, probeReadable, i }) => {
        const c = await connectAs(url, user);
        try {
          expect(await subscribeCode(c, FENCE[user])).toBe(1);
          const code = await subscribeCode(c, filter);
          const probePayload = `${name}-probe-${i}`;
          const fence = `${name}-sub-fence-${i}`;
          await watcher.publishAsync(probe, probePayload, { qos: 1 });
          await watcher.publishAsync(FENCE[user], fence, { qos: 1 });
          await arrival(c, fence);
          if (name === "aedes") {
            expect(code).toBe(allowed ? 1 : 128);
            expect(c.got.includes(probePayload)).toBe(allowed);
          } else {
            expect(code).toBe(1); // Mosquitto's acl_file grants every subscription...
            expect(c.got.includes(probePayload)).toBe(probeReadable); // ...and filters at delivery
          }
        } finally {
          await c.endAsync(true);
        }
      },
    );
  });
}

matrixSuite("aedes", async () => {
  const broker: RunningBroker = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger(), auth: { users: await matrixUsers() } });
  return { url: broker.url, stop: () => broker.close() };
});

const withMosquitto = MOSQUITTO || process.env.CI ? matrixSuite : (n: BrokerName) => describe.skip(`the ACL matrix on ${n} (skipped: mosquitto not installed)`, () => undefined);
withMosquitto("mosquitto", async () => {
  const mosq = await startMosquittoWithPolicy({ users: await matrixUsers() });
  return { url: mosq.url, stop: () => mosq.dispose() };
});
