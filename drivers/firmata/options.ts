/**
 * Options of the Firmata GPIO driver (the `options` block of a device in the site file). Each pin
 * gets a name and one role. Checked at the door: names, a pin used twice, an analog role on a
 * digital pin. Whether a pin exists on the board is checked after the handshake (pins.ts).
 */
import { z } from "zod";
import { DeviceError } from "../types.js";

/** A digital pin: a number, or an analog pin name (`A0`) used as a digital pin. */
const pinRef = z
  .union([z.number().int().min(0).max(127), z.string().regex(/^A([0-9]|1[0-5])$/, "a pin number or A0..A15")])
  .describe("Pin number (e.g. 7) or analog pin name used as digital (e.g. A2)");

export const THERMOMETER_MODELS = ["LM35", "TMP36", "LM335"] as const;

const relay = z.strictObject({
  relay: pinRef,
  type: z.enum(["NO", "NC"]).default("NO").describe("NO: pin high closes the load circuit; NC: pin low closes it"),
  initialOn: z.boolean().default(true).describe("Load powered (on) after the first handshake; later handshakes restore the last commanded state"),
});
const led = z.strictObject({
  led: pinRef,
  initialOn: z.boolean().default(false).describe("Lamp lit after the first handshake"),
});
const thermometer = z.strictObject({
  // Checked below so that a number gets the message "an analog role needs an analog pin".
  thermometer: z.union([z.string(), z.number()]).describe("Analog pin name, A0..A15"),
  model: z.enum(THERMOMETER_MODELS).describe("Sensor: LM35 (10 mV/°C), TMP36 (500 mV at 0 °C, 10 mV/°C), LM335 (10 mV/K)"),
  overC: z.number().min(-55).max(150).optional().describe("Over-temperature threshold in °C (health degraded, alarm raised above it)"),
  arefV: z.number().positive().max(5.5).default(5).describe("ADC reference voltage of the board"),
});
const switchRole = z.strictObject({
  switch: pinRef,
  pullup: z.boolean().default(true).describe("Use the board's internal pull-up (a contact wired to ground)"),
  invert: z.boolean().default(false).describe("false: low = closed (contact to ground); true: high = closed"),
});

export const pinRoleSchema = z.union([relay, led, thermometer, switchRole]);
export type PinRole = z.output<typeof pinRoleSchema>;

const ANALOG_NAME = /^A([0-9]|1[0-5])$/;

/** The pin a role names, as written in the config (`7`, `"A0"`). */
export function rolePin(role: PinRole): number | string {
  if ("relay" in role) return role.relay;
  if ("led" in role) return role.led;
  if ("switch" in role) return role.switch;
  return role.thermometer;
}

export const firmataOptionsSchema = z
  .strictObject({
    pins: z
      .record(z.string(), pinRoleSchema)
      .refine((p) => Object.keys(p).length > 0, "name at least one pin")
      .describe("Named pins and their roles: {relay, type}, {led}, {thermometer, model, overC}, {switch, invert}"),
    samplingMs: z.number().int().min(10).max(16_383).default(100).describe("Analog sampling interval the board uses (ms)"),
    handshakeTimeoutMs: z
      .number().int().min(100).max(120_000).default(10_000)
      .describe("Deadline for the board handshake after the link opens (boards reset for ~2 s on open); also how long start() waits for the link"),
    versionQueryMs: z
      .number().int().min(0).max(60_000).default(3000)
      .describe("Ask for the version when the board has not announced itself this long after the link opened"),
    timeoutMs: z.number().int().min(50).max(60_000).default(1000).describe("Deadline of one request to the board (pin state query)"),
    hysteresisC: z.number().min(0).max(20).default(1).describe("An over-temperature clears at or below overC minus this"),
  })
  .superRefine((o, ctx) => {
    const seen = new Map<string, string>();
    for (const [name, role] of Object.entries(o.pins)) {
      if (!/^[a-z0-9-]+$/.test(name)) {
        ctx.addIssue({ code: "custom", path: ["pins", name], message: `pin name "${name}": use a-z, 0-9 and -` });
      }
      const pin = rolePin(role);
      if ("thermometer" in role && !(typeof pin === "string" && ANALOG_NAME.test(pin))) {
        ctx.addIssue({
          code: "custom",
          path: ["pins", name, "thermometer"],
          message: `pin "${name}": an analog role needs an analog pin A0..A15, got ${JSON.stringify(pin)}`,
        });
      }
      const key = String(pin);
      const other = seen.get(key);
      if (other !== undefined) {
        ctx.addIssue({ code: "custom", path: ["pins", name], message: `pin "${name}": pin ${key} is already used by "${other}"` });
      } else {
        seen.set(key, name);
      }
    }
  })
  .describe("Firmata GPIO board driver options");

export type FirmataOptions = z.output<typeof firmataOptionsSchema>;

/** Validates raw options. Throws DeviceError `invalid_args` naming each bad path. */
export function parseFirmataOptions(raw: unknown): FirmataOptions {
  const result = firmataOptionsSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: ["options", ...i.path].join("."), message: i.message }));
  throw new DeviceError("invalid_args", `invalid Firmata options: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, { issues });
}
