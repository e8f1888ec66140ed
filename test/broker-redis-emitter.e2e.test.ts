/**
 * The cluster's fan-out connection (mqemitter-redis on the subscriber connection broker/persistence.ts
 * opens) keeps every subscription it was asked for, including one made while the connection is
 * still starting: the broker makes its own ($SYS/sub/+ for the shared subscription index, the fleet
 * view's filters) just then. The order is forced, not timed: the subscription is made on the
 * connection's `connect` event. With ioredis' default handshake it was then dropped, every time:
 * the ready check that follows is refused on a connection in subscriber mode, and ioredis resets it.
 */
import { Aedes } from "aedes";
import { afterEach, expect, it } from "vitest";
import { openStore, type BrokerStore } from "../broker/persistence.js";
import { memoryLogger, type LogRecord } from "./helpers/logger.js";
import { startRedis, type RedisServer } from "./helpers/redis.js";
import { describeWith } from "./helpers/tools.js";
import { within } from "./helpers/within.js";

interface Emitter {
  on(topic: string, fn: (packet: { topic: string; payload: unknown }, cb: () => void) => void, done: () => void): void;
  emit(packet: { topic: string; payload: Buffer }, done: (err?: Error) => void): void;
  subConn: { once(event: "connect", fn: () => void): void };
}

describeWith("redis-server")("the Redis fan-out connection", () => {
  let redis: RedisServer | undefined;
  let store: BrokerStore | undefined;
  let aedes: Aedes | undefined;
  afterEach(async () => {
    try {
      if (aedes) await new Promise<void>((resolve) => aedes!.close(() => resolve()));
      await store?.close(); // (the Redis store closes only after aedes has set it up)
    } finally {
      await redis?.stop(); // never left running, whatever failed above
      aedes = store = redis = undefined;
    }
  });

  it("keeps a subscription made while it is still connecting, and is not reset", async () => {
    redis = await startRedis();
    const records: LogRecord[] = [];
    store = await openStore({ type: "redis", url: redis.url }, memoryLogger(records), ".");
    const mq = store.aedes.mq as unknown as Emitter;
    const got: string[] = [];
    // TCP is up; ioredis would still be running its handshake (CLIENT SETINFO, then an INFO ready check).
    await within(new Promise<void>((resolve) => mq.subConn.once("connect", resolve)), 5000, "the subscriber connection's TCP connect");
    await within(
      new Promise<void>((resolve) => mq.on("fleet/+", (p, cb) => (got.push(String(p.payload)), cb()), resolve)),
      5000,
      "the subscription during the handshake",
    );
    // The broker around it, as startBroker makes it (and closes it after the test).
    aedes = await within(Aedes.createBroker({ ...store.aedes }), 5000, "aedes on the Redis store");
    const marker = within(new Promise<void>((resolve) => mq.on("marker", (_p, cb) => (cb(), resolve()), () => undefined)), 5000, "the marker through Redis");
    for (const packet of [{ topic: "fleet/a", payload: Buffer.from("a") }, { topic: "marker", payload: Buffer.from("") }]) {
      await new Promise<void>((resolve, reject) => mq.emit(packet, (err) => (err ? reject(err) : resolve())));
    }
    await marker; // one publishing connection: Redis delivers in the order published
    expect(got).toEqual(["a"]);
    expect(records.filter((r) => r.level === "error")).toEqual([]);
  });
});
