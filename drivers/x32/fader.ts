/**
 * The X32 fader law (PROTOCOLS.md): a fader is a float 0..1 on the wire, shown in dB by a
 * piecewise-linear law with breakpoints at 0.0625 (-60 dB), 0.25 (-30 dB) and 0.5 (-10 dB):
 *
 *   f >= 0.5    : dB = 40f - 30     (-10 .. +10)
 *   f >= 0.25   : dB = 80f - 50     (-30 .. -10)
 *   f >= 0.0625 : dB = 160f - 70    (-60 .. -30)
 *   else        : dB = 480f - 90    (-90 .. -60; 0 is -inf on the desk, shown here as -90)
 *
 * Pure functions, shared by the driver and the simulator's tests.
 */

export const FADER_MIN_DB = -90;
export const FADER_MAX_DB = 10;

/** Wire float (clamped to 0..1) -> dB. */
export function faderToDb(f: number): number {
  const x = Math.min(1, Math.max(0, f));
  if (x >= 0.5) return 40 * x - 30;
  if (x >= 0.25) return 80 * x - 50;
  if (x >= 0.0625) return 160 * x - 70;
  return 480 * x - 90;
}

/** dB (-90..+10) -> wire float; throws RangeError outside the range (levels are rejected, not clamped). */
export function dbToFader(db: number): number {
  if (!Number.isFinite(db) || db < FADER_MIN_DB || db > FADER_MAX_DB) {
    throw new RangeError(`fader level ${db} dB is outside ${FADER_MIN_DB}..${FADER_MAX_DB} dB`);
  }
  if (db >= -10) return (db + 30) / 40;
  if (db >= -30) return (db + 50) / 80;
  if (db >= -60) return (db + 70) / 160;
  return (db + 90) / 480;
}

/** dB rounded to 0.1, the resolution we publish (the desk itself has 1024 fader steps). */
export function roundDb(db: number): number {
  return Math.round(db * 10) / 10 + 0; // + 0 turns -0 into 0
}

/** Meter floor: a linear level of 0 (silence) is published as this, since -Infinity is not JSON. */
export const METER_FLOOR_DB = -120;

/** Linear meter value (0..1 = full scale) -> dBFS, floored at METER_FLOOR_DB, rounded to 0.1. */
export function linearToDb(v: number): number {
  if (!Number.isFinite(v) || v <= 0) return METER_FLOOR_DB;
  return roundDb(Math.max(METER_FLOOR_DB, 20 * Math.log10(v)));
}

/** dBFS -> linear meter value (for simulators). */
export function dbToLinear(db: number): number {
  return db <= METER_FLOOR_DB ? 0 : 10 ** (db / 20);
}
