/**
 * The ONVIF simulator's fault switches, settable at any time from tests or `roomgate sim`.
 * Setters check their value, so a typo at the prompt is refused instead of breaking the camera.
 */
import type { CommonFaults } from "../types.js";
import { PTZ_FAULTS } from "./soap.js";

export interface OnvifFaults extends CommonFaults {
  /** Refuse every credential (as if the camera's password had been changed); PRE_AUTH calls still work. */
  authFail: boolean;
  /** Answer authentication failures with an HTML 401 page instead of a SOAP fault. */
  html401: boolean;
  /** Answer PTZ motion and preset commands with this PTZ fault (e.g. `MovingPTZ`), or null. */
  ptzFault: string | null;
  /** The camera's clock offset from the real (or injected) clock, ms. */
  clockSkewMs: number;
}

export class OnvifFaultControls implements OnvifFaults {
  silent = false;
  garbage = false;
  authFail = false;
  html401 = false;
  #slowMs = 0;
  #ptzFault: string | null = null;
  #clockSkewMs = 0;

  get slowMs(): number {
    return this.#slowMs;
  }
  set slowMs(ms: number) {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`slowMs must be a number >= 0, got ${ms}`);
    this.#slowMs = ms;
  }

  get ptzFault(): string | null {
    return this.#ptzFault;
  }
  set ptzFault(code: string | null) {
    if (code !== null && !(code in PTZ_FAULTS)) {
      throw new RangeError(`unknown PTZ fault "${String(code)}"; one of ${Object.keys(PTZ_FAULTS).join(", ")}`);
    }
    this.#ptzFault = code;
  }

  get clockSkewMs(): number {
    return this.#clockSkewMs;
  }
  set clockSkewMs(ms: number) {
    if (!Number.isFinite(ms) || Math.abs(ms) > 10 * 365 * 86_400_000) throw new RangeError(`clock skew must be a number of ms within 10 years, got ${ms}`);
    this.#clockSkewMs = ms;
  }

  toJSON(): OnvifFaults {
    return {
      silent: this.silent, garbage: this.garbage, slowMs: this.slowMs, authFail: this.authFail,
      html401: this.html401, ptzFault: this.ptzFault, clockSkewMs: this.clockSkewMs,
    };
  }
}

export const ONVIF_CONTROL_HELP = `onvif camera controls:
  auth DEV on|off              on = refuse every credential (as after a password change); off = normal
  skew DEV MS                  set the camera clock's offset in ms (e.g. 600000 = 10 min ahead)
  html401 DEV on|off           answer auth failures with an HTML 401 page instead of a SOAP fault
  ptzfault DEV CODE|off        answer PTZ motion/preset commands with a PTZ fault (${Object.keys(PTZ_FAULTS).join(", ")})`;

function onOff(verb: string, v: string | undefined): boolean {
  if (v === "on") return true;
  if (v === "off") return false;
  throw new Error(`${verb}: expected on or off, got "${v ?? ""}"`);
}

/**
 * Runs one device-specific control (`args` are what follows the device id). Returns the answer
 * line, undefined for a verb that is not the ONVIF simulator's; throws for a bad value.
 */
export function runControl(f: OnvifFaultControls, verb: string, args: readonly string[]): string | undefined {
  const v = args[0];
  switch (verb) {
    case "auth":
      f.authFail = onOff(verb, v);
      return f.authFail ? "auth failures forced: every credential is refused" : "auth normal";
    case "html401":
      f.html401 = onOff(verb, v);
      return `html401=${f.html401}`;
    case "skew": {
      const ms = Number(v);
      if (v === undefined || v.trim() === "" || !Number.isFinite(ms)) throw new Error(`skew: expected a number of ms, got "${v ?? ""}"`);
      f.clockSkewMs = ms;
      return `clock skew ${ms} ms`;
    }
    case "ptzfault":
      if (v === undefined) throw new Error(`ptzfault: expected a fault code or off; one of ${Object.keys(PTZ_FAULTS).join(", ")}`);
      f.ptzFault = v === "off" ? null : v;
      return `ptzfault=${f.ptzFault ?? "off"}`;
    default:
      return undefined;
  }
}
