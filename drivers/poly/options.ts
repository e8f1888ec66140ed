/**
 * Options of the Poly Group Series / HDX driver (the `options` block of a device in the site file).
 * Validated at the door; exported as JSON Schema through `polyOptionsSchema`. Every value the
 * sources leave open ([A] in PROTOCOLS-CONFERENCE-NETWORK.md, part A) is an option here.
 * The password never appears in errors, logs, health, events or state.
 */
import { z } from "zod";
import { DeviceError } from "../types.js";
import { readSecretLine } from "../secret-file.js";
import { NOTIFICATION_TYPES, REGISTER_TOPICS } from "./codec.js";

export const polyOptionsSchema = z
  .strictObject({
    password: z.string().max(256).optional().describe("The API password asked at the `Password:` prompt over telnet and RS-232 (prefer passwordFile). Over SSH the transport logs in. Never logged or published."),
    passwordFile: z.string().min(1).optional().describe("File holding the API password (first line; absolute, or relative to the site file), read at every login. Never logged."),
    username: z.string().min(1).max(128).regex(/^[^\r\n]+$/).default("admin").describe("Answer to a `Username:` prompt (some units ask one, P3)."),
    timeoutMs: z.number().int().positive().max(60_000).default(3000).describe("Deadline of each command (ms)."),
    connectTimeoutMs: z.number().int().positive().max(600_000).default(15_000).describe("How long start() waits for the link, the login and the first read before it resolves with health not ok (ms)."),
    commandGapMs: z.number().int().min(0).max(10_000).default(200).describe("Quiet time between the end of one command's reply and the next command (P4: at least 200 ms; P3 uses 300)."),
    lineEnding: z.enum(["cr", "crlf"]).default("cr").describe("What ends a command: cr (`\\r`, P2 and P3) or crlf (`\\r\\n`, P5)."),
    promptWaitMs: z.number().int().min(50).max(60_000).default(2000).describe("[A] With nothing heard this long on a fresh link (a serial port whose prompt was printed long ago), send a bare line end; next time `whoami`, whose answer is the banner."),
    authRetryMs: z.number().int().min(1000).max(3_600_000).default(60_000).describe("After `password failed`, the next password is sent only this long later (health fault/auth_failed meanwhile), so a wrong password never provokes a lockout."),
    dialTimeoutMs: z.number().int().min(1000).max(600_000).default(60_000).describe("[A] A dial not answered by then is hung up and ends `no_answer`."),
    keepaliveMs: z.number().int().min(0).max(3_600_000).default(50_000).describe("After this long without a command, send `callinfo all` (P2 polls it every 50 s); unanswered: the link is reset (0: never)."),
    reregisterMs: z.number().int().min(0).max(86_400_000).default(1_800_000).describe("Make every registration again this often (P3: 30 min), besides after every login (0: only after login)."),
    notifications: z.array(z.enum(NOTIFICATION_TYPES)).default(["callstatus", "mutestatus", "linestatus"]).describe("`notify <type>` registrations made after every login (per port and per session)."),
    registers: z.array(z.enum(REGISTER_TOPICS)).default(["callstate", "mute", "volume", "sleep", "vcbutton"]).describe("`<topic> register` registrations made after every login."),
    registrations: z.array(z.enum(["sip", "h323"])).default(["sip", "h323"]).describe("Which registrations this site uses: a listed one that is offline makes health degraded/not_registered; an unlisted one is reported `disabled`."),
    callList: z.enum(["callinfo", "getcallstate"]).default("callinfo").describe("How polls read the calls: `callinfo all` (name, number, direction, rate) or, for older software, `getcallstate` (slots)."),
    callSlots: z.number().int().min(1).max(8).default(3).describe("getcallstate: the number of `cs:` lines it answers (3 on a Group Series, P1)."),
    stats: z.boolean().default(true).describe("Read advnetstats and netstats for every connected call at each poll."),
    audioPacketRate: z.number().positive().max(1000).default(50).describe("[A] Audio packets a second each way, for loss % from advnetstats' lost-packet counts (20 ms frames: 50)."),
    videoPacketBytes: z.number().int().min(100).max(9000).default(1200).describe("[A] Average video payload per packet (bytes), for loss % from lost-packet counts."),
    maxLineLength: z.number().int().min(256).max(1_048_576).default(8192).describe("Longer lines from the codec are dropped and reported."),
  })
  .refine((o) => !(o.password !== undefined && o.passwordFile !== undefined), { message: "give password or passwordFile, not both", path: ["passwordFile"] })
  .describe("Poly Group Series / HDX codec driver options");

export type PolyOptions = z.output<typeof polyOptionsSchema>;

/**
 * Validates raw options. Throws DeviceError `invalid_args` whose message names each bad path and
 * the rule, never a value (the password could be the bad one).
 */
export function parsePolyOptions(raw: unknown): PolyOptions {
  const result = polyOptionsSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: ["options", ...i.path].join("."), message: i.message }));
  throw new DeviceError("invalid_args", `invalid Poly options: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, { issues });
}

/**
 * The password, read at every login so a rotated one is picked up: `password`, else the first line
 * of `passwordFile` (made absolute by the site loader), else undefined (none configured). A missing
 * or unreadable file is a DeviceError `invalid_args` naming the file, never its content.
 */
export async function readPassword(o: Pick<PolyOptions, "password" | "passwordFile">): Promise<string | undefined> {
  if (o.password !== undefined) return o.password;
  if (o.passwordFile === undefined) return undefined;
  return readSecretLine(o.passwordFile, "passwordFile");
}
