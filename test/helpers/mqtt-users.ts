/**
 * MQTT clients logged in as a test user (broker/acl.cases.ts passwords) and the small waits the broker
 * tests share: a payload's arrival, a QoS 1 publish's outcome, a SUBACK code. Every wait is bounded and
 * fails with what it did see.
 */
import mqtt from "mqtt";
import type { IClientOptions, MqttClient } from "mqtt";
import { passwordOf } from "../../broker/acl.cases.js";

export type RecordingClient = MqttClient & { got: string[] };

let seq = 0;

/**
 * Connects as `user` (its matrix password unless `opts.password`), records every payload it receives
 * from its first packet on: a resumed session's queued messages may be read in the same tick as the
 * CONNACK, before an `await` on the connection would let a listener be added.
 */
export async function connectAs(url: string, user: string, clientId?: string, opts: IClientOptions = {}): Promise<RecordingClient> {
  const id = clientId ?? (user === "agent-s1" ? "roomgate-agent-s1" : `t-${user}-${++seq}`);
  const client = mqtt.connect(url, { username: user, password: passwordOf(user), clientId: id, protocolVersion: 4, reconnectPeriod: 0, ...opts });
  const got: string[] = [];
  client.on("message", (_t, payload) => got.push(payload.toString()));
  await new Promise<void>((resolve, reject) => {
    const connected = () => {
      client.off("error", refused);
      resolve();
    };
    const refused = (err: Error) => {
      client.off("connect", connected);
      client.end(true);
      reject(err);
    };
    client.once("connect", connected);
    client.once("error", refused);
  });
  client.on("error", () => undefined); // a refused or closed connection is an outcome the test reads, not a crash
  return Object.assign(client, { got });
}

/** Resolves when `payload` has arrived at the client (bounded). */
export function arrival(c: { got: string[]; on: MqttClient["on"]; off: MqttClient["off"] }, payload: string, ms = 3000): Promise<void> {
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
export function publishOutcome(c: MqttClient, topic: string, payload: string | Buffer): Promise<"acked" | "closed"> {
  return new Promise((resolve) => {
    c.once("close", () => resolve("closed"));
    c.publish(topic, payload, { qos: 1 }, (err) => resolve(err ? "closed" : "acked"));
  });
}

/** The SUBACK return code of one subscription (1 granted at QoS 1, 128 refused). */
export async function subscribeCode(c: MqttClient, filter: string): Promise<number> {
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

/**
 * How a connection attempt ends: "connected", the CONNACK refusal code, or "error: ..." / "closed"
 * when the transport fails first (TLS refusals, a broker that drops the socket). Bounded.
 */
export function connectOutcome(url: string, opts: IClientOptions, ms = 5000): Promise<number | string> {
  return new Promise((resolve) => {
    const c = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: ms, ...opts });
    const done = (outcome: number | string) => {
      c.removeAllListeners();
      c.on("error", () => undefined);
      c.end(true);
      resolve(outcome);
    };
    c.once("connect", () => done("connected"));
    c.once("error", (err) => {
      const code = (err as { code?: unknown }).code;
      done(typeof code === "number" ? code : `error: ${err.message}`);
    });
    c.once("close", () => done("closed"));
  });
}
