/**
 * What a room profile may expect of an X32/M32: each named strip's mute and fader level, and a
 * signal on input channels (/ch/NN) when the driver reads meters (`options.meters: true`).
 */
import { audioItems, audioProfileSchema, unknownNames, type AudioProfile, type DriverReadiness, type ProfileIssue } from "../readiness.js";
import { parseX32Options } from "./options.js";

/** Input level above which a microphone counts as live (dBFS); the desk's silence reads -120. */
export const SIGNAL_MIN_DB = -60;

export const x32ProfileSchema = audioProfileSchema({ minDbDefault: SIGNAL_MIN_DB });

export const readiness: DriverReadiness<AudioProfile> = {
  profile: x32ProfileSchema,
  crossCheck(p, options) {
    const o = parseX32Options(options);
    const issues: ProfileIssue[] = unknownNames(Object.keys(p.channels), Object.keys(o.channels), ["channels"], "channel");
    for (const [name, want] of Object.entries(p.channels)) {
      const c = o.channels[name];
      if (!c || want.signal === undefined) continue;
      if (!o.meters) issues.push({ path: ["channels", name, "signal"], message: "signal needs options.meters: true (the driver reads meters only then)" });
      else if (!/^\/ch\/\d{2}$/.test(c.path)) issues.push({ path: ["channels", name, "signal"], message: `signal is metered on input channels (/ch/NN) only; ${name} is ${c.path}` });
    }
    return issues;
  },
  evaluate: (p, s) => audioItems(p, s, SIGNAL_MIN_DB),
};
