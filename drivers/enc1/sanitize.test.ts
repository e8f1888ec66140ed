import { describe, expect, it } from "vitest";
import { redactSecrets, sanitizeCode, sanitizeText } from "./sanitize.js";

describe("sanitize", () => {
  it("keeps ordinary model, firmware and alarm text", () => {
    expect(sanitizeText("RG-ENC1-SIM")).toBe("RG-ENC1-SIM");
    expect(sanitizeText("v2.3.1-build20240101")).toBe("v2.3.1-build20240101");
    expect(sanitizeCode("SELFTEST_FAIL")).toBe("SELFTEST_FAIL");
    expect(sanitizeCode("PSU")).toBe("PSU");
  });

  it("printable ASCII only, bounded length", () => {
    expect(sanitizeText("Mo\u0000del\u001b[31m\u00ff X")).toBe("Model[31m X");
    expect(sanitizeText("x".repeat(100))).toHaveLength(40);
    expect(sanitizeCode("Z".repeat(100))).toHaveLength(32);
    expect(sanitizeCode("A".repeat(100))).toBe("[redacted]"); // 100 hex digits
    expect(sanitizeCode("TEMP HIGH!")).toBe("TEMP_HIGH_");
  });

  it("redacts key=, psk=, pin= values but not the key status words", () => {
    expect(redactSecrets("key=VALID")).toBe("key=VALID");
    expect(redactSecrets("key=expiring")).toBe("key=expiring");
    expect(redactSecrets("key=s3cr3t")).toBe("key=[redacted]");
    expect(redactSecrets("PSK: hunter2 rest")).toBe("PSK=[redacted] rest");
    expect(redactSecrets("pin=1234")).toBe("pin=[redacted]");
    expect(redactSecrets("tunnel_key=abc")).toBe("tunnel_key=[redacted]");
    expect(redactSecrets("password=x;user=y")).toBe("password=[redacted];user=y");
  });

  it("redacts long hex and base64 runs", () => {
    expect(redactSecrets("fw 00112233445566778899aabbccddeeff end")).toBe("fw [redacted] end");
    expect(redactSecrets("K dGhpcyBpcyBhIHNlY3JldCBrZXk= end")).toBe("K [redacted] end");
    expect(redactSecrets("short DEADBEEF ok")).toBe("short DEADBEEF ok");
    expect(redactSecrets("ABCDEFGHIJKLMNOPQRSTUVWXYZ")).toBe("ABCDEFGHIJKLMNOPQRSTUVWXYZ"); // letters only: a word, not a key
  });

  it("a key hidden by control bytes or cut by the length bound still does not leak", () => {
    const key = "0123456789ABCDEF0123456789ABCDEF";
    const split = key.split("").join("\u0000");
    expect(sanitizeText(`m ${split}`)).toBe("m [redacted]");
    // Redaction happens before the cut: no 16-char piece of the key survives at the edge.
    const s = sanitizeText(`${"y".repeat(30)} ${key}`, 40);
    expect(s).not.toMatch(/[0-9A-F]{8,}/);
  });

  it("an alarm code that looks like key material becomes [redacted] entirely", () => {
    expect(sanitizeCode("0123456789abcdef0123")).toBe("[redacted]");
    expect(sanitizeCode("PIN=4321")).toBe("[redacted]");
  });
});
