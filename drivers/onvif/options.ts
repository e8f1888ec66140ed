/**
 * Options of the ONVIF driver (the `options` block of a device in the site file).
 * Validated at the door by `parseOnvifOptions`; exported as JSON Schema through `onvifOptionsSchema`.
 * The password never appears in errors, logs, health or state.
 */
import path from "node:path";
import { z } from "zod";
import { DeviceError } from "../types.js";
import { readSecretLine } from "../secret-file.js";

export const onvifOptionsSchema = z
  .strictObject({
    username: z.string().max(128).default("").describe("ONVIF user name. Empty: send no WS-Security header."),
    password: z
      .string()
      .max(256)
      .optional()
      .describe("ONVIF password (prefer passwordFile). Never logged or published."),
    passwordFile: z
      .string()
      .min(1)
      .optional()
      .describe("File holding the ONVIF password (first line; absolute, or relative to the site file). Never logged."),
    profile: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("Media profile token for stream, snapshot and PTZ; absent: the camera's first profile."),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(60_000)
      .default(3000)
      .describe("Deadline of every request to the camera."),
    authRetryMs: z
      .number()
      .int()
      .min(1000)
      .max(3_600_000)
      .default(60_000)
      .describe(
        "After the camera refuses the credentials, no request is sent for this long (health stays " +
          "fault/auth_failed); then one attempt. Avoids a retry storm that could lock the account.",
      ),
    arrivalTimeoutMs: z
      .number()
      .int()
      .min(0)
      .max(120_000)
      .default(10_000)
      .describe("preset.recall and home wait up to this long for the camera to report IDLE (0: do not wait)."),
    statusIntervalMs: z
      .number()
      .int()
      .min(50)
      .max(5000)
      .default(250)
      .describe("How often GetStatus is read while waiting for the camera to arrive."),
    preserveAddress: z
      .boolean()
      .default(true)
      .describe(
        "Use the configured host and port for the Media and PTZ services (only the announced paths). " +
          "false: use the service addresses exactly as the camera announces them.",
      ),
  })
  .refine((o) => !(o.password !== undefined && o.passwordFile !== undefined), {
    message: "give password or passwordFile, not both",
    path: ["passwordFile"],
  })
  .describe("ONVIF camera driver options");

export type OnvifOptions = z.output<typeof onvifOptionsSchema>;

/**
 * Validates raw options. Throws DeviceError `invalid_args` whose message names each bad path and the rule.
 * Never echoes a value (the password could be the bad one).
 */
export function parseOnvifOptions(raw: unknown): OnvifOptions {
  const result = onvifOptionsSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: ["options", ...i.path].join("."), message: i.message }));
  throw new DeviceError(
    "invalid_args",
    `invalid ONVIF options: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    { issues },
  );
}

/**
 * The password: `password`, else the first line of `passwordFile` (relative paths against `baseDir`,
 * which the agent resolves to the site file's folder; default the working directory), else "".
 * A missing or unreadable file is a DeviceError `invalid_args` naming the file, never its content.
 */
export async function resolvePassword(o: OnvifOptions, baseDir = process.cwd()): Promise<string> {
  if (o.password !== undefined) return o.password;
  if (o.passwordFile === undefined) return "";
  return readSecretLine(path.resolve(baseDir, o.passwordFile), "passwordFile");
}
