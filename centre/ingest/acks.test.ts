/**
 * PUBACK after commit, on a real broker: a message whose PUBACK is held comes back when the session
 * resumes; one released does not. If MQTT.js stops sending PUBACKs through `_sendPacket`, this fails.
 */
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../../broker/server.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { within } from "../../test/helpers/within.js";
import { DeferredAcks, type AckTicket } from "./acks.js";

describe("PUBACKs held until commit", () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger() });
  });
  afterAll(async () => {
    await broker?.close();
  });

  /** Connects the persistent session `id`, holds every PUBACK, and collects messages with their tickets. */
  async function session(id: string) {
    const client = mqtt.connect(broker.url, { clientId: id, clean: false, protocolVersion: 4, reconnectPeriod: 0 });
    const acks = new DeferredAcks(client);
    const got: { payload: string; ticket: AckTicket }[] = [];
    client.on("message", (_t, payload, packet) => got.push({ payload: payload.toString(), ticket: acks.hold(packet.messageId!) }));
    await new Promise((resolve) => client.once("connect", resolve));
    return { client, acks, got };
  }

  const until = (s: { client: mqtt.MqttClient; got: { payload: string }[] }, payload: string) =>
    within(
      new Promise<void>((resolve) => {
        const check = () => {
          if (!s.got.some((g) => g.payload === payload)) return;
          s.client.off("message", check);
          resolve();
        };
        s.client.on("message", check);
        check();
      }),
      5000,
      `message ${payload}`,
    );

  it("redelivers what was not released, and only that, when the session resumes", async () => {
    const first = await session("acks-test");
    await first.client.subscribeAsync("acks/#", { qos: 1 });
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
    for (const p of ["one", "two", "three"]) await pub.publishAsync("acks/x", p, { qos: 1 });
    await until(first, "three");
    // Commit "one" only (in order), then lose the connection.
    first.acks.release(first.got[0]!.ticket);
    await new Promise((r) => setImmediate(r));
    expect(first.acks.sent).toBe(1);
    await first.client.endAsync(true);
    const second = await session("acks-test");
    await until(second, "three");
    expect(second.got.map((g) => g.payload)).toEqual(["two", "three"]);
    for (const g of second.got) second.acks.release(g.ticket);
    await new Promise((r) => setImmediate(r));
    await second.client.endAsync(false);
    const third = await session("acks-test");
    await pub.publishAsync("acks/x", "four", { qos: 1 });
    await until(third, "four");
    expect(third.got.map((g) => g.payload)).toEqual(["four"]);
    await third.client.endAsync(true);
    await pub.endAsync();
  });
});
