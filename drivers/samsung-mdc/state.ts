/**
 * State of an MDC device: one record per display, plus top-level summary fields so that a
 * one-display device reads flat and a wall reads "mixed" where its displays disagree.
 * Health per display comes from its link outcome (timeout, NAK) and its sensors (0D); the
 * device's health is the worst of its displays.
 */
import type { Health, HealthStatus } from "../types.js";
import type { MdcSet } from "./codec.js";
import type { MdcOptions } from "./options.js";

export type DisplayPower = "on" | "off" | "booting";

/** One display's state (a type alias so that it is assignable to `Record<string, unknown>`). */
export type DisplayState = {
  /** The MDC display id. */
  id: number;
  power: DisplayPower | null;
  volume: number | null;
  mute: boolean | null;
  input: string | null;
  brightness: number | null;
  blanked: boolean | null;
  /** °C from error status (0D). */
  temperature: number | null;
  /** The display's own temperature error flag (0D). */
  temperatureError: boolean | null;
  fanFault: boolean | null;
  /** No signal (or an unsupported one) on the selected input. */
  noSync: boolean | null;
  model: string | null;
  serial: string | null;
  software: string | null;
  health: Health;
};

export type Mixed<T> = T | "mixed" | null;

export type LinkErrorCounts = {
  /** Frames whose checksum did not add up. */
  badChecksum: number;
  /** Answers carrying another display id than the one asked. */
  wrongId: number;
  /** Runs of bytes that were not frames. */
  junk: number;
  /** Frames cut off, or too short to be an answer. */
  short: number;
  /** Answers nobody waited for (late after a timeout). */
  unmatched: number;
};

export type MdcState = {
  displays: Record<string, DisplayState>;
  power: Mixed<DisplayPower>;
  input: Mixed<string>;
  blanked: Mixed<boolean>;
  volume: Mixed<number>;
  mute: Mixed<boolean>;
  brightness: Mixed<number>;
  /** The hottest display. */
  temperature: number | null;
  /** True when any display reports a fan fault. */
  fanFault: boolean | null;
  /** True when any display has no signal. */
  noSync: boolean | null;
  model: Mixed<string>;
  /** One display: its serial; several: `name=serial` pairs joined by `,`. */
  serial: string | null;
  software: Mixed<string>;
  linkErrors: LinkErrorCounts;
};

export const STATE_FIELDS = [
  "displays", "power", "input", "blanked", "volume", "mute", "brightness", "temperature", "fanFault", "noSync",
  "model", "serial", "software", "linkErrors",
] as const satisfies readonly (keyof MdcState)[];

export function initialDisplay(id: number): DisplayState {
  return {
    id, power: null, volume: null, mute: null, input: null, brightness: null, blanked: null, temperature: null,
    temperatureError: null, fanFault: null, noSync: null, model: null, serial: null, software: null,
    health: { status: "unknown" },
  };
}

export function initialLinkErrors(): LinkErrorCounts {
  return { badChecksum: 0, wrongId: 0, junk: 0, short: 0, unmatched: 0 };
}

/** What an ACKed set changed on the display. `wasOn` decides whether power-on means "booting". */
export function patchForSet(set: MdcSet, current: DisplayState): Partial<DisplayState> {
  switch (set.type) {
    case "power":
      if (set.value === "off") return { power: "off" };
      if (set.value === "reboot") return { power: "booting" };
      return { power: current.power === "on" ? "on" : "booting" };
    case "volume":
      return { volume: set.percent };
    case "mute":
      return { mute: set.on };
    case "input":
      return { input: set.input };
    case "brightness":
      return { brightness: set.percent };
    case "panel":
      return { blanked: set.blanked };
  }
}

/**
 * A display's health: a link problem (`comm`: timeout, NAK) first, then its sensors.
 * Messages carry no live values, so health is re-emitted only when its meaning changes.
 */
export function displayHealth(name: string, d: DisplayState, comm: Health | null, opts: MdcOptions): Health {
  if (comm) return comm;
  if (d.temperatureError || (d.temperature !== null && d.temperature >= opts.maxTemperatureC)) {
    const why = d.temperatureError ? "the display reports a temperature error" : `temperature at or above ${opts.maxTemperatureC} °C`;
    return { status: "degraded", code: "overtemperature", message: `${name}: ${why}` };
  }
  if (d.fanFault && opts.fanFaultDegrades) {
    return { status: "degraded", code: "fan_fault", message: `${name}: the display reports a fan fault` };
  }
  if (d.power === null) return { status: "unknown" };
  return { status: "ok" };
}

const RANK: Record<HealthStatus, number> = { ok: 0, unknown: 1, degraded: 2, unreachable: 3, fault: 4 };

/** The worst of several healths (the first of equals); `unknown` for none. */
export function worstHealth(healths: readonly Health[]): Health {
  let worst: Health | undefined;
  for (const h of healths) if (!worst || RANK[h.status] > RANK[worst.status]) worst = h;
  return worst ?? { status: "unknown" };
}

/** The common value of the known ones, "mixed" when they differ, null when none is known. */
export function common<T>(values: readonly (T | null)[]): Mixed<T> {
  const known = values.filter((v): v is T => v !== null);
  if (known.length === 0) return null;
  return known.every((v) => v === known[0]) ? known[0]! : "mixed";
}

export function summarize(displays: Record<string, DisplayState>, linkErrors: LinkErrorCounts): MdcState {
  const all = Object.values(displays);
  const pick = <K extends keyof DisplayState>(k: K) => all.map((d) => d[k]);
  const temps = pick("temperature").filter((t): t is number => t !== null);
  const anyTrue = (vals: (boolean | null)[]): boolean | null =>
    vals.some((v) => v === true) ? true : vals.some((v) => v === false) ? false : null;
  const serials = Object.entries(displays).filter(([, d]) => d.serial !== null);
  return {
    displays: Object.fromEntries(Object.entries(displays).map(([n, d]) => [n, { ...d, health: { ...d.health } }])),
    power: common(pick("power")),
    input: common(pick("input")),
    blanked: common(pick("blanked")),
    volume: common(pick("volume")),
    mute: common(pick("mute")),
    brightness: common(pick("brightness")),
    temperature: temps.length === 0 ? null : Math.max(...temps),
    fanFault: anyTrue(pick("fanFault")),
    noSync: anyTrue(pick("noSync")),
    model: common(pick("model")),
    serial:
      serials.length === 0 ? null
      : all.length === 1 ? serials[0]![1].serial
      : serials.map(([n, d]) => `${n}=${d.serial}`).join(","),
    software: common(pick("software")),
    linkErrors: { ...linkErrors },
  };
}
