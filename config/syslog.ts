/**
 * The `syslog` section of the centre's file: RFC 5424 over TCP or TLS to the security operations
 * centre's collectors (centre/syslog). Unknown keys are refused, so a typo never passes silently.
 *
 * Embed it as `syslog: syslogConfigSchema.optional()` in the centre's schema; relative file paths
 * (TLS) are relative to the centre's file: `resolveSyslogPaths` makes them absolute.
 */
import { isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { idSchema } from "./ids.js";

/** RFC 5424 §6.2.1, table 1: facility codes by the names rsyslog and syslog-ng also use. */
export const FACILITIES = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  ntp: 12, security: 13, console: 14, solaris_cron: 15,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
} as const;
export type FacilityName = keyof typeof FACILITIES;

/** PRINTUSASCII (%d33-126), as RFC 5424 requires of HOSTNAME. */
const printUsAscii = /^[\x21-\x7e]+$/;

const fileSchema = (what: string) => z.string().min(1).describe(`${what} (PEM file; a relative path is relative to the centre's file).`);

export const syslogTlsSchema = z
  .strictObject({
    caFile: fileSchema("CA certificates that sign the collector's certificate"),
    certFile: fileSchema("Our client certificate, for a collector that asks for one (RFC 5425 mutual authentication)").optional(),
    keyFile: fileSchema("The private key of certFile; readable only by the centre's user").optional(),
    servername: z
      .string()
      .min(1)
      .optional()
      .describe("The name the collector's certificate must carry (default: host). Needed when host is an address and the certificate names a host."),
  })
  .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { message: "certFile and keyFile go together", path: ["keyFile"] })
  .describe("TLS (RFC 5425): the collector's certificate is always verified against caFile.");

export const syslogQueueSchema = z
  .strictObject({
    maxBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .default(64 * 1024 * 1024)
      .describe("Most bytes of messages the collector's queue holds on disk; over it the oldest are dropped (and the drop reported). Default 64 MiB."),
    maxAgeSec: z
      .number()
      .int()
      .min(60)
      .default(7 * 86_400)
      .describe("A message queued longer than this is dropped (and the drop reported). Default 7 days."),
  })
  .describe("The collector's durable queue: on disk and fsync'd before the MQTT message is acknowledged.");

export const syslogCollectorSchema = z
  .strictObject({
    host: z.string().min(1).describe("The collector's host name or address."),
    port: z.number().int().min(1).max(65535).optional().describe("Default 6514 with tls (RFC 5425), 514 with tcp."),
    transport: z.enum(["tcp", "tls"]).default("tls").describe("tls (RFC 5425) or plain tcp (RFC 6587 octet counting); both frame with octet counting."),
    tls: syslogTlsSchema.optional(),
    queue: syslogQueueSchema.prefault({}),
    batchMaxMessages: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(500)
      .describe("Most messages sent in one delivery (one connection, confirmed by the collector closing it after ours)."),
    connectTimeoutMs: z.number().int().min(100).default(10_000).describe("Connect (and TLS handshake) deadline."),
    deliveryTimeoutMs: z
      .number()
      .int()
      .min(100)
      .default(30_000)
      .describe("Deadline from connected to the collector closing its side after reading the batch; past it the batch is sent again."),
    backoff: z
      .strictObject({
        initialMs: z.number().int().min(1).default(1000),
        maxMs: z.number().int().min(1).default(60_000),
      })
      .refine((b) => b.maxMs >= b.initialMs, { message: "maxMs must be >= initialMs", path: ["maxMs"] })
      .prefault({})
      .describe("Reconnect delays: exponential with jitter from initialMs up to maxMs."),
  })
  .superRefine((c, ctx) => {
    if (c.transport === "tls" && c.tls === undefined) {
      ctx.addIssue({ code: "custom", path: ["tls"], message: "transport tls needs tls.caFile (the CA that signs the collector's certificate)" });
    }
    if (c.transport === "tcp" && c.tls !== undefined) {
      ctx.addIssue({ code: "custom", path: ["tls"], message: "tls is set but transport is tcp: say transport: tls, or remove tls" });
    }
  })
  .describe("A syslog collector of the security operations centre.");

