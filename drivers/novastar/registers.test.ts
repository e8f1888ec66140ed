import { describe, expect, it } from "vitest";
import { z } from "zod";
import { applyOverrides, modelsOf, novastarOptionsSchema, parseNovastarOptions, testPatternsOf } from "./options.js";
import { BUILTIN_MODELS, modelForId, nameOf, percentToRaw, rawToPercent } from "./registers.js";

describe("brightness mapping", () => {
  it("maps 0/50/100 % to 00/80/FF and survives the round trip for every integer percent", () => {
    expect([0, 1, 50, 99, 100].map(percentToRaw)).toEqual([0x00, 0x03, 0x80, 0xfc, 0xff]);
    for (let p = 0; p <= 100; p++) expect(rawToPercent(percentToRaw(p))).toBe(p);
    expect([0x00, 0x7f, 0x80, 0xff].map(rawToPercent)).toEqual([0, 50, 50, 100]);
  });
});

describe("model table", () => {
  it("recognises MCTRL4K (0311) and VX4S (0661) model ids, any case; unknown ids match nothing", () => {
    expect(modelForId(BUILTIN_MODELS, "0311")?.name).toBe("mctrl4k");
    expect(modelForId(BUILTIN_MODELS, "0661")?.name).toBe("vx4s");
    expect(modelForId(BUILTIN_MODELS, "0C62")).toBeUndefined();
  });

  it("names values, and shows unnamed ones as hex", () => {
    expect(nameOf(BUILTIN_MODELS["vx4s"]!.input.values, 0xa0)).toBe("hdmi");
    expect(nameOf(BUILTIN_MODELS["vx4s"]!.input.values, 0x33)).toBe("0x33");
  });
});

describe("NovaStar options", () => {
  it("defaults everything and exports to JSON Schema", () => {
    expect(parseNovastarOptions(undefined)).toEqual({ model: "auto", models: {}, display: "model", timeoutMs: 1000, connectTimeoutMs: 5000 });
    expect(() => z.toJSONSchema(novastarOptionsSchema, { io: "input" })).not.toThrow();
  });

  it("refuses an unknown model and names the path and the choices", () => {
    expect(() => parseNovastarOptions({ model: "vx6s" })).toThrow('invalid NovaStar options: options.model: unknown model "vx6s"; one of auto, mctrl4k, vx4s');
    expect(() => parseNovastarOptions({ inputs: { HDMI: 1 } })).toThrow(/options\.inputs\.HDMI/);
  });

  it("adds a custom model (e.g. VX6S) with its ids, input register and display-mode control", () => {
    const o = parseNovastarOptions({
      model: "vx6s",
      models: { vx6s: { modelIds: ["0B61"], inputRegister: 0x0220002d, inputs: { hdmi1: 1, hdmi2: 2 }, display: "controller" } },
    });
    const m = applyOverrides(modelsOf(o)["vx6s"]!, o);
    expect(m).toMatchObject({ modelIds: ["0b61"], input: { ref: { register: 0x0220002d }, values: { hdmi1: 1, hdmi2: 2 } }, display: { kind: "controller" } });
    expect(modelForId(modelsOf(o), "0b61")?.name).toBe("vx6s");
  });

  it("merges test pattern overrides over the built-in table", () => {
    const t = testPatternsOf(parseNovastarOptions({ testPatterns: { off: 1 } }));
    expect([t["off"], t["red"]]).toEqual([1, 2]);
  });
});
