/**
 * Device text (model, firmware, alarm codes, unknown state words) is untrusted: an encryptor's
 * console may echo key material, PINs or binary junk. Everything the codec hands out passes through
 * here first, so nothing raw can reach state, events or logs.
 *
 * Order matters: control bytes are removed (not replaced) first, so a key split by NULs joins back
 * into one long run and is caught; redaction runs on the whole text before it is cut to length,
 * so a cut can never leave a short, unredacted piece of a secret.
 */

export const REDACTED = "[redacted]";

/** Values of `key=` that are status words (PROTOCOLS.md), not secrets. */
const KEY_STATUS_WORDS = new Set(["VALID", "EXPIRING", "EXPIRED", "NONE"]);

/** `name=value` / `name: value` pairs whose value is a secret. */
// No leading word boundary: `tunnel_key=` and `PSK2=` must be caught too (over-redaction is harmless).
const SECRET_PAIR = /(key|psk\d?|pin|secret|password|passwd|pwd|pass|token|kek|tek)\s*[=:]\s*([^\s,;*]*)/gi;
/** 16+ hex digits: 64 bits or more, the size of any real key or key fragment worth hiding. */
const HEX_RUN = /[0-9A-Fa-f]{16,}/g;
/** 24+ base64 characters (18+ bytes) with padding. */
const BASE64_RUN = /[A-Za-z0-9+/]{24,}={0,2}/g;

/** Replaces anything that looks like key material with `[redacted]`. */
export function redactSecrets(text: string): string {
  return text
    .replace(SECRET_PAIR, (whole, name: string, value: string) =>
      name.toLowerCase() === "key" && KEY_STATUS_WORDS.has(value.toUpperCase()) ? whole : `${name}=${REDACTED}`,
    )
    .replace(HEX_RUN, REDACTED)
    .replace(BASE64_RUN, (run) => (/[0-9+/]/.test(run) && /[A-Za-z]/.test(run) ? REDACTED : run));
}

/**
 * Printable ASCII only, secrets redacted, at most `maxLength` characters.
 * Used for model and firmware strings.
 */
export function sanitizeText(raw: string, maxLength = 40): string {
  const printable = raw.replace(/[^\x20-\x7e]/g, "");
  return redactSecrets(printable).trim().slice(0, maxLength);
}

/**
 * An alarm code or status word: `[A-Za-z0-9_.-]` only (anything else becomes `_`), secrets redacted,
 * at most 32 characters. `SELFTEST_FAIL` passes unchanged.
 */
export function sanitizeCode(raw: string, maxLength = 32): string {
  const printable = raw.replace(/[^\x20-\x7e]/g, "");
  const redacted = redactSecrets(printable);
  if (redacted.includes(REDACTED)) return REDACTED;
  return redacted.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, maxLength);
}
