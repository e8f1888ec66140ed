/**
 * The broker file (YAML) of `roomgate broker`. Minimal on purpose: auth and ACL arrive with the broker work,
 * as new optional sections; unknown keys are refused so a typo never passes silently.
 */
import { z } from "zod";
import { logLevelSchema } from "./site.js";

export const brokerTcpListenerSchema = z
  .strictObject({
    host: z.string().min(1).default("0.0.0.0").describe("Address to listen on."),
    port: z.number().int().min(0).max(65535).default(1883).describe("TCP port; 0 picks a free one (tests)."),
  })
  .describe("Plain MQTT over TCP.");

export const brokerConfigSchema = z
  .strictObject({
    listeners: z
      .strictObject({ tcp: brokerTcpListenerSchema.prefault({}) })
      .prefault({})
      .describe("Where the broker listens."),
    logLevel: logLevelSchema.default("info"),
  })
  .describe("roomgate broker file");

export type BrokerConfig = z.output<typeof brokerConfigSchema>;
export type BrokerConfigInput = z.input<typeof brokerConfigSchema>;
