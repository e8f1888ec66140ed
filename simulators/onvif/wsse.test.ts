import { describe, expect, it } from "vitest";
import { passwordDigest, UsernameTokenVerifier } from "./wsse.js";
import { NS } from "./soap.js";
import { child, parseXml } from "./xml.js";

const DIGEST_TYPE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
const TEXT_TYPE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";

function header(user: string, password: string, type: string, nonce?: string, created?: string) {
  const xml = `<s:Envelope xmlns:s="${NS.env}"><s:Header><wsse:Security xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}" s:mustUnderstand="1">` +
    `<wsse:UsernameToken><wsse:Username>${user}</wsse:Username><wsse:Password Type="${type}">${password}</wsse:Password>` +
    (nonce !== undefined ? `<wsse:Nonce EncodingType="...#Base64Binary">${nonce}</wsse:Nonce>` : "") +
    (created !== undefined ? `<wsu:Created>${created}</wsu:Created>` : "") +
    `</wsse:UsernameToken></wsse:Security></s:Header><s:Body/></s:Envelope>`;
  return child(parseXml(xml), "Header", NS.env);
}

/** A digest header the way a client builds one. */
function digestHeader(password: string, nonce: Buffer, created: string, user = "admin") {
  return header(user, passwordDigest(nonce, created, password), DIGEST_TYPE, nonce.toString("base64"), created);
}

describe("PasswordDigest", () => {
  it("matches the worked example of the ONVIF Application Programmer's Guide", () => {
    // Nonce LKqI6G/AikKCQrN0zqZFlg==, Created 2010-09-16T07:50:45Z, password "userpassword".
    expect(passwordDigest(Buffer.from("LKqI6G/AikKCQrN0zqZFlg==", "base64"), "2010-09-16T07:50:45Z", "userpassword"))
      .toBe("tuOSpGlFlIXsozq4HFNeeGeFLEI=");
  });

  it("is SHA-1 over the raw nonce bytes, not their Base64 text", () => {
    const nonce = Buffer.from([0, 1, 2, 0xff]);
    expect(passwordDigest(nonce, "2024-01-01T00:00:00Z", "pw")).not.toBe(passwordDigest(Buffer.from(nonce.toString("base64")), "2024-01-01T00:00:00Z", "pw"));
  });
});

describe("UsernameTokenVerifier", () => {
  const T0 = Date.parse("2024-05-01T12:00:00Z");
  function verifier(now = () => T0) {
    return new UsernameTokenVerifier({ username: "admin", password: "s3cret", windowMs: 300_000, now });
  }
  const nonce = (n: number) => Buffer.alloc(16, n);

  it("accepts a digest made with the camera's time and password", () => {
    expect(verifier().verify(digestHeader("s3cret", nonce(1), "2024-05-01T12:00:00.123Z"))).toEqual({ ok: true, username: "admin" });
  });

  it.each([
    ["10 minutes behind", "2024-05-01T11:50:00Z", -600],
    ["10 minutes ahead", "2024-05-01T12:10:00Z", 600],
  ])("rejects a Created %s of the camera (window 5 min)", (_what, created, off) => {
    expect(verifier().verify(digestHeader("s3cret", nonce(2), created))).toEqual({
      ok: false, failure: "stale", detail: `Created is ${off} s off the camera clock (window 300 s)`,
    });
  });

  it("accepts Created 4 min 59 s off, inside the window", () => {
    expect(verifier().verify(digestHeader("s3cret", nonce(3), "2024-05-01T12:04:59Z")).ok).toBe(true);
  });

  it("rejects a replayed nonce within the window, and forgets it once Created can no longer pass", () => {
    let now = T0;
    const v = verifier(() => now);
    const h = digestHeader("s3cret", nonce(4), "2024-05-01T12:00:00Z");
    expect(v.verify(h).ok).toBe(true);
    expect(v.verify(h)).toEqual({ ok: false, failure: "replay", detail: "nonce already used" });
    expect(v.rememberedNonces).toBe(1);
    now = T0 + 300_001;
    expect(v.verify(h)).toMatchObject({ ok: false, failure: "stale" });
    expect(v.rememberedNonces).toBe(0);
  });

  it("with rejectReplays false, a reused nonce passes (cameras without replay protection)", () => {
    const v = new UsernameTokenVerifier({ username: "admin", password: "s3cret", windowMs: 300_000, now: () => T0, rejectReplays: false });
    const h = digestHeader("s3cret", nonce(9), "2024-05-01T12:00:00Z");
    expect([v.verify(h).ok, v.verify(h).ok]).toEqual([true, true]);
    expect(v.rememberedNonces).toBe(0);
  });

  it("does not remember the nonce of a request that failed", () => {
    const v = verifier();
    expect(v.verify(digestHeader("wrong", nonce(5), "2024-05-01T12:00:00Z"))).toEqual({ ok: false, failure: "bad_password", detail: "digest does not match" });
    expect(v.rememberedNonces).toBe(0);
  });

  it("refuses another user, a missing header and a digest without Nonce", () => {
    const v = verifier();
    expect(v.verify(digestHeader("s3cret", nonce(6), "2024-05-01T12:00:00Z", "root"))).toMatchObject({ failure: "bad_user" });
    expect(v.verify(undefined)).toEqual({ ok: false, failure: "missing", detail: "no WS-Security header" });
    expect(v.verify(header("admin", "x", DIGEST_TYPE, undefined, "2024-05-01T12:00:00Z"))).toMatchObject({ failure: "malformed" });
    expect(v.verify(header("admin", "x", DIGEST_TYPE, "AAAA", "yesterday"))).toMatchObject({ failure: "malformed" });
  });

  it("accepts PasswordText when the password matches (some clients send it)", () => {
    const v = verifier();
    expect(v.verify(header("admin", "s3cret", TEXT_TYPE)).ok).toBe(true);
    expect(v.verify(header("admin", "nope", TEXT_TYPE))).toMatchObject({ ok: false, failure: "bad_password" });
  });

  it("takes the password as UTF-8 (non-ASCII passwords)", () => {
    const v = new UsernameTokenVerifier({ username: "admin", password: "pässwörd", windowMs: 300_000, now: () => T0 });
    expect(v.verify(digestHeader("pässwörd", nonce(7), "2024-05-01T12:00:00Z")).ok).toBe(true);
  });
});
