/**
 * The site file (YAML): which broker the agent talks to, and the devices of the site.
 * Validated at the door (STYLE.md rule 11); every field carries a description for the JSON Schema
 * that editors use (`roomgate config schema`).
 */
import { z } from "zod";
import { idSchema, siteIdSchema } from "./ids.js";
import { readinessSettingsSchema, roomProfileSchema, sceneSchema } from "./readiness.js";
import { checkReadiness, type ReadinessShape } from "./readiness-rules.js";
import { checkCalls, deviceCallsSchema, siteCallsSchema } from "./calls.js";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "silent"] as const;
export const logLevelSchema = z.enum(LOG_LEVELS).describe("Log level: trace|debug|info|warn|error|silent.");

export const DEVICE_KINDS = ["camera", "display", "ledwall", "audio", "crypto", "gpio", "codec", "link", "switch"] as const;
export const deviceKindSchema = z.enum(DEVICE_KINDS).describe("What the device is.");

export const BAUD_RATES = [2400, 4800, 9600, 19200, 38400, 57600, 115200] as const;

const portSchema = z.number().int().min(1).max(65535);

export const serialTransportSchema = z
  .strictObject({
    type: z.literal("serial"),
    path: z.string().min(1).describe("Serial device path, e.g. /dev/ttyUSB0, /dev/serial/by-id/..., or a simulator's pty link."),
    baudRate: z.literal(BAUD_RATES).default(9600).describe("Line speed in baud."),
    dataBits: z.literal([5, 6, 7, 8]).default(8).describe("Data bits per character."),
    parity: z.enum(["none", "even", "odd"]).default("none").describe("Parity bit."),
    stopBits: z.literal([1, 2]).default(1).describe("Stop bits."),
  })
  .describe("An RS-232/RS-422 link.");

export const udpTransportSchema = z
  .strictObject({
    type: z.literal("udp"),
    host: z.string().min(1).describe("The device's address (IPv4 or host name)."),
    port: portSchema.describe("The device's UDP port, e.g. 52381 for VISCA over IP."),
    localPort: z.number().int().min(0).max(65535).optional().describe("Local port to bind; 0 or absent: any."),
    localAddress: z.string().min(1).optional().describe("Local address to bind; absent: all interfaces."),
  })
  .describe("A UDP link: datagrams to and from one host:port.");

export const tcpTransportSchema = z
  .strictObject({
    type: z.literal("tcp"),
    host: z.string().min(1).describe("The device's address (IPv4 or host name)."),
    port: portSchema.describe("The device's TCP port, e.g. 1515 for Samsung MDC."),
  })
  .describe("A TCP link.");

export const httpTransportSchema = z
  .strictObject({
    type: z.literal("http"),
    host: z.string().min(1).describe("The device's address (IPv4 or host name)."),
    port: portSchema.default(80).describe("The device's HTTP port."),
    path: z
      .string()
      .regex(/^\//, "expected a path starting with /")
      .default("/onvif/device_service")
      .describe("Path of the device's entry service, e.g. /onvif/device_service."),
    tls: z.boolean().default(false).describe("Use https."),
  })
  .describe("An HTTP (SOAP) endpoint, e.g. an ONVIF camera's device service.");

export const sshTransportSchema = z
  .strictObject({
    type: z.literal("ssh"),
    host: z.string().min(1).describe("The device's address (IPv4 or host name)."),
    port: portSchema.default(22).describe("The device's SSH port."),
    username: z.string().min(1).max(128).describe("The SSH user, e.g. admin."),
    password: z.string().min(1).max(256).optional().describe("The SSH password (prefer passwordFile). Never logged or published."),
    passwordFile: z
      .string()
      .min(1)
      .optional()
      .describe("File holding the SSH password (first line; absolute, or relative to the site file), read at every connect. Never logged."),
    hostFingerprint: z
      .string()
      .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, "expected SHA256:<43 base64 characters>, as `ssh-keygen -lf` prints it")
      .optional()
      .describe("The device's host key fingerprint; a different key is refused. Absent: any key is accepted and its fingerprint logged, to pin it."),
    keepaliveMs: z.number().int().min(0).max(300_000).default(10_000).describe("SSH keepalive interval; 3 unanswered end the link (0: none)."),
  })
  .refine((t) => (t.password === undefined) !== (t.passwordFile === undefined), { message: "give either password or passwordFile", path: ["passwordFile"] })
  .describe("An SSH shell: a codec's API over SSH (Poly, Cisco).");

