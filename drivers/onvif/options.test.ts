import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { OnvifDriver } from "./driver.js";
import { onvifOptionsSchema, parseOnvifOptions, resolvePassword } from "./options.js";

describe("ONVIF options", () => {
  it("defaults everything optional", () => {
    expect(parseOnvifOptions(undefined)).toEqual({
      username: "", timeoutMs: 3000, authRetryMs: 60_000, arrivalTimeoutMs: 10_000, statusIntervalMs: 250, preserveAddress: true,
    });
  });

  it("refuses unknown fields and bad values, naming the path", () => {
    expect(() => parseOnvifOptions({ pasword: "x" })).toThrow('invalid ONVIF options: options: Unrecognized key: "pasword"');
    expect(() => parseOnvifOptions({ authRetryMs: 10 })).toThrow(/options\.authRetryMs: Too small/);
  });

  it("exports to JSON Schema with a description on every field", () => {
    const schema = z.toJSONSchema(onvifOptionsSchema, { io: "input" }) as { properties: Record<string, { description?: string }> };
    for (const [k, v] of Object.entries(schema.properties)) expect(v.description, k).toBeTruthy();
  });

  it("passwordFile: the first line, relative to the base folder; a missing file names the file only", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-onvif-opt-"));
    try {
      await writeFile(path.join(dir, "pw"), "line-one\nline-two\n");
      expect(await resolvePassword(parseOnvifOptions({ passwordFile: "pw" }), dir)).toBe("line-one");
      expect(await resolvePassword(parseOnvifOptions({ password: "p" }))).toBe("p");
      expect(await resolvePassword(parseOnvifOptions({}))).toBe("");
      await expect(resolvePassword(parseOnvifOptions({ passwordFile: "missing" }), dir)).rejects.toThrow(
        `options.passwordFile: cannot read ${path.join(dir, "missing")} (ENOENT)`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the driver declares the VISCA camera vocabulary where the meaning is the same", () => {
    const d = new OnvifDriver();
    expect(Object.keys(d.actions).sort()).toEqual([
      "home", "move", "move.absolute", "preset.list", "preset.recall", "preset.reset", "preset.set", "stop", "zoom", "zoom.position",
    ]);
    expect(d.actions["preset.recall"]!.args.safeParse({ preset: 3 }).success).toBe(true);
    expect(d.actions["move"]!.args.parse({ direction: "left" })).toEqual({ direction: "left", panSpeed: 12, tiltSpeed: 10 });
    expect(d.stateFields).toEqual([
      "pan", "tilt", "zoom", "moveStatus", "lastPreset", "ptz", "profile", "clockSkewMs",
      "manufacturer", "model", "firmware", "serial", "streamUri", "snapshotUri", "malformedReplies",
    ]);
  });
});
