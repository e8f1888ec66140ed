import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { formatCreated, passwordDigest, usernameTokenHeader } from "./wsse.js";

describe("WS-Security PasswordDigest", () => {
  it("matches the worked example of the ONVIF Application Programmer's Guide (6.1.1.3)", () => {
    const nonce = Buffer.from("LKqI6G/AikKCQrN0zqZFlg==", "base64");
    expect(passwordDigest(nonce, "2010-09-16T07:50:45Z", "userpassword")).toBe("tuOSpGlFlIXsozq4HFNeeGeFLEI=");
  });

  it("hashes a non-ASCII password as UTF-8 (the onvif package's 'ascii' encoding gives another digest)", () => {
    const nonce = Buffer.alloc(16, 7);
    const created = "2024-01-02T03:04:05Z";
    const utf8 = passwordDigest(nonce, created, "pässwörd");
    const asciiMangled = createHash("sha1").update(Buffer.concat([nonce, Buffer.from(created), Buffer.from("pässwörd", "ascii")])).digest("base64");
    expect(utf8).not.toBe(asciiMangled);
    // The same bytes computed by hand: sha1(nonce + created + utf8 password).
    const manual = createHash("sha1").update(Buffer.concat([nonce, Buffer.from(created), Buffer.from([0x70, 0xc3, 0xa4, 0x73, 0x73, 0x77, 0xc3, 0xb6, 0x72, 0x64])])).digest("base64");
    expect(utf8).toBe(manual);
  });

  it("formats Created as UTC to the second with Z", () => {
    expect(formatCreated(Date.UTC(2010, 8, 16, 7, 50, 45, 999))).toBe("2010-09-16T07:50:45Z");
  });

  it("builds the header with the digest, nonce and Created, never the password", () => {
    const nonce = Buffer.from("LKqI6G/AikKCQrN0zqZFlg==", "base64");
    const h = usernameTokenHeader({ username: "ad<min>", password: "userpassword", createdMs: Date.UTC(2010, 8, 16, 7, 50, 45), nonce });
    expect(h).toContain("<wsse:Username>ad&lt;min&gt;</wsse:Username>");
    expect(h).toContain('#PasswordDigest">tuOSpGlFlIXsozq4HFNeeGeFLEI=</wsse:Password>');
    expect(h).toContain('#Base64Binary">LKqI6G/AikKCQrN0zqZFlg==</wsse:Nonce>');
    expect(h).toContain("<wsu:Created>2010-09-16T07:50:45Z</wsu:Created>");
    expect(h).not.toContain("userpassword");
  });
});
