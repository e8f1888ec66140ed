/** A short-lived MQTT client for the operator tools (ctl, watch). */
import { randomBytes } from "node:crypto";
import mqtt from "mqtt";
import type { MqttClient } from "mqtt";

export function connectTool(url: string, name: string, auth: { username?: string; password?: string } = {}): Promise<MqttClient> {
  const opts: mqtt.IClientOptions = {
    clientId: `roomgate-${name}-${randomBytes(4).toString("hex")}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  };
  if (auth.username !== undefined) opts.username = auth.username;
  if (auth.password !== undefined) opts.password = auth.password;
  const client = mqtt.connect(url, opts);
  return new Promise((resolve, reject) => {
    client.once("connect", () => resolve(client));
    client.once("error", (err) => {
      client.end(true);
      reject(Object.assign(new Error(`cannot connect to ${url}: ${err.message}`), { code: "not_connected" }));
    });
    client.once("close", () => reject(Object.assign(new Error(`cannot connect to ${url}: connection closed`), { code: "not_connected" })));
  });
}
