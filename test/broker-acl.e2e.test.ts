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
import type { MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matrixUsers, PUBLISH_CASES, S, SECURITY_READ_CASES, SUBSCRIBE_CASES, type MatrixUser } from "../broker/acl.cases.js";
import { SECURITY_TOPIC } from "../broker/security-events.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { memoryLogger } from "./helpers/logger.js";
import { startMosquittoWithPolicy } from "./helpers/mosquitto.js";
import { arrival, connectAs, connectOutcome, publishOutcome, subscribeCode } from "./helpers/mqtt-users.js";
import { describeWith } from "./helpers/tools.js";

/** A topic each user may read that no probe uses, to know when earlier messages have been delivered. */
const FENCE: Record<MatrixUser, string> = {
  "agent-s1": `${S}/cmd/fence`,
  "op-1": `${S}/alarm/fence`,
  "op-all": `${S}/alarm/fence`,
  "mon-1": `${S}/alarm/fence`,
  root: "fence/root",
  rec: `${S}/alarm/fence`,
};

type BrokerName = "aedes" | "mosquitto";

/** `suite`: describe, or describeWith(the broker's tool). */
function matrixSuite(name: BrokerName, suite: (name: string, fn: () => void) => void, start: () => Promise<{ url: string; stop: () => Promise<void> }>) {
  suite(`the ACL matrix on ${name}`, () => {
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

matrixSuite("aedes", describe, async () => {
  const broker: RunningBroker = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger(), auth: { users: await matrixUsers() } });
  return { url: broker.url, stop: () => broker.close() };
});

/**
 * The security events' topic on aedes: the probe is a refused login (no client may publish under
 * `$SYS/`), whose event the admin's watcher sees; then the user's own fence says whether it would
 * have arrived. Mosquitto never publishes the topic: its generated policy is checked as text
 * (broker/mosquitto-policy.test.ts) and accepted by a real Mosquitto in the suite below.
 */
describe("who reads $SYS/roomgate/v1/security on aedes", () => {
  let broker: RunningBroker;
  let watcher: MqttClient & { got: string[] };
  beforeAll(async () => {
    broker = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger(), auth: { users: await matrixUsers() } });
    watcher = await connectAs(broker.url, "root", "security-watcher-root");
    expect(await subscribeCode(watcher, SECURITY_TOPIC)).toBe(1);
  }, 15_000);
  afterAll(async () => {
    await watcher?.endAsync(true);
    await broker?.close();
  });

  it.each(SECURITY_READ_CASES.map((c, i) => ({ ...c, i })))("$user: granted and delivered $allowed ($why)", async ({ user, allowed, i }) => {
    const c = await connectAs(broker.url, user);
    try {
      expect(await subscribeCode(c, FENCE[user])).toBe(1);
      expect(await subscribeCode(c, SECURITY_TOPIC)).toBe(allowed ? 1 : 128);
      const before = watcher.got.length;
      const clientId = `security-probe-${i}`;
      expect(await connectOutcome(broker.url, { username: "op-1", password: "wrong", clientId })).toBe(5);
      const probe = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no event for ${clientId}; got ${watcher.got.slice(before).join(", ")}`)), 3000);
        const check = () => {
          const hit = watcher.got.slice(before).find((p) => p.includes(`"${clientId}"`));
          if (hit === undefined) return;
          clearTimeout(timer);
          watcher.off("message", check);
          resolve(hit);
        };
        watcher.on("message", check);
        check();
      });
      const fence = `security-fence-${i}`;
      await watcher.publishAsync(FENCE[user], fence, { qos: 1 });
      await arrival(c, fence);
      expect(c.got.includes(probe)).toBe(allowed);
    } finally {
      await c.endAsync(true);
    }
  });
});

matrixSuite("mosquitto", describeWith("mosquitto"), async () => {
  const mosq = await startMosquittoWithPolicy({ users: await matrixUsers() });
  return { url: mosq.url, stop: () => mosq.dispose() };
});