export const transportConfigSchema = z
  .discriminatedUnion("type", [serialTransportSchema, udpTransportSchema, tcpTransportSchema, httpTransportSchema, sshTransportSchema])
  .describe("How the agent reaches the device; `type` picks serial, udp, tcp, http or ssh.");

const optionsSchema = z
  .record(z.string(), z.unknown())
  .default({})
  .describe("Driver-specific options, validated by the driver when it starts.");

export const simulatorConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(false).describe("`roomgate sim` starts a simulator for this device."),
    options: z.record(z.string(), z.unknown()).default({}).describe("Simulator-specific options."),
  })
  .describe("A simulator standing in for the device (development and tests).");

export const deviceConfigSchema = z
  .strictObject({
    kind: deviceKindSchema,
    protocol: z
      .string()
      .min(1)
      .regex(/^[a-z0-9-]+$/, "expected a protocol name such as visca")
      .describe("Protocol (driver) name, e.g. visca, onvif, mdc, novastar, tesira, x32, enc1, firmata, cisco."),
    room: idSchema.optional().describe("Room id; must be a key of `rooms` when `rooms` is given."),
    name: z.string().min(1).max(200).optional().describe("Human-readable name."),
    pollIntervalMs: z.number().int().min(200).optional().describe("Overrides agent.pollIntervalMs for this device."),
    transport: transportConfigSchema,
    options: optionsSchema,
    simulator: simulatorConfigSchema.optional(),
    power: z
      .union([
        z
          .strictObject({
            device: idSchema.describe("The GPIO board (protocol firmata) whose relay feeds this device."),
            relay: idSchema.describe("The relay's name in that board's `options.pins`."),
          })
          .describe("Fed by a relay of a GPIO board."),
        z
          .strictObject({
            device: idSchema.describe("The access switch (protocol snmp) whose PoE port feeds this device."),
            port: idSchema.describe("The port's name in that switch's `options.ports`."),
          })
          .describe("Fed by a PoE port of the access switch."),
      ])
      .optional()
      .describe("What powers this device, for `device.powercycle`: a relay `{device, relay}` or a PoE port `{device, port}`."),
    calls: deviceCallsSchema.optional(),
  })
  .describe("One device of the site.");

export const brokerLinkSchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^mqtts?:\/\/[^\s/]+$/, "expected mqtt://host:port or mqtts://host:port")
      .describe("Broker URL: mqtt://host:port or mqtts://host:port."),
    username: z.string().min(1).optional().describe("MQTT username."),
    password: z.string().min(1).optional().describe("MQTT password (prefer passwordFile). Never logged."),
    passwordFile: z
      .string()
      .min(1)
      .optional()
      .describe("File holding the MQTT password, relative to the site file. Never logged."),
    tls: z
      .strictObject({
        caFile: z
          .string()
          .min(1)
          .optional()
          .describe("CA certificates (PEM) that sign the broker's certificate, relative to the site file. Without it the system's trusted CAs are used."),
        certFile: z
          .string()
          .min(1)
          .optional()
          .describe("This agent's client certificate (PEM), for a broker that asks for one; its CN must be the MQTT username. Needs keyFile."),
        keyFile: z.string().min(1).optional().describe("The client certificate's private key (PEM), readable only by the agent. Never logged."),
      })
      .optional()
      .describe("TLS for an mqtts:// broker. The files are read at every connect, so renewed certificates need no restart."),
    keepaliveSec: z.number().int().min(0).max(65535).default(30).describe("MQTT keepalive in seconds."),
    outboxLimit: z
      .number()
      .int()
      .min(0)
      .default(10_000)
      .describe(
        "Most messages (events, responses) kept while the broker is away. When full, the oldest ordinary event " +
          "(health, driver) is dropped first; alarms, command audit records and responses only when nothing else is left.",
      ),
    outboxMaxBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .default(32 * 1024 * 1024)
      .describe("Most bytes the outbox holds (same drop policy as outboxLimit). Default 32 MiB."),
    outboxMaxAgeSec: z
      .number()
      .int()
      .min(60)
      .default(7 * 24 * 3600)
      .describe("Messages older than this are dropped rather than sent (they are counted and reported). Default 7 days."),
  })
  .describe("The central broker this agent reports to.");

export const agentSettingsSchema = z
  .strictObject({
    pollIntervalMs: z.number().int().min(200).default(5000).describe("How often each device is polled."),
    commandTimeoutMs: z.number().int().min(1).default(10_000).describe("Default deadline of a command."),
    logLevel: logLevelSchema.default("info"),
  })
  .describe("Agent runtime settings.");

