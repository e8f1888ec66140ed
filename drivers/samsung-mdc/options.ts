/**
 * Options of the Samsung MDC driver (the `options` block of a device in the site file).
 * One device entry drives one RS-232 chain or one TCP connection, with one or more displays on it.
 */
import { z } from "zod";
import { DeviceError } from "../types.js";
import { MAX_DISPLAY_ID } from "./codec.js";

const displayName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "expected a name of a-z, 0-9 and -, at most 32 characters");

export const mdcOptionsSchema = z
  .strictObject({
    displays: z
      .record(displayName, z.number().int().min(0).max(MAX_DISPLAY_ID))
      .default({ main: 1 })
      .refine((d) => Object.keys(d).length > 0, "give at least one display")
      .refine((d) => new Set(Object.values(d)).size === Object.values(d).length, "two displays share one display id")
      .describe(
        "Displays on this chain or connection: name -> MDC display id 0..253 (the display's ID setting). " +
          "Actions address one by name, or all of them (a video wall) when `display` is absent. " +
          "254 (FE) is the broadcast id, which displays obey without answering, so it cannot be polled.",
      ),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(60_000)
      .default(5000)
      .describe("How long to wait for a display's ACK/NAK to one command (MDC is one command at a time; ~5 s)."),
    connectTimeoutMs: z
      .number()
      .int()
      .positive()
      .max(600_000)
      .default(5000)
      .describe(
        "How long start() waits for the transport to open before it resolves with health `unreachable` " +
          "(the transport keeps reconnecting in the background).",
      ),
    bootMs: z
      .number()
      .int()
      .min(0)
      .max(300_000)
      .default(20_000)
      .describe(
        "How long a display counts as booting after power-on or reboot: NAKs in that time are retried " +
          "(every nakRetryMs, until the action's deadline) instead of failing the action.",
      ),
    nakRetryMs: z
      .number()
      .int()
      .positive()
      .max(60_000)
      .default(1000)
      .describe("Pause between retries of a command NAKed while the display boots."),
    maxTemperatureC: z
      .number()
      .int()
      .min(0)
      .max(150)
      .default(70)
      .describe(
        "Health turns `degraded`/`overtemperature` at this temperature (°C, from error status 0D) or when the " +
          "display raises its own temperature error.",
      ),
    fanFaultDegrades: z
      .boolean()
      .default(true)
      .describe("Health turns `degraded`/`fan_fault` when the display reports a fan error."),
    readIdentity: z
      .boolean()
      .default(true)
      .describe("Read model name, serial number and software version once per connection."),
  })
  .describe("Samsung MDC display driver options");

export type MdcOptions = z.output<typeof mdcOptionsSchema>;

/**
 * Validates raw options. Throws DeviceError `invalid_args` whose message names each bad path,
 * e.g. `options.displays.left: Too big: expected number to be <=253`.
 */
export function parseMdcOptions(raw: unknown): MdcOptions {
  const result = mdcOptionsSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: ["options", ...i.path].join("."), message: i.message }));
  throw new DeviceError(
    "invalid_args",
    `invalid MDC options: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    { issues },
  );
}
