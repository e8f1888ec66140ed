/**
 * What a room profile may expect of a conference codec, whatever it speaks (kind codec: Poly, Cisco),
 * judged on the vocabulary's state (drivers/codec/vocabulary.ts): registered, awake (not in standby),
 * and the room's microphones muted or unmuted. Every codec driver exports this as its `readiness`
 * (`export { readiness } from "../codec/readiness.js"`), so a technician reads the same items and
 * codes on every codec.
 *
 * The optional test call is not here: it dials, waits and hangs up, which a pure judgement of one
 * read state cannot do. It is the agent's codec module's readiness item (agent/calls/test-call.ts).
 */
import { z } from "zod";
import { expectFlag, type DriverReadiness, type ReadinessItem } from "../readiness.js";
import type { Registration } from "./vocabulary.js";

export const codecProfileSchema = z
  .strictObject({
    registered: z
      .literal(true)
      .optional()
      .describe("true: every enabled registration (SIP, H.323) must be registered, as the codec reports it; a call cannot be placed before."),
    awake: z.literal(true).optional().describe("true: the codec must be awake, not in standby (the prepare scene fixes it: standby.set {on: false})."),
    mic: z
      .enum(["muted", "unmuted"])
      .optional()
      .describe("The room's microphones as the room expects them at the start (the prepare scene fixes it: mic.mute {on: ...})."),
  })
  .describe("Readiness expectations of a conference codec.");

export type CodecProfile = z.output<typeof codecProfileSchema>;

const PREPARE = "roomgate check --fix runs the prepare scene";

export const readiness: DriverReadiness<CodecProfile> = {
  profile: codecProfileSchema,
  evaluate(p, s) {
    const items: ReadinessItem[] = [];
    if (p.registered !== undefined) items.push(registeredItem(s));
    if (p.awake !== undefined) {
      items.push(expectFlag("awake", "awake (not in standby)", s.standby, false, ["in standby", "awake"], "standby", `wake the codec: standby.set {on: false} (${PREPARE})`));
    }
    if (p.mic !== undefined) {
      const muted = p.mic === "muted";
      const mic = (s.mic as { muted?: unknown } | undefined)?.muted;
      items.push(expectFlag("mic", `microphones ${p.mic}`, mic, muted, ["muted", "unmuted"], muted ? "not_muted" : "muted", `mic.mute {on: ${muted}} (${PREPARE})`));
    }
    return items;
  },
};

/** `registered`, with the device's own words for each registration when it is not. */
function registeredItem(s: Record<string, unknown>): ReadinessItem {
  const fix = "check the codec's SIP/H.323 settings (registrar or gatekeeper address, account) and its network path to them";
  const item = expectFlag("registered", "registered (SIP/H.323)", s.registered, true, ["registered", "not registered"], "not_registered", fix);
  if (item.result === "fail" && item.code === "not_registered") {
    const r = s.registration as Partial<Record<"sip" | "h323", Registration>> | undefined;
    const words = (["sip", "h323"] as const)
      .flatMap((k) => (r?.[k] && r[k].status !== "disabled" && r[k].status !== "registered" ? [`${k}: ${r[k].status} (${r[k].detail})`] : []))
      .join("; ");
    if (words !== "") item.message = `${item.message}: ${words}`;
  }
  return item;
}
