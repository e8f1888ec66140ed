/**
 * What a room profile may expect of the link encryptor (read-only ENC/1): SECURE with fresh
 * heartbeats, the tunnel up, a usable key. ENC/1 reports the key as VALID, EXPIRING, EXPIRED or
 * NONE and carries no expiry date, so "valid for at least N days" is the encryptor's own EXPIRING
 * threshold: `key: valid` passes VALID, warns on EXPIRING and fails the rest. `keyValidDays` is a
 * config error that says so rather than a check that cannot be made.
 */
import { z } from "zod";
import { expectEqual, unsupported, type DriverReadiness, type ReadinessItem } from "../readiness.js";
import { ENC_STATES } from "./codec.js";

export const enc1ProfileSchema = z
  .strictObject({
    state: z.enum(ENC_STATES).optional().describe("Expected state; SECURE for a session (also requires fresh heartbeats)."),
    tunnel: z.enum(["up", "down"]).optional().describe("Expected tunnel state."),
    key: z.literal("valid").optional().describe("valid: VALID passes, EXPIRING (the encryptor's warning period) warns, EXPIRED/NONE fail."),
    keyValidDays: unsupported("ENC/1 reports the key as VALID|EXPIRING|EXPIRED|NONE, without a date; use key: valid (EXPIRING = inside the encryptor's own warning period)"),
  })
  .describe("Readiness expectations of a link encryptor.");

export type Enc1Profile = z.output<typeof enc1ProfileSchema>;

const NO_CONTROL = "the agent cannot change the encryptor (read-only by design): ask the crypto custodian";

export const readiness: DriverReadiness<Enc1Profile> = {
  profile: enc1ProfileSchema,
  evaluate(p, s) {
    const items: ReadinessItem[] = [];
    if (p.state !== undefined) {
      const item = expectEqual("state", `state ${p.state}`, s.state, p.state, p.state === "SECURE" ? "not_secure" : "wrong_state", NO_CONTROL);
      // SECURE without fresh heartbeats is not secure (fail closed, as the interlock).
      if (p.state === "SECURE" && item.result === "pass" && s.secure !== true) {
        Object.assign(item, { result: "fail", code: "not_secure", message: "SECURE reported but heartbeats are not fresh" });
      }
      items.push(item);
    }
    if (p.tunnel !== undefined) items.push(expectEqual("tunnel", `tunnel ${p.tunnel}`, lower(s.tunnel), p.tunnel, p.tunnel === "up" ? "tunnel_down" : "tunnel_up", NO_CONTROL));
    if (p.key !== undefined) items.push(keyItem(s.key));
    return items;
  },
};

function keyItem(key: unknown): ReadinessItem {
  const base = { key: "key", name: "key valid", expected: "VALID", actual: key ?? null, fix: "have the key renewed (crypto custodian)" };
  if (key === "VALID") return { ...base, result: "pass" };
  if (key === "EXPIRING") return { ...base, result: "warn", code: "key_expiring", message: "the encryptor says the key expires soon" };
  if (key === null || key === undefined) return { ...base, result: "fail", code: "unknown", message: "the encryptor did not report its key" };
  return { ...base, result: "fail", code: "key_invalid", message: `key ${String(key)}` };
}

const lower = (v: unknown): unknown => (typeof v === "string" ? v.toLowerCase() : v);
