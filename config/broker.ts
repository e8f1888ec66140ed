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
    enabled: z.boolean().default(true).describe("false: no plain-TCP listener (e.g. TLS only)."),
    host: z.string().min(1).default("0.0.0.0").describe("Address to listen on."),
    port: z.number().int().min(0).max(65535).default(1883).describe("TCP port; 0 picks a free one (tests)."),
  })
  .describe("Plain MQTT over TCP.");

const fileSchema = (what: string) => z.string().min(1).describe(`${what} (PEM file; a relative path is relative to the broker file).`);

export const brokerTlsListenerSchema = z
  .strictObject({
    host: z.string().min(1).default("0.0.0.0").describe("Address to listen on."),
    port: z.number().int().min(0).max(65535).default(8883).describe("TCP port for MQTT over TLS; 0 picks a free one (tests)."),
    certFile: fileSchema("The broker's certificate chain"),
    keyFile: fileSchema("The broker's private key; readable only by the broker's user"),
    caFile: fileSchema("CA certificates that sign client certificates").optional(),
    clientCerts: z
      .enum(["none", "optional", "required"])
      .default("none")
      .describe(
        "Client certificates: none (not asked), optional (asked; a presented one must verify against caFile), " +
          "required (no connection without a valid one). A verified certificate's CN must equal the MQTT username.",
      ),
  })
  .describe("MQTT over TLS.");

export const brokerHttpListenerSchema = z
  .strictObject({
    host: z.string().min(1).default("0.0.0.0").describe("Address to listen on."),
    port: z.number().int().min(0).max(65535).default(8080).describe("HTTP port; 0 picks a free one (tests)."),
    tls: z
      .strictObject({ certFile: fileSchema("Certificate chain for https/wss"), keyFile: fileSchema("Private key for https/wss") })
      .optional()
      .describe("Serve https and wss instead of http and ws."),
    websocketPath: z
      .string()
      .regex(/^\/[A-Za-z0-9._~/-]*$/, "expected a path starting with /")
      .default("/mqtt")
      .describe("Path of MQTT over WebSocket (the browser console uses it); same users and ACLs as TCP."),
    metrics: z.boolean().default(true).describe("Serve Prometheus metrics at /metrics (HTTP basic auth of a monitor or admin user)."),
    console: z
      .boolean()
      .default(true)
      .describe("Serve the operator console at /console/ (every file from the broker, nothing from the Internet; the page logs in over the WebSocket path with the user's own credentials)."),
  })
  .describe("HTTP listener: MQTT over WebSocket, /metrics and the operator console.");

export const brokerLimitsSchema = z
  .strictObject({
    maxPacketBytes: z
      .number()
      .int()
      .min(1024)
      .max(256 * 1024 * 1024)
      .default(1024 * 1024)
      .describe("Largest MQTT packet accepted (any type); a bigger one closes that client's connection. Default 1 MiB."),
    maxConnections: z.number().int().min(1).default(20_000).describe("Most client connections in all, over every listener."),
    connectionsPerUser: z
      .number()
      .int()
      .min(1)
      .default(20)
      .describe("Most simultaneous connections of one username (a reconnect with the same client id replaces the old one and is not refused)."),
    messagesPerSecond: z
      .number()
      .min(1)
      .default(500)
      .describe("Sustained PUBLISH/SUBSCRIBE/UNSUBSCRIBE packets per second per client. Above it the broker stops reading that client until it is back under (nothing is dropped)."),
    burst: z.number().int().min(1).default(2000).describe("Packets a client may send at once above the sustained rate (a reconnecting agent republishing its state)."),
    subscriptionsPerClient: z.number().int().min(1).default(500).describe("Most topic filters one client may hold; more are refused (SUBACK 0x80)."),
  })
  .describe("Limits that keep one client from hurting the others. Each hit is logged with the user and counted in /metrics.");

export const brokerPersistenceSchema = z
  .discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("level"),
      dir: z.string().min(1).optional().describe("Directory of the on-disk store (LevelDB). Default {stateDir}/broker, stateDir = $ROOMGATE_STATE_DIR or .roomgate."),
    }).describe("On disk (default): retained messages, persistent sessions and their QoS 1 queues survive a restart."),
    z.strictObject({ type: z.literal("memory") }).describe("In memory only: everything is lost at a restart (tests, labs)."),
  ])
  .describe("Where the broker keeps retained messages and sessions. Ignored with `cluster` (Redis keeps them).");

export const brokerClusterSchema = z
  .strictObject({
    redis: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, "expected redis://[user:password@]host:port[/db]")
      .describe("Redis URL shared by every broker instance of the cluster: subscriptions, retained messages, sessions and message fan-out."),
  })
  .describe("Several broker instances acting as one, through Redis.");

export const brokerSecurityEventsSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe("Publish refused connections and ACL denials on $SYS/roomgate/v1/security (for the centre and the SOC)."),
    name: z
      .string()
      .regex(/^[\x21-\x7e]{1,255}$/, "expected printable US-ASCII without spaces")
      .optional()
      .describe("The broker's name in the events (default: its host name)."),
    ratePerSecond: z.number().min(0.01).default(10).describe("Events published per second at most, sustained; over it they are counted and summarised."),
    burst: z.number().int().min(1).default(100).describe("Events published at once above the sustained rate."),
    summaryIntervalSec: z
      .number()
      .int()
      .min(1)
      .default(60)
      .describe("How often a `security.suppressed` event says how many were held back over the rate, and from whom."),
  })
  .describe("The broker's security events on MQTT (docs/topics.md). Never a password, never an unknown user's name.");

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
    z.strictObject({ role: z.literal("recorder"), password, mosquittoPassword })
      .describe(
        "The centre's recorder (`roomgate centre`): reads every site's agent state and meta, device health, alarms, events and readiness; " +
          "writes only its own health topic roomgate/centre/{username}/health. Never commands, never reads responses or device state.",
      ),
  ])
  .describe("A broker user.");

export const brokerConfigSchema = z
  .strictObject({
    listeners: z
      .strictObject({
        tcp: brokerTcpListenerSchema.prefault({}),
        tls: brokerTlsListenerSchema.optional(),
        http: brokerHttpListenerSchema.optional(),
      })
      .prefault({})
      .describe("Where the broker listens."),
    limits: brokerLimitsSchema.prefault({}),
    securityEvents: brokerSecurityEventsSchema.prefault({}),
    persistence: brokerPersistenceSchema.prefault({ type: "level" }),
    cluster: brokerClusterSchema.optional(),
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
export type BrokerLimits = z.output<typeof brokerLimitsSchema>;
export type BrokerSecurityEvents = z.output<typeof brokerSecurityEventsSchema>;
export type BrokerTlsListener = z.output<typeof brokerTlsListenerSchema>;
export type BrokerHttpListener = z.output<typeof brokerHttpListenerSchema>;
export type BrokerPersistence = z.output<typeof brokerPersistenceSchema>;
