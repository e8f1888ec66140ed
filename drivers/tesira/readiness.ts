/**
 * What a room profile may expect of a Tesira DSP: each named channel's mute and level. The driver
 * reads no meters, so `signal` is not a state it has (a config error, not a silent pass).
 */
import { audioItems, audioProfileSchema, unknownNames, type AudioProfile, type DriverReadiness, type ProfileIssue } from "../readiness.js";
import { parseTesiraOptions } from "./options.js";

export const tesiraProfileSchema = audioProfileSchema({ unsupported: "the Tesira driver reads no meters, so it cannot tell whether a signal is present" });

export const readiness: DriverReadiness<AudioProfile> = {
  profile: tesiraProfileSchema,
  crossCheck(p, options) {
    const channels = parseTesiraOptions(options).channels;
    const issues: ProfileIssue[] = unknownNames(Object.keys(p.channels), [...channels.keys()], ["channels"], "channel");
    for (const [name, want] of Object.entries(p.channels)) {
      const c = channels.get(name);
      if (!c) continue;
      if (want.muted !== undefined && !c.mute) issues.push({ path: ["channels", name, "muted"], message: `channel ${name} has no mute control in options.channels` });
      if (want.levelDb !== undefined && !c.level) issues.push({ path: ["channels", name, "levelDb"], message: `channel ${name} has no level control in options.channels` });
    }
    return issues;
  },
  evaluate: (p, s) => audioItems(p, s),
};
