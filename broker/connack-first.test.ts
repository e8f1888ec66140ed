/**
 * A session resumed while its topic is busy, on a real aedes over TCP, with the ordering forced by
 * the store instead of by timing: the resuming client's connect is held at its will step (after
 * aedes has restored its subscriptions, before CONNACK) while a message is published and reaches
 * the fan-out. aedes alone sends that message before CONNACK (the control); with holdUntilConnected
 * the client gets CONNACK, the queue stored while it was away, then live messages, each once.
 */
import { createServer, type AddressInfo, type Server } from "node:net";
import { Aedes } from "aedes";
import memoryModule from "aedes-persistence";
import mqtt, { type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../test/helpers/logger.js";
import { within } from "../test/helpers/within.js";
import { holdUntilConnected } from "./connack-first.js";
import { dedupeStoredCopies, useExactDedupe } from "./exact-dedupe.js";
import { startBroker } from "./server.js";

type Will = (client: { id: string }) => Promise<unknown>;
const memoryPersistence = memoryModule as unknown as () => { delWill: Will };

interface Rig {
  aedes: Aedes;
  url: string;
  close(): Promise<void>;
  /** The next connect of `clientId` stops before CONNACK, its subscriptions restored, until released. */
  holdConnect(clientId: string): { reached: Promise<void>; release(): void };
}

const rigs: Rig[] = [];
const clients: MqttClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true);
  for (const r of rigs.splice(0)) await r.close();
});

/** A memory store whose `delWill` for a chosen client waits: aedes' connect runs restoreSubs, then storeWill (delWill first), then CONNACK. */
function gatedStore() {
  const persistence = memoryPersistence();
  const delWill = persistence.delWill.bind(persistence);
  let gate: { clientId: string; reached(): void; released: Promise<void> } | undefined;
  persistence.delWill = async (client) => {
    if (gate !== undefined && client.id === gate.clientId) {
      const g = gate;
      gate = undefined;
      g.reached();
      await g.released;
    }
    return delWill(client);
  };
  const holdConnect = (clientId: string) => {
    let reached!: () => void;
    let release!: () => void;
    const reachedP = new Promise<void>((resolve) => (reached = resolve));
    gate = { clientId, reached, released: new Promise<void>((resolve) => (release = resolve)) };
    return { reached: reachedP, release };
  };
  return { persistence, holdConnect };
}

/** aedes on its own (`hold: false`), or with holdUntilConnected and dedupeStoredCopies as the broker wires them. */
async function rig(opts: { hold: boolean }): Promise<Rig> {
  const { persistence, holdConnect } = gatedStore();
  const aedes = await Aedes.createBroker({ persistence: persistence as never });
  if (opts.hold) dedupeStoredCopies(aedes);
  const server: Server = createServer((conn) => {
    const client = aedes.handle(conn);
    useExactDedupe(client, aedes.id);
    if (opts.hold) holdUntilConnected(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const r: Rig = {
    aedes,
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    holdConnect,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
  rigs.push(r);
  return r;
}

/** `roomgate broker` itself (broker/server.ts) on the gated store. */
async function broker(): Promise<Rig> {
  const { persistence, holdConnect } = gatedStore();
  const b = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger(), aedes: { persistence: persistence as never } });
  const r: Rig = { aedes: b.aedes, url: b.url, holdConnect, close: () => b.close() };
  rigs.push(r);
  return r;
}

async function connect(url: string, opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...opts });
  clients.push(c);
  return c;
}

/** Resolves once the broker has run `payload` through its fan-out (every subscriber's deliver called). */
function fannedOut(aedes: Aedes, payload: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (packet: { payload: Buffer | string }) => {
      if (String(packet.payload) !== payload) return;
      aedes.off("publish", on);
      resolve();
    };
    aedes.on("publish", on);
  });
}

interface Resuming {
  client: MqttClient;
  /** Packet types the client read, from its first one. */
  packets: string[];
  /** Payloads of its messages. */
  got: string[];
}

/**
 * `desk` subscribes with a persistent session and leaves; `queued` is published while it is away;
 * `desk` comes back and, while its connect is held after its subscriptions were restored, `live`
 * is published and reaches the fan-out; then the connect goes on.
 */
async function resumeWhileBusy(r: Rig, qos: 0 | 1): Promise<Resuming> {
  const desk = await connect(r.url, { clientId: "desk", clean: false });
  await desk.subscribeAsync("room/event", { qos });
  await desk.endAsync();
  const pub = await connect(r.url);
  const stored = fannedOut(r.aedes, "queued");
  await pub.publishAsync("room/event", "queued", { qos: 1 });
  await stored; // aedes acknowledges a QoS 1 PUBLISH before it stores it

  const held = r.holdConnect("desk");
  const client = mqtt.connect(r.url, { clientId: "desk", clean: false, reconnectPeriod: 0 });
  clients.push(client);
  const resuming: Resuming = { client, packets: [], got: [] };
  client.on("packetreceive", (p) => resuming.packets.push(p.cmd));
  client.on("message", (_t, payload) => resuming.got.push(payload.toString()));
  await within(held.reached, 5000, "desk's connect reaching its will step");
  const live = fannedOut(r.aedes, "live");
  await pub.publishAsync("room/event", "live", { qos: 1 });
  await live;
  held.release();
  return resuming;
}

/** After the resumed client is connected (and the broker has let go what it held): one more message, then what it got. */
async function thenOneMore(r: Rig, resuming: Resuming): Promise<string[]> {
  const ready = new Promise<void>((resolve) => r.aedes.once("clientReady", () => resolve()));
  await within(new Promise((resolve) => resuming.client.once("connect", resolve)), 5000, "desk connecting");
  await ready;
  const after = within(
    new Promise<void>((resolve) => resuming.client.on("message", (_t, payload) => payload.toString() === "after" && resolve())),
    5000,
    "desk getting the message published after it connected",
  );
  const pub = await connect(r.url);
  await pub.publishAsync("room/event", "after", { qos: 1 });
  await after;
  return resuming.got;
}

describe("a persistent session resumed while a message is being published to it", () => {
  it("aedes alone sends the message before CONNACK (MQTT-3.2.0-1), which MQTT.js never gets past (the control)", async () => {
    const r = await rig({ hold: false });
    const { client, packets } = await resumeWhileBusy(r, 1);
    const first = packets[0] ?? (await within(new Promise<string>((resolve) => client.once("packetreceive", (p) => resolve(p.cmd))), 5000, "desk's first packet"));
    expect(first).toBe("publish");
  });

  it("with holdUntilConnected: CONNACK first, then the stored queue, then live messages, each once", async () => {
    const r = await rig({ hold: true });
    const resuming = await resumeWhileBusy(r, 1);
    expect(await thenOneMore(r, resuming)).toEqual(["queued", "live", "after"]);
    expect(resuming.packets[0]).toBe("connack");
  });

  it("a QoS 0 subscription's message (never stored) waits for CONNACK and still arrives", async () => {
    const r = await rig({ hold: true });
    const resuming = await resumeWhileBusy(r, 0);
    expect(await thenOneMore(r, resuming)).toEqual(["live", "after"]);
    expect(resuming.packets[0]).toBe("connack");
  });

  it("the broker (broker/server.ts) does the same (before it did, desk never got connected)", async () => {
    const r = await broker();
    const resuming = await resumeWhileBusy(r, 1);
    expect(await thenOneMore(r, resuming)).toEqual(["queued", "live", "after"]);
    expect(resuming.packets[0]).toBe("connack");
  });
});
