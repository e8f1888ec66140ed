import { describe, expect, it } from "vitest";
import { z } from "zod";
import { optionsSchema, parseX32Options } from "./index.js";

describe("X32 options", () => {
  it("has a default for everything optional", () => {
    expect(parseX32Options(undefined)).toEqual({
      channels: {}, timeoutMs: 1000, renewMs: 8000, retryMs: 2000, meters: false, pushIntervalMs: 1000, connectTimeoutMs: 5000,
    });
  });

  it("accepts every kind of strip path", () => {
    const paths = ["/ch/01", "/ch/32", "/auxin/08", "/fxrtn/01", "/bus/16", "/mtx/06", "/main/st", "/main/m", "/dca/8"];
    const channels = Object.fromEntries(paths.map((p, i) => [`c${i}`, { path: p }]));
    expect(Object.keys(parseX32Options({ channels }).channels)).toHaveLength(paths.length);
  });

  it.each([
    [{ channels: { mics: { path: "/ch/33" } } }, "options.channels.mics.path"],
    [{ channels: { mics: { path: "/ch/1" } } }, "options.channels.mics.path"],
    [{ channels: { Mics: { path: "/ch/01" } } }, "options.channels.Mics"],
    [{ renewMs: 10_000 }, "options.renewMs"], // the desk drops subscribers after 10 s
    [{ channels: { mics: { path: "/ch/01", tag: "x" } } }, "options.channels.mics"],
  ])("refuses %j naming %s", (raw, path) => {
    expect(() => parseX32Options(raw)).toThrow(path);
  });

  it("exports to JSON Schema with a description on every field", () => {
    const schema = z.toJSONSchema(optionsSchema, { io: "input" }) as { properties: Record<string, { description?: string }> };
    for (const [k, v] of Object.entries(schema.properties)) expect(v.description, k).toBeTruthy();
  });
});
