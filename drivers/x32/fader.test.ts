import { describe, expect, it } from "vitest";
import { dbToFader, faderToDb, linearToDb, METER_FLOOR_DB, roundDb } from "./fader.js";

describe("X32 fader law (PROTOCOLS.md)", () => {
  it.each([
    [1, 10],
    [0.75, 0],
    [0.5, -10], // breakpoint: 40f-30 and 80f-50 meet
    [0.375, -20],
    [0.25, -30], // breakpoint: 80f-50 and 160f-70 meet
    [0.125, -50],
    [0.0625, -60], // breakpoint: 160f-70 and 480f-90 meet
    [0.03125, -75],
    [0, -90],
  ])("float %d <-> %d dB, both ways", (f, db) => {
    expect(faderToDb(f)).toBeCloseTo(db, 10);
    expect(dbToFader(db)).toBeCloseTo(f, 10);
  });

  it("is continuous just either side of each breakpoint", () => {
    for (const f of [0.5, 0.25, 0.0625]) {
      expect(faderToDb(f - 1e-9)).toBeCloseTo(faderToDb(f), 5);
    }
  });

  it("round-trips every 0.1 dB step from -90 to +10", () => {
    for (let tenth = -900; tenth <= 100; tenth++) {
      const db = tenth / 10;
      expect(roundDb(faderToDb(dbToFader(db)))).toBe(roundDb(db));
    }
  });

  it("survives float32 on the wire: 0 dB comes back as 0 dB", () => {
    expect(roundDb(faderToDb(Math.fround(dbToFader(0))))).toBe(0);
    expect(roundDb(faderToDb(Math.fround(dbToFader(-37.3))))).toBe(-37.3);
  });

  it("rejects levels outside -90..+10 dB instead of clamping", () => {
    expect(() => dbToFader(10.1)).toThrow(RangeError);
    expect(() => dbToFader(-90.5)).toThrow(/outside -90\.\.10 dB/);
    expect(() => dbToFader(Number.NaN)).toThrow(RangeError);
  });

  it("clamps wire floats the desk should never send", () => {
    expect(faderToDb(1.5)).toBe(10);
    expect(faderToDb(-0.2)).toBe(-90);
  });
});

describe("meter values (linear 0..1 full scale) -> dBFS", () => {
  it.each([
    [1, 0],
    [0.5, -6],
    [0.1, -20],
    [0.001, -60],
  ])("%d -> %d dBFS", (v, db) => {
    expect(linearToDb(v)).toBeCloseTo(db, 0);
  });

  it("silence is the floor, not -Infinity (JSON has no -Infinity)", () => {
    expect(linearToDb(0)).toBe(METER_FLOOR_DB);
    expect(linearToDb(-1)).toBe(METER_FLOOR_DB);
    expect(linearToDb(1e-9)).toBe(METER_FLOOR_DB);
  });
});