export const syslogConfigSchema = z
  .strictObject({
    collectors: z
      .record(idSchema, syslogCollectorSchema)
      .refine((r) => Object.keys(r).length > 0, { message: "name at least one collector" })
      .describe("Collectors by name (an id: it names the queue's directory). Each gets every message, through its own queue."),
    facility: z
      .union([z.enum(Object.keys(FACILITIES) as [FacilityName, ...FacilityName[]]), z.number().int().min(0).max(23)])
      .default("local4")
      .describe("Syslog facility of every message, by name (local0..local7, auth, ...) or code 0..23. Default local4."),
    hostname: z
      .string()
      .max(255)
      .regex(printUsAscii, "expected 1..255 printable US-ASCII characters, no spaces (RFC 5424 HOSTNAME)")
      .optional()
      .describe("HOSTNAME of every message. Default: this machine's host name."),
    enterpriseId: z
      .number()
      .int()
      .min(1)
      .default(32473)
      .describe("The private enterprise number in the structured data's SD-ID (roomgate@N). Default 32473, RFC 5612's number for documentation: put the province's own if it has one."),
    maxMessageBytes: z
      .number()
      .int()
      .min(480)
      .max(64 * 1024)
      .default(8192)
      .describe("Longest message in octets; the free text is shortened to fit. RFC 5425 receivers must take 2048 and should take 8192 (rsyslog's default is 8096)."),
    forward: z
      .strictObject({
        audit: z.boolean().default(true).describe("Command audit records (who ran what on which device, the result)."),
        alarms: z.boolean().default(true).describe("Alarms raised, acknowledged and cleared."),
        agentLost: z.boolean().default(true).describe("Agents lost (the broker published their last will)."),
        brokerSecurity: z
          .boolean()
          .default(true)
          .describe("The roomgate broker's authentication failures and ACL denials ($SYS/roomgate/v1/security). Mosquitto publishes none: see docs/centre.md."),
      })
      .prefault({})
      .describe("What is forwarded."),
    clientId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9._-]+$/, "expected letters, digits, . _ -")
      .refine((s) => !s.startsWith("roomgate-agent-"), { message: "roomgate-agent-* client ids are the agents'" })
      .default("roomgate-centre-syslog")
      .describe("MQTT client id of the forwarder's persistent session (clean=false): unique per centre, kept across restarts."),
  })
  .describe("Syslog to the security operations centre (RFC 5424 over TCP or TLS, octet counting).");

export type SyslogConfig = z.output<typeof syslogConfigSchema>;
export type SyslogConfigInput = z.input<typeof syslogConfigSchema>;
export type SyslogCollectorConfig = z.output<typeof syslogCollectorSchema>;

/** The facility's code. */
export function facilityCode(f: SyslogConfig["facility"]): number {
  return typeof f === "number" ? f : FACILITIES[f];
}

/** The collector's port: as configured, else 6514 for TLS (RFC 5425) and 514 for TCP. */
export function collectorPort(c: Pick<SyslogCollectorConfig, "port" | "transport">): number {
  return c.port ?? (c.transport === "tls" ? 6514 : 514);
}

/** The same config with every TLS file absolute, relative ones taken from `baseDir` (the centre file's directory). */
export function resolveSyslogPaths(config: SyslogConfig, baseDir: string): SyslogConfig {
  const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(baseDir, p));
  const collectors: SyslogConfig["collectors"] = {};
  for (const [name, c] of Object.entries(config.collectors)) {
    if (c.tls === undefined) {
      collectors[name] = c;
      continue;
    }
    const tls = { ...c.tls, caFile: abs(c.tls.caFile)! };
    const certFile = abs(c.tls.certFile);
    const keyFile = abs(c.tls.keyFile);
    if (certFile !== undefined) tls.certFile = certFile;
    if (keyFile !== undefined) tls.keyFile = keyFile;
    collectors[name] = { ...c, tls };
  }
  return { ...config, collectors };
}
