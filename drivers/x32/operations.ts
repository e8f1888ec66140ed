/**
 * What the audio actions do on an X32, in terms of OSC requests (the driver supplies the I/O).
 *
 * The desk answers no set and does not echo our own sets through /xremote, so each set updates
 * the state at once and is confirmed by querying the address again (a fresh query, not one that
 * was already on its way). The confirmed value (on the desk's 1024 fader steps) is what we return.
 */
import type { ActionContext } from "../types.js";
import { DeviceError } from "../types.js";
import type { AudioHost, ChannelResult } from "./actions.js";
import { faderMessage, muteMessage, sceneMessage } from "./addresses.js";
import { dbToFader, FADER_MAX_DB, FADER_MIN_DB, faderToDb, roundDb } from "./fader.js";
import type { OscArg } from "./osc.js";
import type { ChannelState } from "./state.js";
import { parseFader, parseOn, type Strip } from "./strips.js";

export interface OperationsHost {
  /** The named strip; `invalid_args` listing the names for an unknown one, `not_connected` when down. */
  strip(channel: string): Strip;
  send(buf: Buffer, actx: ActionContext): Promise<void>;
  /** A fresh query with the action's deadline. */
  query(address: string, actx: ActionContext): Promise<OscArg[]>;
  readChannels(actx: ActionContext): Promise<void>;
  updateChannel(channel: string, patch: Partial<ChannelState>): void;
  setLastPreset(scene: number): void;
  degraded(message: string): void;
}

export function audioOperations(h: OperationsHost): AudioHost {
  const readOn = async (s: Strip, actx: ActionContext) => parseOn(await h.query(s.addr.on, actx), s.addr.on);
  const readDb = async (s: Strip, actx: ActionContext) => faderToDb(parseFader(await h.query(s.addr.fader, actx), s.addr.fader));

  async function setMute(channel: string, muted: boolean, actx: ActionContext): Promise<ChannelResult> {
    const strip = h.strip(channel);
    await h.send(muteMessage(strip.addr, muted), actx);
    h.updateChannel(channel, { muted });
    const confirmed = await readOn(strip, actx);
    h.updateChannel(channel, { muted: confirmed });
    if (confirmed !== muted) {
      const message = `the desk reports ${channel} ${confirmed ? "muted" : "unmuted"} after the set`;
      h.degraded(message);
      throw new DeviceError("device_error", message, { address: strip.addr.on });
    }
    return { ok: true, channel, muted: confirmed };
  }

  async function setLevel(channel: string, db: number, actx: ActionContext): Promise<ChannelResult> {
    const strip = h.strip(channel);
    let f: number;
    try {
      f = dbToFader(db);
    } catch (e) {
      throw new DeviceError("invalid_args", (e as Error).message, { min: FADER_MIN_DB, max: FADER_MAX_DB });
    }
    await h.send(faderMessage(strip.addr, f), actx);
    h.updateChannel(channel, { levelDb: roundDb(db) });
    const levelDb = roundDb(await readDb(strip, actx));
    h.updateChannel(channel, { levelDb });
    return { ok: true, channel, levelDb };
  }

  return {
    setMute,
    setLevel,
    async toggleMute(channel, actx) {
      return setMute(channel, !(await readOn(h.strip(channel), actx)), actx);
    },
    async stepLevel(channel, step, actx) {
      const current = roundDb(await readDb(h.strip(channel), actx));
      const target = roundDb(current + step);
      if (target < FADER_MIN_DB || target > FADER_MAX_DB) {
        throw new DeviceError(
          "invalid_args",
          `${channel} is at ${current} dB; a step of ${step} dB gives ${target} dB, outside ${FADER_MIN_DB}..${FADER_MAX_DB} dB (nothing changed)`,
          { currentDb: current, step, min: FADER_MIN_DB, max: FADER_MAX_DB },
        );
      }
      return setLevel(channel, target, actx);
    },
    async recallScene(scene, actx) {
      await h.send(sceneMessage(scene), actx);
      h.setLastPreset(scene);
      // goscene has no answer: reading the strips back proves the desk heard us and shows the scene's values.
      await h.readChannels(actx);
      return { ok: true, preset: scene };
    },
  };
}
