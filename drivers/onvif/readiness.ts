/**
 * What a room profile may expect of an ONVIF camera: a PTZ position read back (GetStatus) within a
 * tolerance in ONVIF's normalised space (pan/tilt -1..1, zoom 0..1), a preset (by the driver's
 * memory, or proven by `position`), and a PTZ service. Profile S has no standby: `power` is not a
 * state this driver has.
 */
import { z } from "zod";
import { cameraItems, expectFlag, unsupported, type DriverReadiness } from "../readiness.js";

const unit = z.number().min(-1).max(1);

export const onvifProfileSchema = z
  .strictObject({
    power: unsupported("ONVIF Profile S has no power state; check the camera answers instead (every profile checks that)"),
    preset: z.union([z.number().int().min(0), z.string().min(1)]).optional().describe("The preset (number or token) the camera should be at."),
    position: z
      .strictObject({
        pan: unit.describe("Pan, -1..1."),
        tilt: unit.describe("Tilt, -1..1."),
        zoom: z.number().min(0).max(1).optional().describe("Zoom, 0..1."),
        tolerance: z.number().min(0).max(1).default(0.02).describe("Allowed difference per axis (normalised)."),
      })
      .optional()
      .describe("The position read back must be within tolerance."),
    ptz: z.literal(true).optional().describe("The camera must offer PTZ on the configured profile."),
  })
  .describe("Readiness expectations of an ONVIF camera.");

export type OnvifProfile = z.output<typeof onvifProfileSchema>;

export const readiness: DriverReadiness<OnvifProfile> = {
  profile: onvifProfileSchema,
  evaluate(p, s) {
    const state = { ...s, lastPreset: s.lastPreset === null || s.lastPreset === undefined ? s.lastPreset : normalisePreset(s.lastPreset, p.preset) };
    const items = cameraItems({ preset: p.preset, position: p.position }, state, "");
    if (p.ptz) items.unshift(expectFlag("ptz", "PTZ available", s.ptz, true, ["PTZ", "no PTZ"], "no_ptz", "choose a media profile with a PTZ configuration (options.profile)"));
    return items;
  },
};

/** The driver remembers a token; a profile may name the preset by number: compare like with like. */
function normalisePreset(last: unknown, wanted: unknown): unknown {
  return typeof wanted === "number" && typeof last === "string" && /^\d+$/.test(last) ? Number(last) : last;
}
