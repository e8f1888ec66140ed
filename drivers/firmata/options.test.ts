import { describe, expect, it } from "vitest";
import { z } from "zod";
import { firmataOptionsSchema, parseFirmataOptions } from "./options.js";
import { PinConfigError, rawToCelsius, resolvePins } from "./pins.js";
import { unoAnalogMapping, unoCapabilities } from "../../simulators/firmata/uno.js";

const uno = {
  supportedModes: unoCapabilities().map((m) => [...m.keys()]),
  analogPins: unoAnalogMapping().flatMap((ch, pin) => (ch === 0x7f ? [] : [pin])),
};

describe("Firmata options", () => {
  it("fills defaults and exports to JSON Schema", () => {
    const o = parseFirmataOptions({ pins: { "rack-power": { relay: 7 } } });
    expect(o).toMatchObject({ samplingMs: 100, handshakeTimeoutMs: 10_000, timeoutMs: 1000 });
    expect(o.pins["rack-power"]).toEqual({ relay: 7, type: "NO", initialOn: true });
    expect(() => z.toJSONSchema(firmataOptionsSchema, { io: "input" })).not.toThrow();
  });

  it("refuses a pin used twice, naming both", () => {
    expect(() => parseFirmataOptions({ pins: { a: { relay: 7 }, b: { led: 7 } } })).toThrow(
      /options\.pins\.b: pin "b": pin 7 is already used by "a"/,
    );
  });

  it("refuses an analog role on a digital pin, naming the pin", () => {
    expect(() => parseFirmataOptions({ pins: { t: { thermometer: 7, model: "LM35" } } })).toThrow(
      /options\.pins\.t\.thermometer: pin "t": an analog role needs an analog pin A0\.\.A15, got 7/,
    );
  });

  it("refuses bad names and unknown fields", () => {
    expect(() => parseFirmataOptions({ pins: { Rack: { relay: 7 } } })).toThrow(/a-z, 0-9/);
    expect(() => parseFirmataOptions({ pins: { r: { relay: 7, colour: "red" } } })).toThrow(/invalid_args|Invalid|colour/i);
  });
});

describe("pins against the board's capabilities", () => {
  it("resolves A0 to pin 14 and the roles' levels", () => {
    const o = parseFirmataOptions({ pins: { t: { thermometer: "A0", model: "TMP36" }, r: { relay: "A1", type: "NC" }, d: { switch: 2, invert: true } } });
    expect(resolvePins(o.pins, uno)).toEqual([
      { name: "t", kind: "thermometer", pin: 14, channel: 0, model: "TMP36", arefV: 5 },
      { name: "r", kind: "relay", pin: 15, activeHigh: false, initialOn: true },
      { name: "d", kind: "switch", pin: 2, pullup: true, closedLevel: 1 },
    ]);
  });

  it("names a pin beyond the board, a pin without the mode, and 14 vs A0 used twice", () => {
    const bad = (pins: unknown) => () => resolvePins(parseFirmataOptions({ pins }).pins, uno);
    expect(bad({ x: { relay: 20 } })).toThrow(new PinConfigError(`pin "x": pin 20 is beyond this board's 20 pins`));
    expect(bad({ x: { thermometer: "A6", model: "LM35" } })).toThrow(/pin "x": A6 is beyond this board's 6 analog pins/);
    expect(bad({ x: { led: 1 } })).toThrow(/pin "x": pin 1 cannot be an led/);
    expect(bad({ a: { relay: 14 }, b: { led: "A0" } })).toThrow(/pin "b": pin A0 is pin 14, already used by "a"/);
  });

  it("converts ADC readings with the datasheet transfer functions", () => {
    expect(rawToCelsius("LM35", 51, 5)).toBe(24.9);
    expect(rawToCelsius("TMP36", 153, 5)).toBe(24.8);
    expect(rawToCelsius("LM335", 610, 5)).toBe(25);
  });
});
