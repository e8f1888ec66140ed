import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parsePolyOptions, polyOptionsSchema, readPassword } from "./options.js";

describe("Poly options", () => {
  it("defaults from the sources: 200 ms between commands, \\r, 50 s keepalive, 30 min re-registration", () => {
    expect(parsePolyOptions({})).toMatchObject({ commandGapMs: 200, lineEnding: "cr", keepaliveMs: 50_000, reregisterMs: 1_800_000, username: "admin", registrations: ["sip", "h323"] });
    expect(() => z.toJSONSchema(polyOptionsSchema, { io: "input" })).not.toThrow();
  });

  it("a bad option names its path and never echoes a value", () => {
    expect(() => parsePolyOptions({ commandGapMs: -1, notifications: ["bogus"] })).toThrow(/options\.commandGapMs: .*; options\.notifications\.0: /);
    let message = "";
    try {
      parsePolyOptions({ password: "hunter2", passwordFile: "/x" });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe("invalid Poly options: options.passwordFile: give password or passwordFile, not both");
  });

  it("the password file's first line, read at each call; a missing file is named, its content never", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-poly-opt-"));
    try {
      const file = path.join(dir, "pw");
      await writeFile(file, "first\nsecond\n");
      expect(await readPassword({ passwordFile: file })).toBe("first");
      await writeFile(file, "rotated\n");
      expect(await readPassword({ passwordFile: file })).toBe("rotated");
      await expect(readPassword({ passwordFile: path.join(dir, "none") })).rejects.toMatchObject({ code: "invalid_args", message: expect.stringContaining("cannot read") });
      expect(await readPassword({})).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
