/**
 * The `web:` section of the centre file: where `roomgate centre` serves the console with its
 * history pages and /metrics (centre/web/server.ts), and how the page reaches the broker's MQTT.
 * Paths are relative to the centre file.
 */
import { z } from "zod";

const fileSchema = (what: string) => z.string().min(1).describe(`${what} (a relative path is relative to the centre file).`);

export const centreWebSchema = z
  .strictObject({
    host: z.string().min(1).default("127.0.0.1").describe("Listen address of the web pages (0.0.0.0 for every interface)."),
    port: z.number().int().min(0).max(65_535).default(8090).describe("Port of the web pages (0: a free one)."),
    tls: z
      .strictObject({ certFile: fileSchema("PEM certificate"), keyFile: fileSchema("PEM key") })
      .optional()
      .describe("Serve HTTPS with this certificate and key."),
    usersFile: fileSchema("The broker file whose users (roles and sites) may log in")
      .optional()
      .describe("The broker file (`users:` with roles and sites) the broker's users were made with, the one `roomgate broker acl --mosquitto` generates Mosquitto's policy from. Passwords are checked by the broker itself, not read here. Without it the pages are open (a lab's anonymous broker only)."),
    mqttUrl: z
      .string()
      .regex(/^wss?:\/\/\S+$/, "expected the broker's WebSocket listener as ws:// or wss://HOST:PORT/PATH")
      .optional()
      .describe("The broker's WebSocket listener the page connects to (the roomgate broker's HTTP listener, or Mosquitto's `protocol websockets` listener)."),
    relay: z
      .boolean()
      .default(false)
      .describe("Relay the page's MQTT from this server's /mqtt to broker.url (mqtt:// or mqtts://): for a broker without a WebSocket listener, such as Debian 12's Mosquitto."),
    metrics: z.boolean().default(true).describe("Serve /metrics (a monitor's or admin's login)."),
  })
  .refine((w) => (w.mqttUrl === undefined) === w.relay, { message: "give the broker's WebSocket address (mqttUrl) or relay: true, one of them", path: ["mqttUrl"] })
  .describe("The centre's web pages: the operator console with its history pages, and /metrics.");

export type CentreWeb = z.output<typeof centreWebSchema>;
