/**
 * The broker's limits and refusals of bad input, over real MQTT: each refused with a log line naming
 * the user, counted for /metrics, and none affecting the other clients (a watcher keeps receiving
 * throughout). The rate limit runs on an injected clock: a client over its rate is not read until the
 * clock says its bucket has refilled, and nothing it sent is lost.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matrixUsers, passwordOf, S } from "../broker/acl.cases.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { fakeClock, type FakeClock } from "./helpers/clock.js";
import { memoryLogger } from "./helpers/logger.js";
import { arrival, connectAs, connectOutcome, publishOutcome, subscribeCode, type RecordingClient } from "./helpers/mqtt-users.js";

const log = memoryLogger();
let clock: FakeClock;
let broker: RunningBroker;
let watcher: RecordingClient;
let fence = 0;

beforeAll(async () => {
  clock = fakeClock();
  broker = await startBroker({
    host: "127.0.0.1",
    port: 0,
    logger: log,
    clock,
    auth: { users: await matrixUsers() },
    limits: { maxPacketBytes: 1024, connectionsPerUser: 2, messagesPerSecond: 5, burst: 5, subscriptionsPerClient: 3, maxConnections: 8 },
  });
  watcher = await connectAs(broker.url, "root", "watcher");
  await watcher.subscribeAsync("#", { qos: 1 });
});
afterAll(async () => {
  await watcher?.endAsync(true);
  await broker?.close();
});

/** Proves the broker still serves others: a message from a fresh client reaches the watcher. */
async function othersUnaffected(): Promise<void> {
  const marker = `fence-${++fence}`;
  const c = await connectAs(broker.url, "root");
  try {
    await c.publishAsync("fence", marker, { qos: 1 });
    await arrival(watcher, marker);
  } finally {
    await c.endAsync(true);
  }
}

const limitLine = (limit: string) => log.records.filter((r) => (r.obj as { limit?: string }).limit === limit);

describe("broker limits", () => {
  it("closes only the client that sends an oversized packet, and says who", async () => {
    const agent = await connectAs(broker.url, "agent-s1");
    expect(await publishOutcome(agent, `${S}/event`, Buffer.alloc(2000, 0x61))).toBe("closed");
    expect(broker.limitCounts.packet_too_large).toBe(1);
    expect(limitLine("packet_too_large")[0]?.obj).toMatchObject({ user: "agent-s1" });
    expect(watcher.got.some((p) => p.length === 2000)).toBe(false);
    await othersUnaffected();
  });

  it("closes a connection whose packet header is malformed", async () => {
    const socket = net.connect(broker.port, "127.0.0.1");
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => undefined); // the broker hanging up is the outcome
    // PUBLISH with a five-byte remaining length: MQTT allows at most four.
    socket.write(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    await closed;
    expect(broker.limitCounts.malformed).toBe(1);
    await othersUnaffected();
  });

  it("refuses a publish to a topic with wildcards and delivers nothing", async () => {
    const agent = await connectAs(broker.url, "agent-s1");
    expect(await publishOutcome(agent, `${S}/dev/+/health`, "wild")).toBe("closed");
    expect(watcher.got).not.toContain("wild");
    await othersUnaffected();
  });

  it("refuses a user's third connection (CONNACK 3) but lets a reconnect with a live client id replace it", async () => {
    const a = await connectAs(broker.url, "mon-1", "mon-a");
    const b = await connectAs(broker.url, "mon-1", "mon-b");
    try {
      expect(await connectOutcome(broker.url, { username: "mon-1", password: passwordOf("mon-1"), clientId: "mon-c" })).toBe(3);
      expect(limitLine("connections_per_user").at(-1)?.obj).toMatchObject({ user: "mon-1", clientId: "mon-c", connections: 2 });
      expect(await connectOutcome(broker.url, { username: "mon-1", password: passwordOf("mon-1"), clientId: "mon-b" })).toBe("connected");
      await othersUnaffected();
    } finally {
      await a.endAsync(true);
      await b.endAsync(true);
    }
  });

  it("refuses a client's fourth topic filter (SUBACK 0x80) and allows one again after an unsubscribe", async () => {
    const op = await connectAs(broker.url, "op-1");
    try {
      for (const f of ["event", "alarm/+", "dev/+/health"]) expect(await subscribeCode(op, `${S}/${f}`)).toBe(1);
      expect(await subscribeCode(op, `${S}/dev/+/state`)).toBe(128);
      expect(await subscribeCode(op, `${S}/event`)).toBe(1); // a filter it holds is not a new one
      await op.unsubscribeAsync(`${S}/event`);
      await clock.tickAsync(1000); // seven packets: more than this client's burst of five
      expect(await subscribeCode(op, `${S}/dev/+/state`)).toBe(1);
      expect(broker.limitCounts.subscriptions_per_client).toBe(1);
    } finally {
      await op.endAsync(true);
    }
  });

  it("stops reading a client over its rate until its bucket refills, and loses none of its messages", async () => {
    const agent = await connectAs(broker.url, "agent-s1");
    const throttledBefore = broker.limitCounts.rate;
    const linesBefore = limitLine("rate").length;
    try {
      // The burst (5) and one more pass at once; the sixth leaves the bucket in debt.
      for (let i = 1; i <= 6; i++) await agent.publishAsync(`${S}/event`, `rate-${i}`, { qos: 1 });
      await arrival(watcher, "rate-6");
      expect(broker.limitCounts.rate).toBe(throttledBefore + 1);
      expect(limitLine("rate")[linesBefore]?.obj).toMatchObject({ user: "agent-s1", messagesPerSecond: 5 });

      const sent = new Promise<void>((resolve) => agent.once("packetsend", () => resolve()));
      const acked = agent.publishAsync(`${S}/event`, "rate-7", { qos: 1 });
      await sent;
      await othersUnaffected(); // the others are served while this client waits...
      expect(watcher.got).not.toContain("rate-7"); // ...and its seventh message is not read yet

      await clock.tickAsync(200); // one token at 5/s
      await acked;
      await arrival(watcher, "rate-7");
      expect(watcher.got.filter((p) => p.startsWith("rate-"))).toEqual(["rate-1", "rate-2", "rate-3", "rate-4", "rate-5", "rate-6", "rate-7"]);
    } finally {
      await agent.endAsync(true);
    }
  });
});

describe("the broker's connection maximum", () => {
  it("refuses connections over it at the door and takes them again when one leaves", async () => {
    const small = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger(), auth: { users: await matrixUsers() }, limits: { maxConnections: 3 } });
    const open: RecordingClient[] = [];
    try {
      for (let i = 0; i < 3; i++) open.push(await connectAs(small.url, "root", `fill-${i}`));
      expect(await connectOutcome(small.url, { username: "root", password: passwordOf("root"), clientId: "one-too-many" })).toBe("closed");
      expect(small.limitCounts.max_connections).toBe(1);
      const gone = new Promise<void>((resolve) => small.aedes.once("clientDisconnect", () => resolve()));
      await open.pop()!.endAsync(true);
      await gone;
      expect(await connectOutcome(small.url, { username: "root", password: passwordOf("root"), clientId: "fits-again" })).toBe("connected");
    } finally {
      for (const c of open) await c.endAsync(true);
      await small.close();
    }
  });
});
