import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readTlsFiles } from "./tls-files.js";

describe("readTlsFiles", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "roomgate-tls-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ca = path.join(dir, "ca.crt");
  writeFileSync(ca, "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----\n");

  it("reads the files it is given, and only those", () => {
    const got = readTlsFiles({ caFile: ca });
    expect(got).not.toBeInstanceOf(Error);
    expect(Object.keys(got)).toEqual(["ca"]);
    expect((got as { ca: Buffer }).ca.toString()).toContain("BEGIN CERTIFICATE");
    expect(readTlsFiles(undefined)).toEqual({});
  });

  it("names a file it cannot read, and says nothing of the others' content", () => {
    const got = readTlsFiles({ caFile: ca, keyFile: path.join(dir, "agent.key") });
    expect(got).toBeInstanceOf(Error);
    expect((got as Error).message).toBe(`${path.join(dir, "agent.key")}: ENOENT`);
  });
});
