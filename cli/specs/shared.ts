/**
 * Option groups several commands share, defined once: the broker URL and the LOGIN flags of the
 * operator tools (ctl, watch, check, fleet check). How the login is read is cli/mqtt-client.ts's
 * `toolAuth`; the password is only ever read from a file, never from the command line.
 */
import type { OptionSpec } from "../spec.js";

/** `--broker URL`; check overrides the default (its site file names the broker). */
export const BROKER_OPTION = {
  type: "string",
  value: "URL",
  description: "the MQTT broker: mqtt://, mqtts://, ws:// or wss://",
  default: "$ROOMGATE_BROKER, else mqtt://127.0.0.1:1883",
} as const satisfies OptionSpec;

/** The LOGIN flags: `--user U --password-file F --ca CA.pem`. `defaultUser` is the user when none is named. */
export function loginOptions(defaultUser: string | undefined) {
  return {
    user: {
      type: "string",
      value: "U",
      description: "log in to the broker as this user",
      default: `$ROOMGATE_USER, else ${defaultUser ?? "no login"}`,
    },
    "password-file": {
      type: "string",
      value: "F",
      description: "read the user's password from this file: a password is never given on the command line",
      default: "$ROOMGATE_PASSWORD_FILE",
    },
    ca: {
      type: "string",
      value: "CA.pem",
      description: "the CA certificates that sign an mqtts:// or wss:// broker's certificate",
      default: "$ROOMGATE_CA_FILE",
    },
  } as const satisfies Record<string, OptionSpec>;
}

/** `--config FILE` of the commands that read this gateway's site file when none is named. */
export const SITE_FILE_OPTION = {
  type: "string",
  value: "FILE",
  description: "the site file",
  default: "$ROOMGATE_CONFIG, which is /etc/roomgate/site.yaml on an installed gateway; else the example district-room.yaml",
} as const satisfies OptionSpec;
