/**
 * The one place that decides whether a TCP peer speaks plain MDC or the "Secured Protocol".
 *
 * What secured firmware sends (python-samsung-mdc, vgavro/samsung-mdc, connection.py): right after
 * the TCP connect the display writes the 15 ASCII bytes `MDCSTART<<TLS>>`, then waits for a TLS
 * ClientHello; after TLS the controller sends a 4-digit PIN and the display answers
 * `MDCAUTH<<PASS>>` or `MDCAUTH<<FAIL:xxxx>>`. Plain MDC is never preceded by anything.
 * We also treat a TLS record header (`16 03`) as the signal, in case a firmware skips the banner.
 * Anything else that is not `AA` is ordinary junk (the framer counts it), not a protocol verdict.
 */

export const SECURED_GREETING = Buffer.from("MDCSTART<<TLS>>", "latin1");
/** Enough of the banner to be sure (a plain MDC stream never starts with `M`). */
const GREETING_PREFIX = SECURED_GREETING.subarray(0, 8); // "MDCSTART"
const TLS_RECORD = Buffer.from([0x16, 0x03]);

export type Greeting = "mdc" | "secured" | "other" | "undecided";

/**
 * Classifies the first bytes a TCP peer sent on a fresh connection (all of them so far):
 * `mdc` (starts with `AA`), `secured` (the banner or a TLS record), `other` (junk: keep framing),
 * or `undecided` (too few bytes yet: call again with more).
 */
export function classifyGreeting(first: Buffer): Greeting {
  if (first.length === 0) return "undecided";
  if (first[0] === 0xaa) return "mdc";
  for (const sign of [GREETING_PREFIX, TLS_RECORD]) {
    const n = Math.min(first.length, sign.length);
    if (first.subarray(0, n).equals(sign.subarray(0, n))) return n === sign.length ? "secured" : "undecided";
  }
  return "other";
}

/** What the operator reads in health when the display demands the secured protocol. */
export const SECURED_MESSAGE =
  "the display demands MDC \"Secured Protocol\" (TLS with a PIN), which this driver does not speak: " +
  "turn Secured Protocol off in the display's network/MDC settings, or connect it over RS-232";
