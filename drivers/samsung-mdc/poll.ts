/**
 * What one poll reads from one display, and what it makes of NAKs:
 * status (00) gives power, volume, mute and input; when on, brightness (25) and panel (F9);
 * always error status (0D) for temperature, fan and no-sync; model/serial/software once.
 * A display that NAKs status but answers power "on" is booting (displays refuse most commands
 * for several seconds after power-on): that is normal, not a fault.
 */
import type { Health } from "../types.js";
import {
  parseByte, parseErrorStatus, parseModelNumber, parseStatus, parseText, type MdcGet,
} from "./codec.js";
import { PANEL_VALUE } from "./codec-tables.js";
import type { DisplayState } from "./state.js";

export type ReadResult = { ok: true; values: Buffer } | { ok: false; error: number };

/** Asks the display one get; rejects with a DeviceError (`timeout`, ...) when it does not answer. */
export type DisplayReader = (what: MdcGet) => Promise<ReadResult>;

export interface DisplayPoll {
  patch: Partial<DisplayState>;
  /** A link-level problem of this display (NAK on every read), or null. */
  comm: Health | null;
  /** The display answered power "on" but refuses status: it is booting. */
  booting: boolean;
  /** The identity was read (or found unavailable) in this poll. */
  identityRead: boolean;
}

/** Reads one display. Throws the reader's DeviceError (timeout) or an MdcCodecError (bad answer). */
export async function pollDisplay(name: string, read: DisplayReader, readIdentity: boolean): Promise<DisplayPoll> {
  const patch: Partial<DisplayState> = {};
  const status = await read("status");
  if (!status.ok) {
    const power = await read("power");
    if (!power.ok) {
      const message = `${name}: refuses status and power reads (NAK error 0x${power.error.toString(16).padStart(2, "0")})`;
      return { patch, comm: { status: "degraded", code: "nak", message }, booting: false, identityRead: false };
    }
    const on = parseByte(power.values, "power") !== 0;
    patch.power = on ? "booting" : "off";
    return { patch, comm: null, booting: on, identityRead: false };
  }
  const s = parseStatus(status.values);
  Object.assign(patch, { power: s.power, volume: s.volume, mute: s.mute, input: s.input });
  if (s.power === "on") {
    // Refused in standby on many models: keep the last known values then.
    const brightness = await read("brightness");
    if (brightness.ok) patch.brightness = parseByte(brightness.values, "brightness");
    const panel = await read("panel");
    if (panel.ok) patch.blanked = parseByte(panel.values, "panel") === PANEL_VALUE.blanked;
  }
  const errors = await read("errorStatus");
  if (errors.ok) {
    const e = parseErrorStatus(errors.values);
    Object.assign(patch, {
      temperature: e.temperature, temperatureError: e.temperatureError, fanFault: e.fanFault, noSync: e.noSync,
    });
  }
  if (readIdentity) {
    let model = await read("modelName");
    if (model.ok && parseText(model.values) !== "") patch.model = parseText(model.values);
    else {
      model = await read("modelNumber");
      if (model.ok) patch.model = parseModelNumber(model.values);
    }
    const serial = await read("serialNumber");
    if (serial.ok) patch.serial = parseText(serial.values);
    const software = await read("softwareVersion");
    if (software.ok) patch.software = parseText(software.values);
  }
  return { patch, comm: null, booting: false, identityRead: readIdentity };
}
