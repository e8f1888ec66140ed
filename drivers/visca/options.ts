/**
 * Options of the VISCA driver (the `options` block of a device in the site file).
 * Validated at the door by `parseViscaOptions`; exported as JSON Schema through `viscaOptionsSchema`.
 */
import { z } from "zod";
import { DeviceError } from "../types.js";

export const viscaOptionsSchema = z
  .strictObject({
    address: z
      .number()
      .int()
      .min(1)
      .max(7)
      .default(1)
      .describe("Camera address on a serial daisy chain (1..7). Ignored over IP, where it is always 1 (81/90)."),
    ackTimeoutMs: z
      .number()
      .int()
      .positive()
      .max(60_000)
      .default(2000)
      .describe("How long to wait for the ACK (or error) of a command. Controllers use ~2 s."),
    completionTimeoutMs: z
      .number()
      .int()
      .positive()
      .max(600_000)
      .default(10_000)
      .describe("How long a command may run after its ACK before it counts as timed out."),
    inquiryTimeoutMs: z
      .number()
      .int()
      .positive()
      .max(60_000)
      .default(2000)
      .describe("How long to wait for the answer to an inquiry."),
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
  })
  .describe("VISCA camera driver options");

export type ViscaOptions = z.output<typeof viscaOptionsSchema>;

/**
 * Validates raw options. Throws DeviceError `invalid_args` whose message names each bad path and the rule,
 * e.g. `options.address: Too big: expected number to be <=7`.
 */
export function parseViscaOptions(raw: unknown): ViscaOptions {
  const result = viscaOptionsSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: ["options", ...i.path].join("."), message: i.message }));
  throw new DeviceError(
    "invalid_args",
    `invalid VISCA options: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    { issues },
  );
}
