/**
 * The broker file (YAML) of `roomgate broker`: listeners, users and their roles. Unknown keys are
 * refused so a typo never passes silently. The sections `users` and `anonymous` are optional and get
 * no defaults in the parsed value (a file without them parses as it always did); the broker treats
 * a missing `anonymous` as false.
 */
import { z } from "zod";
import { idSchema, siteIdSchema } from "./ids.js";
import { logLevelSchema } from "./site.js";

export const brokerTcpListenerSchema = z
  .strictObject({
    host: z.string().min(1).default("0.0.0.0").describe("Address to listen on."),
    port: z.number().int().min(0).max(65535).default(1883).describe("TCP port; 0 picks a free one (tests)."),
  })
  .describe("Plain MQTT over TCP.");

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64 (broker/password.ts writes and checks it). */
export const SCRYPT_HASH_PATTERN = /^scrypt\$[0-9]{1,8}\$[0-9]{1,3}\$[0-9]{1,3}\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/;
/** Mosquitto's PBKDF2-SHA512 format: `$7$iterations$salt$hash`, base64. */
export const MOSQUITTO_HASH_PATTERN = /^\$7\$[0-9]{1,9}\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/;

const password = z
  .string()
  .regex(SCRYPT_HASH_PATTERN, "expected a scrypt hash (scrypt$N$r$p$salt$hash): set it with `roomgate broker passwd`")
  .optional()
  .describe("scrypt hash written by `roomgate broker passwd`; never a cleartext. Without it the user cannot log in.");
const mosquittoPassword = z
  .string()
  .regex(MOSQUITTO_HASH_PATTERN, "expected Mosquitto's $7$ hash: set it with `roomgate broker passwd --mosquitto`")
  .optional()
  .describe("The same password in Mosquitto's $7$ (PBKDF2-SHA512) format, for `roomgate broker acl --mosquitto`. Only with `passwd --mosquitto`.");
const sites = z
  .union([z.literal("*"), z.array(siteIdSchema).min(1)])
  .describe('Sites this user may see: a list of site ids, or "*" for every site.');

export const brokerUserSchema = z
  .discriminatedUnion("role", [
    z.strictObject({ role: z.literal("agent"), site: siteIdSchema.describe("The one site this agent serves."), password, mosquittoPassword })
      .describe("A site's agent: writes only its own site's topics (never cmd/), reads only its own cmd/+ and rebirth."),
    z.strictObject({ role: z.literal("operator"), sites, password, mosquittoPassword })
      .describe("Sends commands (as cmd/{username}) to its sites and reads their state, health, alarms, events and its own responses."),
    z.strictObject({ role: z.literal("monitor"), sites: sites.default("*"), password, mosquittoPassword })
      .describe("Reads like an operator (no responses), never writes. Sites default to \"*\"."),
    z.strictObject({ role: z.literal("admin"), password, mosquittoPassword }).describe("Reads and writes everything."),
  ])
  .describe("A broker user.");

export const brokerConfigSchema = z
  .strictObject({
    listeners: z
      .strictObject({ tcp: brokerTcpListenerSchema.prefault({}) })
      .prefault({})
      .describe("Where the broker listens."),
    logLevel: logLevelSchema.default("info"),
    users: z
      .record(idSchema, brokerUserSchema)
      .optional()
      .describe("Users by name. The name is an id ([a-z0-9-]): an operator's name appears in the cmd/res topics."),
    anonymous: z
      .boolean()
      .optional()
      .describe("true lets clients without a username in with full access (demo and lab only; logged loudly). Default false."),
  })
  .describe("roomgate broker file");

export type BrokerConfig = z.output<typeof brokerConfigSchema>;
export type BrokerConfigInput = z.input<typeof brokerConfigSchema>;
export type BrokerUser = z.output<typeof brokerUserSchema>;
export type BrokerRole = BrokerUser["role"];
