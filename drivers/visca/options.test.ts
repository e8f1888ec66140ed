import { describe, it, expect } from "vitest";
import { z } from "zod";
import { parseViscaOptions, viscaOptionsSchema } from "./options.js";

describe("VISCA driver options", () => {
  it("fills the defaults", () => {
    expect(parseViscaOptions({})).toEqual({
      address: 1, ackTimeoutMs: 2000, completionTimeoutMs: 10_000, inquiryTimeoutMs: 2000, connectTimeoutMs: 5000,
    });
    expect(parseViscaOptions(undefined).address).toBe(1);
  });

  it("names the bad path and the rule; unknown keys are refused", () => {
    expect(() => parseViscaOptions({ address: 8 })).toThrow(/options\.address: .*<=7/);
    expect(() => parseViscaOptions({ ackTimeout: 5 })).toThrow(/ackTimeout/);
    try {
      parseViscaOptions({ completionTimeoutMs: -1 });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: "invalid_args", details: { issues: [{ path: "options.completionTimeoutMs" }] } });
    }
  });

  it("exports a JSON Schema with descriptions and defaults for editors", () => {
    const schema = z.toJSONSchema(viscaOptionsSchema, { io: "input" }) as {
      properties: Record<string, { default?: unknown; description?: string; maximum?: number }>;
      additionalProperties?: boolean;
    };
    expect(schema.properties["address"]).toMatchObject({ default: 1, maximum: 7 });
    expect(schema.properties["ackTimeoutMs"]?.description).toContain("ACK");
    expect(schema.additionalProperties).toBe(false);
  });
});
