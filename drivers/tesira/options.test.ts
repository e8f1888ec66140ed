import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createDriver, optionsSchema, parseTesiraOptions } from "./index.js";

describe("Tesira options", () => {
  it("defaults, and both channel forms normalised to mute/level addresses", () => {
    const o = parseTesiraOptions({
      channels: {
        mics: { mute: { tag: "MicMute" }, level: { tag: "Mic Level", index: 3 } },
        lectern: { tag: "Mixer1", attribute: "inputMute", index: 3, levelTag: "Mixer1", levelAttribute: "inputLevel" },
        xp: { mute: { tag: "Matrix", attribute: "crosspointLevelState", index: [2, 5] } },
        "hall-2": { tag: "HallMute" },
      },
    });
    expect(o).toMatchObject({ timeoutMs: 2000, keepaliveMs: 30_000, keepaliveCommand: "DEVICE get version", link: "auto", subscribe: true, levelSubscribeMs: 500, pushIntervalMs: 1000 });
    expect(Object.fromEntries(o.channels)).toEqual({
      mics: { name: "mics", mute: { tag: "MicMute", attribute: "mute", indexes: [1] }, level: { tag: "Mic Level", attribute: "level", indexes: [3] } },
      lectern: { name: "lectern", mute: { tag: "Mixer1", attribute: "inputMute", indexes: [3] }, level: { tag: "Mixer1", attribute: "inputLevel", indexes: [3] } },
      xp: { name: "xp", mute: { tag: "Matrix", attribute: "crosspointLevelState", indexes: [2, 5] } },
      "hall-2": { name: "hall-2", mute: { tag: "HallMute", attribute: "mute", indexes: [1] } },
    });
  });

  it("refuses what can never work, naming the path", () => {
    const bad = (options: unknown) => {
      try {
        parseTesiraOptions(options);
        return "accepted";
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(bad({ channels: { Mics: { tag: "M" } } })).toContain("options.channels.Mics");
    expect(bad({ channels: { mics: {} } })).toContain("options.channels.mics");
    expect(bad({ channels: { mics: { mute: { tag: 'a"b' } } } })).toContain("options.channels.mics");
    expect(bad({ timeoutMs: 0 })).toContain("options.timeoutMs");
    expect(bad({ keepalive: 5 })).toContain("keepalive");
  });

  it("exports to JSON Schema with descriptions; the module gives a fresh audio driver", () => {
    const schema = z.toJSONSchema(optionsSchema, { io: "input" }) as { properties: Record<string, { description?: string }> };
    for (const [k, v] of Object.entries(schema.properties)) expect(v.description, k).toBeTruthy();
    const d = createDriver();
    expect([d.kind, d.protocol, d.health.status]).toEqual(["audio", "tesira", "unknown"]);
    expect(Object.keys(d.actions).sort()).toEqual(["level.set", "level.step", "mute.set", "mute.toggle", "preset.recall"]);
    for (const spec of Object.values(d.actions)) expect(() => z.toJSONSchema(spec.args, { io: "input" })).not.toThrow();
  });
});
