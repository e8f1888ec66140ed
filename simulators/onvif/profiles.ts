/** The simulated camera's fixed media profiles (main and sub stream on one video source). */
import { Faults } from "./soap.js";

export interface ProfileDef {
  token: string;
  name: string;
  width: number;
  height: number;
  fps: number;
  kbps: number;
}

export const PROFILES: readonly ProfileDef[] = [
  { token: "profile_1", name: "MainStream", width: 1920, height: 1080, fps: 30, kbps: 4096 },
  { token: "profile_2", name: "SubStream", width: 640, height: 360, fps: 15, kbps: 512 },
];
export const VIDEO_SOURCE = "video_source_1";

/** The profile named by the request's ProfileToken; unknown is ter:NoProfile. */
export function profileOf(token: string): ProfileDef {
  const p = PROFILES.find((x) => x.token === token);
  if (!p) throw Faults.noProfile(token);
  return p;
}
