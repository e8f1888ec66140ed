/**
 * The message aedes loses when a store answers out of order, on a real aedes over TCP: a retained
 * message whose store write is held back reaches the fan-out after a later message. With aedes' own
 * dedupe the subscriber never gets it (the control); with useExactDedupe it does, and overlapping
 * subscriptions still give one copy of each message.
 */
import { createServer, type AddressInfo, type Server } from "node:net";
import { Aedes } from "aedes";
import memoryModule from "aedes-persistence";
import mqtt, { type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { RecentKeys, useExactDedupe } from "./exact-dedupe.js";

const memoryPersistence = memoryModule as unknown as () => { storeRetained(p: { topic: string }): Promise<void> };

interface Rig {
  aedes: Aedes;
  server: Server;
  url: string;
  /** Lets the held store write of `held/...` go on. */
  release(): void;
}

const rigs: Rig[] = [];
const clients: MqttClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true);
  for (const r of rigs.splice(0)) {
    r.release();
    await new Promise<void>((resolve) => r.server.close(() => resolve()));
    await new Promise<void>((resolve) => r.aedes.close(() => resolve()));
  }
});

/** aedes on a memory store whose write of each retained `held/...` message waits for release(). */
async function rig(exact: boolean): Promise<Rig> {
  const persistence = memoryPersistence();
  const store = persistence.storeRetained.bind(persistence);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  persistence.storeRetained = async (packet) => {
    if (packet.topic.startsWith("held/")) await gate;
    return store(packet);
  };
  const aedes = await Aedes.createBroker({ persistence: persistence as never });
  const server = createServer((conn) => {
    const client = aedes.handle(conn);
    if (exact) useExactDedupe(client, aedes.id);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const r = { aedes, server, url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, release };
  rigs.push(r);
  return r;
}

async function connect(url: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  clients.push(c);
  return c;
}

/**
 * `sub` (already subscribed) sees the held retained message and a later one: the later one is out
 * first, then the held one is let through, then a marker. Resolves with what `sub` got up to the
 * marker, in order (one client's messages leave in the order they reach its fan-out).
 */
async function heldThenLater(r: Rig, sub: MqttClient): Promise<string[]> {
  const got: string[] = [];
  const marker = new Promise<void>((resolve) => {
    sub.on("message", (topic, payload) => {
      got.push(`${topic} ${payload.toString()}`);
      if (topic === "room/end") resolve();
    });
  });
  const pub = await connect(r.url);
  const held = pub.publishAsync("held/slow", "1", { qos: 1, retain: true }); // acked once stored
  await pub.publishAsync("room/fast", "2", { qos: 1 });
  r.release();
  await held;
  await pub.publishAsync("room/end", "3", { qos: 1 });
  await marker;
  return got;
}

describe("messages reaching the fan-out out of order (an asynchronous store)", () => {
  it("aedes' own dedupe drops the earlier message (the defect this module is for)", async () => {
    const r = await rig(false);
    const sub = await connect(r.url);
    await sub.subscribeAsync(["held/#", "room/#"], { qos: 1 });
    expect(await heldThenLater(r, sub)).toEqual(["room/fast 2", "room/end 3"]);
  });

  it("with useExactDedupe every message arrives, in the order it reached the fan-out", async () => {
    const r = await rig(true);
    const sub = await connect(r.url);
    await sub.subscribeAsync(["held/#", "room/#"], { qos: 1 });
    expect(await heldThenLater(r, sub)).toEqual(["room/fast 2", "held/slow 1", "room/end 3"]);
  });

  it("and QoS 0 subscribers too", async () => {
    const r = await rig(true);
    const sub = await connect(r.url);
    await sub.subscribeAsync(["held/#", "room/#"], { qos: 0 });
    expect(await heldThenLater(r, sub)).toEqual(["room/fast 2", "held/slow 1", "room/end 3"]);
  });

  it("still gives one copy of each message to overlapping subscriptions", async () => {
    const r = await rig(true);
    const sub = await connect(r.url);
    await sub.subscribeAsync(["held/#", "held/+", "room/#", "room/+", "#"], { qos: 1 });
    expect(await heldThenLater(r, sub)).toEqual(["room/fast 2", "held/slow 1", "room/end 3"]);
  });

  it("sends a retained message again on a new SUBSCRIBE (aedes' retained copies are never deduped)", async () => {
    const r = await rig(true);
    r.release();
    const pub = await connect(r.url);
    await pub.publishAsync("room/state", "on", { qos: 1, retain: true });
    const sub = await connect(r.url);
    const got: string[] = [];
    let n = 0;
    const second = new Promise<void>((resolve) => {
      sub.on("message", (topic, payload, packet) => {
        got.push(`${topic} ${payload.toString()} retain=${packet.retain}`);
        if (++n === 2) resolve();
      });
    });
    await sub.subscribeAsync("room/#", { qos: 1 });
    await sub.subscribeAsync("room/+", { qos: 1 });
    await second;
    expect(got).toEqual(["room/state on retain=true", "room/state on retain=true"]);
  });
});

describe("RecentKeys", () => {
  it("knows the last keys it was given, and only those", () => {
    const keys = new RecentKeys(3);
    expect([keys.add(1), keys.add("b:1"), keys.add(1), keys.add(2), keys.add(3)]).toEqual([true, true, false, true, true]);
    expect(keys.size).toBe(3);
    // 1 was the oldest: forgotten once a fourth key came, so it counts as new again.
    expect(keys.add(1)).toBe(true);
    expect(keys.add(3)).toBe(false);
  });
});

