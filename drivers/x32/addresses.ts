/**
 * X32 / M32 OSC addresses the driver uses, in one table (pure, no I/O).
 *
 * Strips: `/ch/01..32`, `/auxin/01..08`, `/fxrtn/01..08`, `/bus/01..16`, `/mtx/01..06`,
 * `/main/st` (stereo), `/main/m` (mono/centre): mute is `<path>/mix/on ,i` (1 = on = UNMUTED,
 * 0 = muted) and level is `<path>/mix/fader ,f`. DCAs `/dca/1..8` have no `mix` node:
 * `/dca/N/on` and `/dca/N/fader`.
 */
import { encodeMessage } from "./osc.js";

/** A strip path an operator may name in `options.channels`. */
export const STRIP_PATH = /^\/(ch\/(0[1-9]|[12][0-9]|3[0-2])|auxin\/0[1-8]|fxrtn\/0[1-8]|bus\/(0[1-9]|1[0-6])|mtx\/0[1-6]|main\/(st|m)|dca\/[1-8])$/;

export const STRIP_PATH_HELP =
  "one of /ch/01../ch/32, /auxin/01..08, /fxrtn/01..08, /bus/01../bus/16, /mtx/01..06, /main/st, /main/m, /dca/1..8";

export interface StripAddresses {
  /** `,i` 1 = on (unmuted), 0 = muted. */
  on: string;
  /** `,f` 0..1, the fader law of fader.ts. */
  fader: string;
  /** Index of this strip's input level in the `/meters/1` blob, or null when /meters/1 has none. */
  meterIndex: number | null;
}

export function stripAddresses(path: string): StripAddresses {
  const dca = path.startsWith("/dca/");
  const ch = /^\/ch\/(\d\d)$/.exec(path);
  return {
    on: dca ? `${path}/on` : `${path}/mix/on`,
    fader: dca ? `${path}/fader` : `${path}/mix/fader`,
    // /meters/1: 96 floats = 32 input channel levels, 32 gate and 32 dynamics gain reductions.
    meterIndex: ch ? Number(ch[1]) - 1 : null,
  };
}

/** The meter bank we subscribe to, and how many floats it carries. */
export const METERS_INPUTS = "/meters/1";
export const METERS_INPUTS_COUNT = 96;

/** Identity: answered `/xinfo ,ssss <ip> <name> <model> <firmware>`. */
export const XINFO = "/xinfo";
/** Subscribe this client (ip:port) to change pushes for 10 s. No reply. */
export const XREMOTE = "/xremote";
/** `/meters ,s /meters/N`: the desk pushes `/meters/N ,b <blob>` for 10 s. */
export const METERS = "/meters";
/** `,i N`: load scene N (0..99). No reply. */
export const GOSCENE = "/-action/goscene";
export const SCENE_MAX = 99;

export const queryMessage = (address: string): Buffer => encodeMessage(address);
export const xremoteMessage = (): Buffer => encodeMessage(XREMOTE);
export const metersMessage = (bank = METERS_INPUTS): Buffer => encodeMessage(METERS, [{ type: "s", value: bank }]);
export const sceneMessage = (scene: number): Buffer => encodeMessage(GOSCENE, [{ type: "i", value: scene }]);
export const muteMessage = (addr: StripAddresses, muted: boolean): Buffer =>
  encodeMessage(addr.on, [{ type: "i", value: muted ? 0 : 1 }]);
export const faderMessage = (addr: StripAddresses, f: number): Buffer => encodeMessage(addr.fader, [{ type: "f", value: f }]);

/**
 * A meter blob: int32 count then `count` float32 values, all LITTLE-endian (unlike the rest of
 * OSC). Returns null when the blob is shorter than its count says.
 */
export function parseMeterBlob(blob: Buffer): number[] | null {
  if (blob.length < 4) return null;
  const count = blob.readInt32LE(0);
  if (count < 0 || blob.length < 4 + count * 4) return null;
  const values: number[] = [];
  for (let i = 0; i < count; i++) values.push(blob.readFloatLE(4 + i * 4));
  return values;
}

/** The inverse, for simulators and tests. */
export function encodeMeterBlob(values: readonly number[]): Buffer {
  const b = Buffer.alloc(4 + values.length * 4);
  b.writeInt32LE(values.length, 0);
  values.forEach((v, i) => b.writeFloatLE(v, 4 + i * 4));
  return b;
}
