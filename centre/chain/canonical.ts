/**
 * The canonical serialisation the audit chain hashes and signs: JSON with the keys of every object
 * sorted (by UTF-16 code unit, as Array.prototype.sort does), no whitespace, `undefined` left out,
 * numbers as JSON.stringify writes them (shortest round-trip form). A row read back from either
 * database serialises to the same text: times are integers, jsonb keeps every value and the order
 * of keys does not matter here, float8 round-trips exactly.
 */
import { createHash } from "node:crypto";

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) throw new Error(`cannot hash a non-finite number (${value})`);
    return JSON.stringify(value ?? null);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(",")}]`;
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
}

export const GENESIS = "0".repeat(64);

/** sha256(prevHash "\n" canonical(body)), hex. */
export function chainHash(prevHash: string, body: unknown): string {
  return createHash("sha256").update(prevHash).update("\n").update(canonicalJson(body)).digest("hex");
}
