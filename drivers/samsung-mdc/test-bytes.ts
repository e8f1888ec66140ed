/** Test-only helpers: readable hex <-> Buffer (never used in production code). */

/** `AA 11 01 00 12` -> Buffer. */
export function hexBytes(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ""), "hex");
}

/** Buffer -> `AA 11 01 00 12`. */
export function toHex(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0").toUpperCase()).join(" ");
}
