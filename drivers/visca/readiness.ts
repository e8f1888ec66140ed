/**
 * What a room profile may expect of a VISCA camera (docs/readiness.md): powered, at a position read
 * back within a tolerance (camera units), at a preset. VISCA cannot report which preset a camera is
 * at, so `preset` alone trusts the driver's memory of the last recall (a warn when there is none);
 * with `position` (the preset's position, as written down when it was stored) it is proven by the
 * read-back.
 */
import { z } from "zod";
import { cameraItems, type DriverReadiness } from "../readiness.js";

const axis = z.number().int().min(-32768).max(32767);

export const viscaProfileSchema = z
  .strictObject({
    power: z.enum(["on", "standby"]).optional().describe("Expected power state."),
    preset: z.number().int().min(0).max(254).optional().describe("The preset the camera should be at (0-based)."),
    position: z
      .strictObject({
        pan: axis.describe("Pan in camera units."),
        tilt: axis.describe("Tilt in camera units."),
        zoom: z.number().int().min(0).max(16384).optional().describe("Zoom position."),
        tolerance: z.number().int().min(0).max(4096).default(16).describe("Allowed difference per axis, camera units."),
      })
      .optional()
      .describe("The position read back (pan, tilt, zoom) must be within tolerance."),
  })
  .describe("Readiness expectations of a VISCA camera.");

export type ViscaProfile = z.output<typeof viscaProfileSchema>;

export const readiness: DriverReadiness<ViscaProfile> = {
  profile: viscaProfileSchema,
  evaluate(p, s) {
    return cameraItems(p, s, "power on the camera (or run the prepare scene: roomgate check --fix)");
  },
};
