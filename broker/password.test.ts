import crypto from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { itWith, toolPath } from "../test/helpers/tools.js";
import { dummyHash, hashPassword, mosquittoHash, parseScryptHash, PasswordHashError, verifyPassword } from "./password.js";

const FAST = { N: 1024, r: 8, p: 1 };

describe("scrypt hashes", () => {
  it("stores the parameters, a 16-byte salt and a 32-byte key, and verifies only the right password", async () => {
    const stored = await hashPassword("correct horse", FAST);
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    const parsed = parseScryptHash(stored);
    // The key is scrypt itself, recomputable by anyone with the salt: no home-made construction.
    expect(parsed.hash).toEqual(crypto.scryptSync("correct horse", parsed.salt, 32, { N: 1024, r: 8, p: 1 }));
    expect(await verifyPassword(parsed, Buffer.from("correct horse"))).toBe(true);
    expect(await verifyPassword(parsed, Buffer.from("correct horsE"))).toBe(false);
    expect(await verifyPassword(parsed, Buffer.alloc(0))).toBe(false);
  });

  it("salts every hash differently", async () => {
    expect(await hashPassword("same", FAST)).not.toBe(await hashPassword("same", FAST));
  });

  it("refuses malformed or dangerous parameters", () => {
    const salt = Buffer.alloc(16).toString("base64");
    const key = Buffer.alloc(32).toString("base64");
    expect(() => parseScryptHash(`scrypt$1000$8$1$${salt}$${key}`)).toThrow(PasswordHashError);
    expect(() => parseScryptHash(`scrypt$${2 ** 22}$8$1$${salt}$${key}`)).toThrow(/2\^20/);
    expect(() => parseScryptHash(`bcrypt$1024$8$1$${salt}$${key}`)).toThrow(PasswordHashError);
    expect(() => parseScryptHash(`scrypt$1024$8$1$${salt}`)).toThrow(PasswordHashError);
  });

  it("has a dummy hash that no password matches", async () => {
    expect(await verifyPassword(dummyHash(FAST), Buffer.from(""))).toBe(false);
  });
});

describe("Mosquitto $7$ hashes", () => {
  it("is PBKDF2-SHA512 of the password with a 12-byte salt, as mosquitto_passwd writes it", async () => {
    const salt = Buffer.from("dbrf+/TR+Iq1eKtc", "base64");
    // The line mosquitto_passwd 2.0.11 wrote for "secret" with this salt (its default 101 iterations).
    expect(await mosquittoHash("secret", 101, salt)).toBe(
      "$7$101$dbrf+/TR+Iq1eKtc$p67Tqt9H81oCgLmnU21RGF68AKyURSa9UT7oOEouFMnqvrfyutYvAlU8S2m6Dk+5xewk1WseQpOvTCIsYnFR/Q==",
    );
    expect(await mosquittoHash("secret", 1000)).toMatch(/^\$7\$1000\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
  });

  itWith("mosquitto")("matches a hash mosquitto_passwd writes now (same salt and iterations)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-pw-"));
    try {
      const file = path.join(dir, "pw");
      execFileSync(toolPath("mosquitto", "mosquitto_passwd"), ["-c", "-b", file, "u", "pa ss:wörd"]);
      const [, , it, salt, hash] = readFileSync(file, "utf8").trim().replace(/^u:/, "").split("$") as [string, string, string, string, string];
      expect(await mosquittoHash("pa ss:wörd", Number(it), Buffer.from(salt, "base64"))).toBe(`$7$${it}$${salt}$${hash}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