export const failsafeStepSchema = z
  .strictObject({
    device: idSchema.describe("The device the step acts on."),
    action: z.string().min(1).describe("Its action, e.g. mute.set, blank.set, preset.recall."),
    args: z.record(z.string(), z.unknown()).default({}).describe("The action's args."),
    timeoutMs: z.number().int().min(100).max(60_000).default(5000).describe("Deadline of the step."),
  })
  .describe("One fail-safe step, run when a secure session loses SECURE.");

export const secureRoomSchema = z
  .strictObject({
    encryptor: idSchema.describe("The link encryptor (protocol enc1) in front of this room's codec."),
    failsafe: z
      .array(failsafeStepSchema)
      .default([])
      .describe("Steps run, in order, when a secure session in this room sees any state but SECURE."),
    schedule: z
      .array(
        z
          .strictObject({
            start: z.iso.datetime({ offset: true }).describe("When the classified session starts (ISO 8601 with offset or Z)."),
            end: z.iso.datetime({ offset: true }).describe("When it ends."),
          })
          .refine((w) => Date.parse(w.end) > Date.parse(w.start), "end must be after start")
          .describe("One scheduled classified session."),
      )
      .default([])
      .describe("Classified sessions the agent starts and ends by itself (as user `schedule`)."),
  })
  .describe("Secure-session settings of a room.");

export const roomConfigSchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional().describe("Human-readable room name."),
    secure: secureRoomSchema.optional(),
    profile: roomProfileSchema.optional(),
    scenes: z.record(idSchema, sceneSchema).optional().describe("Named scenes of the room: prepare, shutdown, presentation, failsafe, ..."),
  })
  .describe("A room of the site.");

export const siteConfigSchema = z
  .strictObject({
    site: siteIdSchema.describe("Site id: a-z, 0-9 and -, 1..48 characters. Appears in every topic."),
    name: z.string().min(1).max(200).optional().describe("Human-readable site name."),
    region: z.array(idSchema).default([]).describe("Region path from the top, as ids, e.g. [province, district-07]."),
    broker: brokerLinkSchema,
    agent: agentSettingsSchema.prefault({}),
    rooms: z.record(idSchema, roomConfigSchema).optional().describe("Rooms of the site, by id."),
    devices: z.record(idSchema, deviceConfigSchema).default({}).describe("Devices of the site, by id."),
    readiness: readinessSettingsSchema.prefault({}),
    calls: siteCallsSchema.prefault({}),
  })
  .superRefine((site, ctx) => {
    checkSite(site, ctx);
    checkReadiness(site as ReadinessShape, ctx);
    checkCalls(site, ctx);
  })
  .describe("roomgate site file");

export type SiteConfig = z.output<typeof siteConfigSchema>;
/** The site file as written (fields with defaults may be absent). */
export type SiteConfigInput = z.input<typeof siteConfigSchema>;
export type DeviceConfig = z.output<typeof deviceConfigSchema>;
/** What feeds a device: a relay of a GPIO board, or a PoE port of the access switch. */
export type PowerConfig = { device: string; relay: string } | { device: string; port: string };
export type TransportConfig = z.output<typeof transportConfigSchema>;
export type BrokerLinkConfig = z.output<typeof brokerLinkSchema>;
export type LogLevel = z.output<typeof logLevelSchema>;

type SiteShape = {
  broker: { url: string; password?: string | undefined; passwordFile?: string | undefined; tls?: { certFile?: string | undefined; keyFile?: string | undefined } | undefined };
  rooms?: Record<string, { secure?: { encryptor: string; failsafe: { device: string }[] } | undefined }> | undefined;
  devices: Record<string, { room?: string | undefined; transport: TransportConfig; protocol: string; options: Record<string, unknown>; power?: PowerConfig | undefined }>;
};

