/**
 * What an Arduino Uno running StandardFirmata 2.5 reports about itself: 20 pins, 0/1 taken by the
 * serial link Firmata runs on (no modes), 2..19 digital in/out/pull-up, PWM on 3/5/6/9/10/11,
 * servo on 2..13, A0..A5 = pins 14..19 (10-bit ADC), I2C on A4/A5.
 */
import { MODE, NO_ANALOG, type PinCapabilities } from "../../drivers/firmata/codec.js";

export const UNO_PIN_COUNT = 20;
export const UNO_FIRST_ANALOG_PIN = 14;
export const UNO_ANALOG_CHANNELS = 6;
const PWM_PINS = new Set([3, 5, 6, 9, 10, 11]);

export function unoCapabilities(): PinCapabilities[] {
  const pins: PinCapabilities[] = [];
  for (let p = 0; p < UNO_PIN_COUNT; p++) {
    const caps = new Map<number, number>();
    if (p >= 2) {
      caps.set(MODE.INPUT, 1).set(MODE.OUTPUT, 1).set(MODE.PULLUP, 1);
      if (p >= UNO_FIRST_ANALOG_PIN) caps.set(MODE.ANALOG, 10);
      if (PWM_PINS.has(p)) caps.set(MODE.PWM, 8);
      if (p <= 13) caps.set(MODE.SERVO, 14);
      if (p === 18 || p === 19) caps.set(MODE.I2C, 1);
    }
    pins.push(caps);
  }
  return pins;
}

/** Analog channel of each pin (0x7F = none). */
export function unoAnalogMapping(): number[] {
  return Array.from({ length: UNO_PIN_COUNT }, (_, p) => (p >= UNO_FIRST_ANALOG_PIN ? p - UNO_FIRST_ANALOG_PIN : NO_ANALOG));
}

/** Celsius -> millivolts of the analog temperature sensors the simulator knows (datasheet transfer functions). */
export const SENSOR_MV: Record<string, (celsius: number) => number> = {
  LM35: (c) => 10 * c, // 10 mV/°C, 0 mV at 0 °C
  TMP36: (c) => 10 * c + 500, // 10 mV/°C, 750 mV at 25 °C
  LM335: (c) => 10 * (c + 273.15), // 10 mV/K
};

/** The ADC reading (0..1023 at a 5 V reference) a sensor gives at `celsius`. */
export function celsiusToRaw(model: string, celsius: number, arefV = 5): number {
  const mv = SENSOR_MV[model];
  if (!mv) throw new RangeError(`unknown sensor model "${model}"; one of ${Object.keys(SENSOR_MV).join(", ")}`);
  const raw = Math.round((mv(celsius) * 1023) / (arefV * 1000));
  return Math.min(1023, Math.max(0, raw));
}
