/**
 * The PUBACK of a QoS 1 message leaves only once the store holds it, on a real aedes over TCP with the
 * store's answer held by the test instead of by timing: a persistent session that is away has the
 * message queued (`outgoingEnqueueCombi`, held) and a retained one waits for `durable` (held). aedes
 * alone acknowledges while the queued copy is not yet stored (the control).
 */
import { createServer, type AddressInfo, type Server } from "node:net";
import { Aedes } from "aedes";
import memoryModule from "aedes-persistence";
import mqtt, { type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { within } from "../test/helpers/within.js";
import { ackAfterStore } from "./puback-after-store.js";

type Enqueue = (subs: unknown[], packet: unknown) => Promise<unknown>;
const memoryPersistence = memoryModule as unknown as () => { outgoingEnqueueCombi: Enqueue };

const closers: Array<() => Promise<void>> = [];
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true);
  for (const close of closers.splice(0)) await close();
});

interface Gate {
  promise: Promise<void>;
  open(): void;
  fail(err: Error): void;
}
function gate(): Gate {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<void>((resolve, reject) => ((open = resolve), (fail = reject)));
  promise.catch(() => undefined); // a failed gate is for its taker to handle, whenever it takes it
  return { promise, open, fail };
}

/** aedes on a memory store whose queueing of copies for away sessions waits for `enqueueGate`. */
async function rig(opts: { ackAfter: boolean; durable?: (p: { retain?: boolean }) => Promise<void> }) {
  const durable = opts.durable;
  const persistence = memoryPersistence();
  const enqueue = persistence.outgoingEnqueueCombi.bind(persistence);
  const stored: string[] = [];
  const waiting = new Map<string, () => void>();
  let enqueueGate: Promise<void> = Promise.resolve();
  persistence.outgoingEnqueueCombi = async (subs, packet) => {
    await enqueueGate;
    await enqueue(subs, packet);
    const payload = (packet as { payload: Buffer }).payload.toString();
    if (subs.length > 0) stored.push(payload);
    waiting.get(payload)?.();
  };
  const aedes = await Aedes.createBroker({ persistence: persistence as never });
  const server: Server = createServer((conn) => {
    const client = aedes.handle(conn);
    if (opts.ackAfter) ackAfterStore(client, (p, done) => (durable ? durable(p).then(() => done(), done) : done()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(async () => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const connect = async (clientId: string, clean = true, keepalive = 60) => {
    const c = await mqtt.connectAsync(url, { clientId, clean, keepalive, protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(c);
    return c;
  };
  // The recorder subscribes with a persistent session and goes away: QoS 1 messages are queued for it.
  const away = await connect("recorder", false);
  await away.subscribeAsync("ev/#", { qos: 1 });
  await away.endAsync();
  clients.splice(clients.indexOf(away), 1);
  const storedNow = (payload: string) => new Promise<void>((resolve) => (stored.includes(payload) ? resolve() : waiting.set(payload, resolve)));
  return { connect, stored, storedNow, holdEnqueue: (g: Gate) => (enqueueGate = g.promise) };
}

/** Publishes; `log` gets a line when its PUBACK comes. */
function publishNoting(c: MqttClient, topic: string, payload: string, retain: boolean, log: string[]): Promise<void> {
  return new Promise((resolve, reject) => c.publish(topic, payload, { qos: 1, retain }, (err) => (err ? reject(err) : (log.push(`puback ${payload}`), resolve()))));
}

describe("PUBACK after the store", () => {
  it("aedes alone acknowledges a QoS 1 message before its queued copy is stored (the control)", async () => {
    const r = await rig({ ackAfter: false });
    const held = gate();
    r.holdEnqueue(held);
    const pub = await r.connect("pub");
    const log: string[] = [];
    await within(publishNoting(pub, "ev/1", "one", false, log), 5000, "the PUBACK");
    expect(r.stored).toEqual([]); // acknowledged, not stored: a kill -9 now loses it
    held.open();
  });

  it("holds the PUBACK until the queued copy is stored, while the connection reads on", async () => {
    const r = await rig({ ackAfter: true });
    const held = gate();
    r.holdEnqueue(held);
    const pub = await r.connect("pub");
    const watcher = await r.connect("watcher");
    await watcher.subscribeAsync("live/#", { qos: 0 });
    const log: string[] = [];
    const seenLive = new Promise<void>((resolve) => watcher.on("message", (t) => t === "live/x" && resolve()));
    const first = publishNoting(pub, "ev/1", "one", false, log);
    // The QoS 0 message behind it is read and delivered although the first one's store step waits.
    pub.publish("live/x", "behind", { qos: 0 });
    await within(seenLive, 5000, "the message behind the held one");
    expect(log).toEqual([]);
    expect(r.stored).toEqual([]);
    held.open();
    await within(first, 5000, "the PUBACK once stored");
    expect(r.stored).toEqual(["one"]);
  });

  it("sends PUBACKs in the order of the PUBLISHes when a retained one waits for its batch", async () => {
    const batch = gate();
    const r = await rig({ ackAfter: true, durable: (p) => (p.retain === true ? batch.promise : Promise.resolve()) });
    const pub = await r.connect("pub");
    const log: string[] = [];
    const a = publishNoting(pub, "st/a", "retained", true, log);
    const b = publishNoting(pub, "ev/2", "queued", false, log);
    await within(r.storedNow("queued"), 5000, "the second message stored");
    expect(log).toEqual([]); // its PUBACK waits behind the retained one's (MQTT-4.6.0-2)
    batch.open();
    await within(Promise.all([a, b]), 5000, "both PUBACKs");
    expect(log).toEqual(["puback retained", "puback queued"]);
  });

  it("closes the connection without a PUBACK when the store could not keep the message", async () => {
    const batch = gate();
    const r = await rig({ ackAfter: true, durable: () => batch.promise });
    const pub = await r.connect("pub");
    const log: string[] = [];
    void publishNoting(pub, "st/a", "lost", true, log).catch(() => undefined);
    const closed = new Promise<void>((resolve) => pub.once("close", () => resolve()));
    batch.fail(new Error("fdatasync: EIO"));
    await within(closed, 5000, "the connection closed");
    expect(log).toEqual([]);
  });

  it("keeps a client that only publishes QoS 1 alive past its keepalive (each PUBLISH counts, as in aedes)", { timeout: 10_000 }, async () => {
    const r = await rig({ ackAfter: true });
    // keepalive 1 s: aedes closes a client it hears nothing from for 1.5 s. MQTT.js sends no PINGREQ
    // while it publishes, so only the PUBLISHes keep it.
    const pub = await r.connect("busy", true, 1);
    let closed = false;
    const close = new Promise<void>((resolve) => pub.on("close", () => resolve(void (closed = true))));
    const start = performance.now();
    let n = 0;
    while (performance.now() - start < 2000 && !closed) await Promise.race([pub.publishAsync("busy/x", String(n++), { qos: 1 }), close]);
    expect(closed).toBe(false);
    expect(n).toBeGreaterThan(10);
  });
});