/** Cross-field rules: rooms exist, one device per serial path / udp endpoint / local udp port. */
function checkSite(site: SiteShape, ctx: z.RefinementCtx): void {
  if (site.broker.password !== undefined && site.broker.passwordFile !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["broker", "passwordFile"],
      message: "give either password or passwordFile, not both",
    });
  }
  const tls = site.broker.tls;
  if (tls !== undefined && !site.broker.url.startsWith("mqtts://")) {
    ctx.addIssue({ code: "custom", path: ["broker", "tls"], message: "tls settings need an mqtts:// url" });
  }
  if (tls !== undefined && (tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    ctx.addIssue({ code: "custom", path: ["broker", "tls", tls.certFile === undefined ? "certFile" : "keyFile"], message: "give both certFile and keyFile, or neither" });
  }
  for (const [room, cfg] of Object.entries(site.rooms ?? {})) {
    if (!cfg.secure) continue;
    const at = ["rooms", room, "secure"];
    if (!(cfg.secure.encryptor in site.devices)) {
      ctx.addIssue({ code: "custom", path: [...at, "encryptor"], message: `no device "${cfg.secure.encryptor}"` });
    }
    cfg.secure.failsafe.forEach((step, i) => {
      if (!(step.device in site.devices)) ctx.addIssue({ code: "custom", path: [...at, "failsafe", i, "device"], message: `no device "${step.device}"` });
    });
  }
  for (const [id, dev] of Object.entries(site.devices)) {
    if (!dev.power) continue;
    const board = site.devices[dev.power.device];
    const at = ["devices", id, "power"];
    if ("port" in dev.power) {
      if (!board || board.protocol !== "snmp") {
        ctx.addIssue({ code: "custom", path: [...at, "device"], message: `no switch (protocol snmp) "${dev.power.device}"` });
        continue;
      }
      const ports = board.options.ports as Record<string, unknown> | undefined;
      if (ports?.[dev.power.port] === undefined) {
        ctx.addIssue({ code: "custom", path: [...at, "port"], message: `${dev.power.device} has no port named "${dev.power.port}" in its options.ports` });
      }
      continue;
    }
    if (!board || board.protocol !== "firmata") {
      ctx.addIssue({ code: "custom", path: [...at, "device"], message: `no firmata device "${dev.power.device}"` });
      continue;
    }
    const pin = (board.options.pins as Record<string, { relay?: unknown }> | undefined)?.[dev.power.relay];
    if (pin?.relay === undefined) {
      ctx.addIssue({ code: "custom", path: [...at, "relay"], message: `${dev.power.device} has no relay named "${dev.power.relay}"` });
    }
  }
  const seen = new Map<string, string>();
  const claim = (key: string, deviceId: string, path: (string | number)[], what: string): void => {
    const owner = seen.get(key);
    if (owner === undefined) seen.set(key, deviceId);
    else ctx.addIssue({ code: "custom", path, message: `${what} is already used by device ${owner}` });
  };
  for (const [id, device] of Object.entries(site.devices)) {
    if (device.room !== undefined && site.rooms !== undefined && !(device.room in site.rooms)) {
      const known = Object.keys(site.rooms).join("|") || "(none)";
      ctx.addIssue({
        code: "custom",
        path: ["devices", id, "room"],
        message: `unknown room ${JSON.stringify(device.room)}; expected one of ${known}`,
      });
    }
    const t = device.transport;
    const at = ["devices", id, "transport"];
    if (t.type === "serial") claim(`serial:${t.path}`, id, [...at, "path"], `serial path ${t.path}`);
    if (t.type === "tcp") claim(`tcp:${t.host}:${t.port}`, id, [...at, "port"], `tcp endpoint ${t.host}:${t.port}`);
    if (t.type === "udp") {
      claim(`udp:${t.host}:${t.port}`, id, [...at, "port"], `udp endpoint ${t.host}:${t.port}`);
      if (t.localPort !== undefined && t.localPort !== 0) {
        claim(`udp-local:${t.localPort}`, id, [...at, "localPort"], `local udp port ${t.localPort}`);
      }
    }
  }
}

/** Endpoint text for meta and logs; never includes secrets. e.g. `serial:/dev/ttyUSB0@9600`. */
export function describeTransport(t: TransportConfig): string {
  switch (t.type) {
    case "serial":
      return `serial:${t.path}@${t.baudRate}`;
    case "udp":
      return `udp:${t.host}:${t.port}`;
    case "tcp":
      return `tcp:${t.host}:${t.port}`;
    case "http":
      return `${t.tls ? "https" : "http"}://${t.host}:${t.port}${t.path}`;
    case "ssh":
      return `ssh:${t.username}@${t.host}:${t.port}`;
  }
}

/** A copy safe to print or log: the password is replaced, and a user:pass in the URL masked. */
export function redactSiteConfig(config: SiteConfig): SiteConfig {
  const broker = { ...config.broker, url: config.broker.url.replace(/\/\/[^@/]*@/, "//***@") };
  if (broker.password !== undefined) broker.password = "***";
  const devices = Object.fromEntries(
    Object.entries(config.devices).map(([id, dev]) => {
      const t = dev.transport as { password?: string };
      return [id, t.password === undefined ? dev : { ...dev, transport: { ...dev.transport, password: "***" } }];
    }),
  ) as SiteConfig["devices"];
  return { ...config, broker, devices };
}
