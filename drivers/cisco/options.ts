/**
 * Options of the Cisco RoomOS / CE driver (the `options` block of a device in the site file).
 * Validated at the door by `parseCiscoOptions`; exported as JSON Schema through `ciscoOptionsSchema`.
 * Over SSH the login is the transport's (`transport.username`, `password`/`passwordFile`); on
 * RS-232 and telnet the driver answers the codec's `login:` and `Password:` prompts with
 * `username` and `password`/`passwordFile` from here. A password never appears in errors, logs,
 * health or state.
 */
import path from "node:path";
import { z } from "zod";
import { DeviceError } from "../types.js";
import { readSecretLine } from "../secret-file.js";

const ms = (min: number, max: number, dflt: number, what: string) => z.number().int().min(min).max(max).default(dflt).describe(what);

export const ciscoOptionsSchema = z
  .strictObject({
    username: z.string().min(1).max(64).regex(/^[^\s"]+$/, "a user name without spaces or quotes").default("admin").describe("RS-232 / telnet login user (SSH: the transport's username)."),
    password: z.string().max(256).optional().describe("RS-232 / telnet login password (prefer passwordFile). Never logged or published."),
    passwordFile: z.string().min(1).optional().describe("File whose first line is the RS-232 / telnet password (absolute, or relative to the site file). Never logged."),
    timeoutMs: ms(50, 60_000, 3000, "Deadline of every xAPI request (ms)."),
    connectTimeoutMs: ms(100, 600_000, 15_000, "How long start() waits for the link, the login and the first full read before it resolves with a health that says why (ms)."),
    keepalive: z
      .enum(["heartbeat", "status"])
      .default("heartbeat")
      .describe("heartbeat: register as a control system (xCommand Peripherals Connect) and send Peripherals HeartBeat (C8); status: read `xStatus Standby State`."),
    keepaliveMs: ms(0, 3_600_000, 30_000, "Keepalive interval (ms); an unanswered one marks the codec unreachable and resets the link. 0: none (not advised: a silent link is then found only by a request)."),
    peripheralId: z.string().min(1).max(64).regex(/^[A-Za-z0-9._:-]+$/).optional().describe("The ID this agent registers with (heartbeat keepalive); default `roomgate-<device id>`."),
    loginPromptMs: ms(0, 60_000, 1500, "RS-232 / telnet: after a carriage return, wait this long for a `login:` prompt; none means the console session is still logged in [A] (ms)."),
    authRetryMs: ms(1000, 3_600_000, 60_000, "RS-232 / telnet: after `Login incorrect`, wait this long before the next login, so an account lock-out is not provoked (ms). SSH: the transport's backoff paces retries."),
    dialTimeoutMs: ms(100, 600_000, 45_000, "call.dial gives up (no_answer) and disconnects the attempt when the call is not connected by then (ms)."),
    connectedHoldMs: ms(0, 60_000, 500, "call.dial answers ok only once the call has stayed connected this long; a call that ends sooner is call_dropped (ms)."),
    disconnectGraceMs: ms(0, 10_000, 500, "A call removed from status (a ghost) waits this long for its CallDisconnect event, which carries the cause (ms)."),
    qualityIntervalMs: ms(0, 600_000, 5000, "Read MediaChannels of each connected call this often (ms); 0: never."),
    pushIntervalMs: ms(0, 60_000, 250, "At most one state event per this many ms from feedback (the latest state wins)."),
    inactiveIs: z.enum(["disabled", "unregistered"]).default("disabled").describe("How a registration status `Inactive` reads: the protocol is not in use (disabled), or it should be registered and is not [A]."),
    lossFormula: z
      .enum(["lost-of-total", "lost-of-received"])
      .default("lost-of-total")
      .describe("Loss % of an interval: LastIntervalLost / (LastIntervalLost + LastIntervalReceived) [A, part B], or / LastIntervalReceived (as some integrations compute it)."),
    channelRateUnit: z.enum(["bps", "kbps"]).default("bps").describe("The unit of MediaChannels Netstat ChannelRate [A]."),
    link: z.enum(["auto", "telnet", "raw"]).default("auto").describe("auto: telnet negotiation on tcp, none on serial and ssh."),
    maxFrameChars: z.number().int().min(1024).max(16_777_216).default(1_048_576).describe("A reply or feedback document longer than this is dropped and counted."),
  })
  .refine((o) => !(o.password !== undefined && o.passwordFile !== undefined), { message: "give password or passwordFile, not both", path: ["passwordFile"] })
  .describe("Cisco RoomOS / CE (xAPI) codec driver options");

export type CiscoOptions = z.output<typeof ciscoOptionsSchema>;

/** Validates raw options. Throws DeviceError `invalid_args` naming each bad path; never echoes a value. */
export function parseCiscoOptions(raw: unknown): CiscoOptions {
  const result = ciscoOptionsSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: ["options", ...i.path].join("."), message: i.message }));
  throw new DeviceError("invalid_args", `invalid Cisco options: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, { issues });
}

/**
 * The console password: `password`, else the first line of `passwordFile` (relative to `baseDir`),
 * else undefined. Read at every login so a rotated file is picked up. A file that cannot be read is a
 * DeviceError `invalid_args` naming the file, never its content.
 */
export async function consolePassword(o: CiscoOptions, baseDir = process.cwd()): Promise<string | undefined> {
  if (o.password !== undefined) return o.password;
  if (o.passwordFile === undefined) return undefined;
  return readSecretLine(path.resolve(baseDir, o.passwordFile), "passwordFile");
}
