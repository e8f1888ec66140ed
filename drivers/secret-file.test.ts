import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSecretLine } from "./secret-file.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-secret-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readSecretLine", () => {
  it("the first line, whatever the line ending", async () => {
    await writeFile(path.join(dir, "crlf"), "s3cret\r\nsecond line\r\n");
    expect(await readSecretLine(path.join(dir, "crlf"), "passwordFile")).toBe("s3cret");
    await writeFile(path.join(dir, "empty"), "");
    expect(await readSecretLine(path.join(dir, "empty"), "passwordFile")).toBe("");
  });

  it("an unreadable file: invalid_args naming the option and the file, never the content", async () => {
    const file = path.join(dir, "missing");
    await expect(readSecretLine(file, "communityFile")).rejects.toMatchObject({ code: "invalid_args", message: `options.communityFile: cannot read ${file} (ENOENT)` });
  });
});
