/**
 * Options of the X32 / M32 driver (the `options` block of a device in the site file).
 * Validated at the door by `parseX32Options`; exported as JSON Schema through `x32OptionsSchema`.
 */
import { z } from "zod";
import { DeviceError } from "../types.js";
import { STRIP_PATH, STRIP_PATH_HELP } from "./addresses.js";

export const channelSchema = z
  .strictObject({
    path: z
      .string()
      .regex(STRIP_PATH, `expected ${STRIP_PATH_HELP}`)
      .describe("The strip on the desk, e.g. /ch/01, /bus/03, /main/st or /dca/2 (mute and fader of that strip)."),
  })
  .describe("A named strip operators use: its mute (`mix/on`) and fader (`mix/fader`).");

export const x32OptionsSchema = z
  .strictObject({
    channels: z
      .record(z.string().regex(/^[a-z0-9-]+$/, "names are ids [a-z0-9-]"), channelSchema)
      .default({})
      .describe("Named strips, e.g. {mics: {path: /ch/01}, program: {path: /main/st}}. Actions take these names."),
    timeoutMs: z
      .number()
      .int()
      .min(50)
      .max(60_000)
      .default(1000)
      .describe("Deadline of each query (the desk answers a LAN query in a few ms)."),
    renewMs: z
      .number()
      .int()
      .min(200)
      .max(9500)
      .default(8000)
      .describe("How often /xremote (and /meters) is renewed; the desk drops a subscriber after 10 s, so < 10 000."),
    retryMs: z
      .number()
      .int()
      .min(100)
      .max(60_000)
      .default(2000)
      .describe("While the desk is unreachable: how often /xinfo is sent to find it again."),
    meters: z
      .boolean()
      .default(false)
      .describe("Subscribe to /meters/1 and publish `signalDb` (input level, dBFS) for /ch/NN strips."),
    pushIntervalMs: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(1000)
      .describe("At most one `state` event per this many ms (latest values win), so pushes and meters never flood MQTT."),
    connectTimeoutMs: z
      .number()
      .int()
      .positive()
      .max(600_000)
      .default(5000)
      .describe("How long start() waits for the UDP socket to bind before it resolves with health `unreachable`."),
  })
  .describe("Behringer X32 / Midas M32 (OSC over UDP 10023) driver options");

export type X32Options = z.output<typeof x32OptionsSchema>;

/**
 * Validates raw options. Throws DeviceError `invalid_args` whose message names each bad path,
 * e.g. `options.channels.mics.path: expected one of /ch/01../ch/32, ...`.
 */
export function parseX32Options(raw: unknown): X32Options {
  const result = x32OptionsSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: ["options", ...i.path].join("."), message: i.message }));
  throw new DeviceError(
    "invalid_args",
    `invalid X32 options: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    { issues },
  );
}
