/**
 * Password hashes of the broker file.
 *
 * Ours: scrypt (memory-hard), stored as `scrypt$N$r$p$salt$hash` (salt and hash base64), so the cost
 * parameters travel with each hash and can be raised later without breaking old entries.
 * Mosquitto's: `$7$iterations$salt$hash`, PBKDF2-HMAC-SHA512 with a 12-byte salt and a 64-byte key
 * (the format mosquitto_passwd 2.x writes; checked against its output in password.test.ts).
 */
import crypto from "node:crypto";

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/** ~30 ms on one core of a current machine: a brute force pays that per guess. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 16384, r: 8, p: 1 };
/** OWASP's figure for PBKDF2-HMAC-SHA512 (mosquitto_passwd's own default, 101, is far too low). */
export const DEFAULT_PBKDF2_ITERATIONS = 210_000;

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const MOSQ_SALT_BYTES = 12;
const MOSQ_KEY_BYTES = 64;

/** scrypt as a promise; injectable so tests can count calls. */
export type ScryptFn = (password: Buffer, salt: Buffer, keylen: number, params: ScryptParams) => Promise<Buffer>;

export const nodeScrypt: ScryptFn = (password, salt, keylen, { N, r, p }) =>
  new Promise((resolve, reject) => {
    // maxmem: node's default (32 MiB) is just enough for N=2^14, r=8; leave room for stronger params.
    crypto.scrypt(password, salt, keylen, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });

export class PasswordHashError extends Error {
  readonly code = "bad_hash" as const;
}

export interface ParsedScrypt {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

/** Reads `scrypt$N$r$p$salt$hash`; throws PasswordHashError for anything else or for unsafe parameters. */
export function parseScryptHash(stored: string): ParsedScrypt {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") throw new PasswordHashError("expected scrypt$N$r$p$salt$hash");
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Bounds keep a hand-edited file from asking for gigabytes per login.
  if (!Number.isInteger(N) || N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0) throw new PasswordHashError(`scrypt N=${parts[1]}: expected a power of two, 2..2^20`);
  if (!Number.isInteger(r) || r < 1 || r > 32) throw new PasswordHashError(`scrypt r=${parts[2]}: expected 1..32`);
  if (!Number.isInteger(p) || p < 1 || p > 16) throw new PasswordHashError(`scrypt p=${parts[3]}: expected 1..16`);
  const salt = Buffer.from(parts[4]!, "base64");
  const hash = Buffer.from(parts[5]!, "base64");
  if (salt.length < 8 || hash.length < 16) throw new PasswordHashError("scrypt salt or hash too short");
  return { params: { N, r, p }, salt, hash };
}

/** A new scrypt hash with a fresh random salt. */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT, scrypt: ScryptFn = nodeScrypt): Promise<string> {
  const salt = crypto.randomBytes(SALT_BYTES);
  const hash = await scrypt(Buffer.from(password, "utf8"), salt, KEY_BYTES, params);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

/**
 * Checks a password against a parsed hash: exactly one scrypt call, constant-time comparison.
 * Callers verify unknown users against a dummy (see `dummyHash`) so both paths cost the same.
 */
export async function verifyPassword(stored: ParsedScrypt, password: Buffer, scrypt: ScryptFn = nodeScrypt): Promise<boolean> {
  const key = await scrypt(password, stored.salt, stored.hash.length, stored.params);
  return key.length === stored.hash.length && crypto.timingSafeEqual(key, stored.hash);
}

/** A hash no password matches (random bytes, not a scrypt output), with the given cost. */
export function dummyHash(params: ScryptParams = DEFAULT_SCRYPT): ParsedScrypt {
  return { params, salt: crypto.randomBytes(SALT_BYTES), hash: crypto.randomBytes(KEY_BYTES) };
}

/** Mosquitto's `$7$` hash (PBKDF2-HMAC-SHA512) of a password, with a fresh salt. */
export async function mosquittoHash(password: string, iterations = DEFAULT_PBKDF2_ITERATIONS, salt = crypto.randomBytes(MOSQ_SALT_BYTES)): Promise<string> {
  const key = await new Promise<Buffer>((resolve, reject) =>
    crypto.pbkdf2(password, salt, iterations, MOSQ_KEY_BYTES, "sha512", (err, k) => (err ? reject(err) : resolve(k))),
  );
  return `$7$${iterations}$${salt.toString("base64")}$${key.toString("base64")}`;
}
