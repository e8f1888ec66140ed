/**
 * WS-Security UsernameToken (PasswordDigest) as ONVIF cameras expect it.
 *
 * Digest = Base64(SHA1(nonce_bytes + Created + password)), with Created and the password as UTF-8
 * (the OASIS UsernameToken Profile 1.0 and the ONVIF Application Programmer's Guide 6.1.1.3, whose
 * worked example is our test vector). The `onvif` package encodes the password as "ascii", which
 * mangles every non-ASCII character; that is one reason this lives here.
 */
import { createHash, randomBytes } from "node:crypto";
import { escapeXml } from "./xml.js";

export const WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
export const WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
const DIGEST_TYPE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";
const BASE64_TYPE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";

/** Base64(SHA1(nonce + created + password)). */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash("sha1")
    .update(Buffer.concat([nonce, Buffer.from(created, "utf8"), Buffer.from(password, "utf8")]))
    .digest("base64");
}

/** UTC ISO-8601 to the second with `Z` (`2010-09-16T07:50:45Z`), the form the spec's example uses. */
export function formatCreated(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export interface UsernameTokenInput {
  username: string;
  password: string;
  /** Camera time estimate (our clock + measured offset), ms since the epoch. */
  createdMs: number;
  /** 16 random bytes unless given (tests). */
  nonce?: Buffer;
}

/** The `<wsse:Security>` header element. Contains the digest, never the password. */
export function usernameTokenHeader(input: UsernameTokenInput): string {
  const nonce = input.nonce ?? randomBytes(16);
  const created = formatCreated(input.createdMs);
  const digest = passwordDigest(nonce, created, input.password);
  return (
    `<wsse:Security xmlns:wsse="${WSSE_NS}" xmlns:wsu="${WSU_NS}" s:mustUnderstand="1">` +
    `<wsse:UsernameToken>` +
    `<wsse:Username>${escapeXml(input.username)}</wsse:Username>` +
    `<wsse:Password Type="${DIGEST_TYPE}">${digest}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${BASE64_TYPE}">${nonce.toString("base64")}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created>` +
    `</wsse:UsernameToken>` +
    `</wsse:Security>`
  );
}
