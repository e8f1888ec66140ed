/**
 * Options of the ENC/1 link-encryptor status driver (the `options` block of a device in the site file).
 * Values marked "assumption" are not fixed by a public source: PROTOCOLS.md defines ENC/1 as our
 * own generic protocol, so real devices behind a converter may need them changed.
 */
import { z } from "zod";
import { DeviceError } from "../types.js";
import { MAX_LINE_BYTES } from "./codec.js";

const ms = (max: number) => z.number().int().positive().max(max);

export const enc1OptionsSchema = z
  .strictObject({
    heartbeatIntervalMs: ms(600_000)
      .default(2000)
      .describe("The device's heartbeat interval (PROTOCOLS.md: every 2 s)."),
    missedHeartbeats: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(3)
      .describe("Heartbeats missed in a row before state turns UNKNOWN and health `unreachable`/`heartbeat_lost` (PROTOCOLS.md: 3)."),
    timeoutMs: ms(60_000)
      .default(2000)
      .describe("Deadline for the answer to a query ($Q,ST or $Q,ID) sent by poll() or status.refresh."),
    connectTimeoutMs: ms(600_000)
      .default(5000)
      .describe(
        "How long start() waits for the link to open and the first line from the device; after it start() " +
          "resolves with health `unreachable` and the driver keeps waiting in the background.",
      ),
    ackLines: z
      .array(z.enum(["ST", "AL"]))
      .default(["ST", "AL"])
      .describe("Device lines answered with $ACK,<seq> (assumption: PROTOCOLS.md names $ACK but not which lines; [] = never ack)."),
    queryIdentity: z
      .boolean()
      .default(true)
      .describe("Send $Q,ID when the link comes up (and on poll while the model is unknown) to learn model and firmware."),
    reconcileAlarmsFromStatus: z
      .boolean()
      .default(true)
      .describe(
        "Treat `alarm=NONE` in a status line as 'no device alarm is active' and clear alarms whose CLEAR line was " +
          "missed (e.g. while the link was down). Assumption: ST carries the device's most severe active alarm.",
      ),
    maxLineBytes: z
      .number()
      .int()
      .min(32)
      .max(4096)
      .default(MAX_LINE_BYTES)
      .describe("Longest line accepted, without its LF (PROTOCOLS.md: 120 bytes); longer lines are dropped and counted."),
    checksumBurstCount: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(3)
      .describe("Bad-checksum lines within checksumBurstWindowMs that make health `degraded`/`checksum_errors`."),
    checksumBurstWindowMs: ms(3_600_000).default(10_000).describe("Window for checksumBurstCount."),
    checksumRecoverLines: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(3)
      .describe("Good lines in a row after which a `checksum_errors` health returns to `ok`."),
    floodLinesPerSecond: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(50)
      .describe("More lines than this in one second is a flood: reported once per burst (every line is still read)."),
  })
  .describe("ENC/1 link-encryptor status driver options (read-only: the driver only sends $Q,ST, $Q,ID and $ACK)");

export type Enc1Options = z.output<typeof enc1OptionsSchema>;

/** Validates raw options; throws DeviceError `invalid_args` naming each bad path, e.g. `options.missedHeartbeats: ...`. */
export function parseEnc1Options(raw: unknown): Enc1Options {
  const result = enc1OptionsSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: ["options", ...i.path].join("."), message: i.message }));
  throw new DeviceError("invalid_args", `invalid ENC/1 options: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, { issues });
}
