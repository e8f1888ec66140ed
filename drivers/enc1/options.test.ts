import { describe, expect, it } from "vitest";
import { z } from "zod";
import { enc1OptionsSchema, parseEnc1Options } from "./options.js";

describe("ENC/1 options", () => {
  it("defaults follow PROTOCOLS.md (2 s heartbeats, 3 missed, 120-byte lines)", () => {
    expect(parseEnc1Options(undefined)).toEqual({
      heartbeatIntervalMs: 2000, missedHeartbeats: 3, timeoutMs: 2000, connectTimeoutMs: 5000, ackLines: ["ST", "AL"],
      queryIdentity: true, reconcileAlarmsFromStatus: true, maxLineBytes: 120, checksumBurstCount: 3,
      checksumBurstWindowMs: 10_000, checksumRecoverLines: 3, floodLinesPerSecond: 50,
    });
  });

  it("is strict and names the bad path", () => {
    expect(() => parseEnc1Options({ zeroizeOnStart: true })).toThrow(/invalid ENC\/1 options: options: Unrecognized key: "zeroizeOnStart"/);
    expect(() => parseEnc1Options({ ackLines: ["HB"] })).toThrow(/options\.ackLines\.0/);
    expect(() => parseEnc1Options({ heartbeatIntervalMs: 0 })).toThrow(/options\.heartbeatIntervalMs/);
  });

  it("exports to JSON Schema with a description on every field", () => {
    const schema = z.toJSONSchema(enc1OptionsSchema, { io: "input" }) as { properties: Record<string, { description?: string }> };
    for (const [k, v] of Object.entries(schema.properties)) expect(v.description, k).toBeTruthy();
  });
});
