/**
 * WS-Security UsernameToken verification, as an ONVIF camera does it.
 *
 * PasswordDigest = Base64(SHA1(nonce bytes + Created + password)) (OASIS WSS UsernameToken
 * Profile 1.0; worked example in the ONVIF Application Programmer's Guide). The camera rejects a
 * Created outside its window (measured on its own, possibly skewed, clock) and a nonce it has
 * already seen within that window. PasswordText is also accepted when the password matches,
 * because some clients send it.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { attr, child, childText, type XmlElement } from "./xml.js";
import { NS } from "./soap.js";

const PASSWORD_TEXT = "#PasswordText";
const PASSWORD_DIGEST = "#PasswordDigest";
/** Hard cap on remembered nonces, so a flood inside one window cannot grow memory without bound. */
const MAX_NONCES = 10_000;

/** Base64(SHA1(nonce + created + password)); the password is taken as UTF-8. */
export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash("sha1").update(Buffer.concat([nonce, Buffer.from(created, "utf8"), Buffer.from(password, "utf8")])).digest("base64");
}

export type AuthFailure = "missing" | "malformed" | "bad_user" | "bad_password" | "stale" | "replay";

export type AuthResult = { ok: true; username: string } | { ok: false; failure: AuthFailure; detail: string };

export interface VerifierOptions {
  username: string;
  password: string;
  /** Accepted |Created - camera now| in ms. */
  windowMs: number;
  /** The camera's clock (skew included), ms since the epoch. */
  now(): number;
  /** Refuse a nonce seen within the window (default true; some cameras do not check). */
  rejectReplays?: boolean;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export class UsernameTokenVerifier {
  /** nonce (as sent) -> camera time after which Created can no longer be in the window. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly opts: VerifierOptions) {}

  get rememberedNonces(): number {
    return this.seen.size;
  }

  /** Checks the SOAP Header's Security element. Never throws. */
  verify(header: XmlElement | undefined): AuthResult {
    const security = child(header, "Security", NS.wsse);
    if (!security) return { ok: false, failure: "missing", detail: "no WS-Security header" };
    const token = child(security, "UsernameToken", NS.wsse);
    if (!token) return { ok: false, failure: "missing", detail: "no UsernameToken" };
    const username = childText(token, "Username");
    const passwordEl = child(token, "Password");
    if (username === undefined || passwordEl === undefined) return { ok: false, failure: "malformed", detail: "UsernameToken without Username or Password" };
    const type = attr(passwordEl, "Type") ?? PASSWORD_TEXT; // WSS: absent Type means PasswordText
    const nonce = childText(token, "Nonce");
    const created = childText(token, "Created");
    const now = this.opts.now();
    this.sweep(now);

    let createdMs: number | undefined;
    if (created !== undefined) {
      createdMs = DATE_TIME.test(created) ? Date.parse(created) : NaN;
      if (!Number.isFinite(createdMs)) return { ok: false, failure: "malformed", detail: `Created "${created}" is not a UTC date-time` };
      const off = createdMs - now;
      if (Math.abs(off) > this.opts.windowMs) {
        return { ok: false, failure: "stale", detail: `Created is ${Math.round(off / 1000)} s off the camera clock (window ${this.opts.windowMs / 1000} s)` };
      }
    }

    if (type.endsWith(PASSWORD_DIGEST)) {
      if (nonce === undefined || created === undefined) return { ok: false, failure: "malformed", detail: "PasswordDigest needs Nonce and Created" };
      const expected = passwordDigest(Buffer.from(nonce, "base64"), created, this.opts.password);
      if (username !== this.opts.username) return { ok: false, failure: "bad_user", detail: "unknown user" };
      if (!sameText(passwordEl.text.trim(), expected)) return { ok: false, failure: "bad_password", detail: "digest does not match" };
    } else if (type.endsWith(PASSWORD_TEXT)) {
      if (username !== this.opts.username) return { ok: false, failure: "bad_user", detail: "unknown user" };
      if (!sameText(passwordEl.text, this.opts.password)) return { ok: false, failure: "bad_password", detail: "wrong password" };
    } else {
      return { ok: false, failure: "malformed", detail: `unsupported password type ${type}` };
    }

    if (nonce !== undefined && this.opts.rejectReplays !== false) {
      if (this.seen.has(nonce)) return { ok: false, failure: "replay", detail: "nonce already used" };
      this.seen.set(nonce, Math.max(createdMs ?? now, now) + this.opts.windowMs);
      if (this.seen.size > MAX_NONCES) this.seen.delete(this.seen.keys().next().value as string);
    }
    return { ok: true, username };
  }

  /** Forgets nonces whose Created can no longer pass the window check anyway. */
  private sweep(now: number): void {
    for (const [nonce, until] of this.seen) if (until < now) this.seen.delete(nonce);
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}
