import { describe, it, expect } from "vitest";
import { z } from "zod";
import { mdcOptionsSchema, parseMdcOptions } from "./options.js";
import { createDriver, optionsSchema } from "./index.js";

describe("MDC options", () => {
  it("defaults: one display `main` with id 1, 5 s timeout", () => {
    expect(parseMdcOptions({})).toEqual({
      displays: { main: 1 }, timeoutMs: 5000, connectTimeoutMs: 5000, bootMs: 20_000, nakRetryMs: 1000,
      maxTemperatureC: 70, fanFaultDegrades: true, readIdentity: true,
    });
  });

  it("refuses the broadcast id, shared ids, bad names and unknown keys, naming the path", () => {
    expect(() => parseMdcOptions({ displays: { left: 0xfe } })).toThrow(/options\.displays\.left: Too big/);
    expect(() => parseMdcOptions({ displays: { left: 1, right: 1 } })).toThrow(/two displays share one display id/);
    expect(() => parseMdcOptions({ displays: { Left: 1 } })).toThrow(/options\.displays/);
    expect(() => parseMdcOptions({ displays: {} })).toThrow(/at least one display/);
    expect(() => parseMdcOptions({ pin: 1234 })).toThrow(/Unrecognized key/);
  });

  it("exports to JSON Schema with a description for every field", () => {
    const schema = z.toJSONSchema(optionsSchema, { io: "input" }) as { properties: Record<string, { description?: string }> };
    for (const [k, v] of Object.entries(schema.properties)) expect(v.description, k).toBeTruthy();
    expect(optionsSchema).toBe(mdcOptionsSchema);
  });

  it("createDriver gives a display driver speaking `mdc` with the common vocabulary", () => {
    const d = createDriver();
    expect(d.kind).toBe("display");
    expect(d.protocol).toBe("mdc");
    expect(Object.keys(d.actions).sort()).toEqual([
      "blank.set", "brightness.set", "input.select", "mute.set", "power.reboot", "power.set", "volume.set",
    ]);
    expect(z.toJSONSchema(d.actions["input.select"]!.args, { io: "input" })).toMatchObject({
      required: ["input"],
      properties: { input: { enum: ["hdmi1", "hdmi2", "hdmi3", "hdmi4", "dp1", "dp2", "dvi", "pc", "av", "hdbaset"] } },
    });
  });
});
