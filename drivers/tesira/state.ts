/**
 * The Tesira driver's state (the common audio vocabulary, L-audio-common). Pushed values reach the
 * `state` event through drivers/state-emitter.ts, so they do not flood it.
 */
import type { ChannelSpec } from "./options.js";

export interface ChannelState {
  muted: boolean | null;
  levelDb: number | null;
}

/** A type alias (not an interface) so that it is assignable to the agent's `Record<string, unknown>`. */
export type TesiraState = {
  channels: Record<string, ChannelState>;
  /** The answer to the keepalive/probe command (`DEVICE get version`), or null. */
  firmware: string | null;
  /** Subscriptions the DSP has accepted on this session. */
  subscriptions: number;
  /** Welcome banners seen while the session was already up: DSP reboots or design pushes. */
  reboots: number;
  /** Lines over `maxLineLength`, dropped. */
  droppedLines: number;
  /** Lines that looked like answers or pushes but did not parse. */
  garbledLines: number;
  /** Echoes and other lines that were not for us (an echo storm shows here). */
  ignoredLines: number;
};

export const STATE_FIELDS = ["channels", "firmware", "subscriptions", "reboots", "droppedLines", "garbledLines", "ignoredLines"] as const;

export function initialState(channels: Iterable<ChannelSpec> = []): TesiraState {
  const out: Record<string, ChannelState> = {};
  for (const c of channels) out[c.name] = { muted: null, levelDb: null };
  return { channels: out, firmware: null, subscriptions: 0, reboots: 0, droppedLines: 0, garbledLines: 0, ignoredLines: 0 };
}

export function cloneState(s: TesiraState): TesiraState {
  const channels: Record<string, ChannelState> = {};
  for (const [k, v] of Object.entries(s.channels)) channels[k] = { ...v };
  return { ...s, channels };
}
