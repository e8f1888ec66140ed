/**
 * The agent controller: one MQTT session, one supervisor per device, the command router.
 * Parts start in order (session -> devices -> router) and stop in reverse; a device that fails
 * to load is reported as `fault` and skipped, never stopping the rest.
 */
import path from "node:path";
import { z } from "zod";
import type { ActionContext, ActionSpec, Clock, DriverEvent, Logger } from "../drivers/types.js";
import { systemClock } from "../drivers/clock.js";
import { createTransport } from "../drivers/transport/index.js";
import type { SiteConfig } from "../config/site.js";
import { DeviceRunner } from "./device.js";
import type { HealthRecord } from "./device.js";
import { loadDriver as defaultLoadDriver } from "./drivers.js";
import type { DriverModule } from "./drivers.js";
import { MqttSession } from "./mqtt-session.js";
import { CommandRouter } from "./router.js";
import type { AuditRecord, CommandTarget } from "./router.js";
import { topicFilter, topics } from "./topics.js";
import type { AgentMeta, CommandResponse, SiteEvent } from "./topics.js";

export interface AgentOptions {
  config: SiteConfig;
  logger: Logger;
  version: string;
  bootSeq: number;
  clock?: Clock;
  /** Overrides `config.broker.url` (e.g. the demo's embedded broker). */
  brokerUrl?: string;
  /** Injection points for tests. */
  loadDriver?: (protocol: string) => Promise<DriverModule>;
  createTransport?: typeof createTransport;
  /**
   * Where the agent keeps what must survive a restart (the outbox of owed events); without it the
   * outbox is in memory only.
   */
  stateDir?: string;
  /** Broker reconnect backoff (tests use small values). */
  mqttBackoff?: { initialMs?: number; maxMs?: number };
}

export class Agent {
  private readonly opts: AgentOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly site: string;
  private readonly session: MqttSession;
  private readonly devices = new Map<string, DeviceRunner>();
  private readonly router: CommandRouter;
  private readonly startedAt: number;
  private started = false;

  constructor(opts: AgentOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.site = opts.config.site;
    this.log = opts.logger.child({ site: this.site });
    this.startedAt = this.clock.now();
    const broker = opts.config.broker;
    const sessionOpts: ConstructorParameters<typeof MqttSession>[0] = {
      url: opts.brokerUrl ?? broker.url,
      clientId: `roomgate-agent-${this.site}`,
      keepaliveSec: broker.keepaliveSec,
      will: { topic: topics.agentState(this.site), payload: { state: "lost", bootSeq: opts.bootSeq } },
      outboxLimit: broker.outboxLimit,
      outboxMaxBytes: broker.outboxMaxBytes,
      outboxMaxAgeMs: broker.outboxMaxAgeSec * 1000,
      eventId: () => this.nextEventId(),
      eventTopic: topics.event(this.site),
      logger: this.log,
      clock: this.clock,
    };
    if (broker.username !== undefined) sessionOpts.username = broker.username;
    if (broker.password !== undefined) sessionOpts.password = broker.password;
    if (opts.mqttBackoff) sessionOpts.backoff = opts.mqttBackoff;
    if (opts.stateDir !== undefined) sessionOpts.outboxDir = path.join(opts.stateDir, `${this.site}.outbox`);
    this.session = new MqttSession(sessionOpts);
    this.router = new CommandRouter({
      site: this.site,
      clock: this.clock,
      logger: this.log,
      commandTimeoutMs: opts.config.agent.commandTimeoutMs,
      device: (id) => this.devices.get(id),
      agent: this.agentTarget(),
      respond: (user, res) => this.respond(user, res),
      audit: (rec) => this.publishEvent({ type: "command", device: rec.device ?? undefined, data: auditData(rec) }),
    });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { config } = this.opts;
    for (const [id, dev] of Object.entries(config.devices)) {
      this.devices.set(
        id,
        new DeviceRunner({
          id,
          config: dev,
          pollIntervalMs: dev.pollIntervalMs ?? config.agent.pollIntervalMs,
          clock: this.clock,
          logger: this.log,
          loadDriver: this.opts.loadDriver ?? defaultLoadDriver,
          createTransport: this.opts.createTransport ?? createTransport,
          onState: (d, state) => this.session.setRetained(topics.deviceState(this.site, d), { ts: this.clock.now(), state }),
          onHealth: (d, h) => this.onHealth(d, h),
          onEvent: (d, e) => this.onDriverEvent(d, e),
        }),
      );
    }
    // Load every driver first (no I/O) so that meta lists their actions; a failed load is a fault.
    await Promise.all(
      [...this.devices.values()].map(async (runner) => {
        try {
          await runner.load();
        } catch (err) {
          this.log.error({ device: runner.id, err: (err as Error).message }, "driver failed to load");
        }
      }),
    );
    this.session.setRetained(topics.agentState(this.site), {
      state: "online",
      bootSeq: this.opts.bootSeq,
      version: this.opts.version,
      ts: this.clock.now(),
    });
    this.session.setRetained(topics.agentMeta(this.site), this.meta());
    for (const runner of this.devices.values()) {
      this.session.setRetained(topics.deviceHealth(this.site, runner.id), runner.health);
    }
    this.session.on("message", (topic, payload) => this.onMessage(topic, payload));
    this.session.subscribe(topicFilter("cmd", this.site));
    this.session.subscribe(topics.rebirth(this.site));
    this.session.start();
    // Devices start in parallel; each one's failure stays its own.
    await Promise.all([...this.devices.values()].map((r) => r.start()));
    this.log.info({ devices: this.devices.size, bootSeq: this.opts.bootSeq }, "agent started");
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.router.abortAll();
    await Promise.all([...this.devices.values()].map((r) => r.stop()));
    await this.session.stop({
      topic: topics.agentState(this.site),
      payload: { state: "offline", bootSeq: this.opts.bootSeq, ts: this.clock.now() },
    });
    this.log.info("agent stopped");
  }

  /** For tests and the demo: the current health of a device. */
  health(device: string): HealthRecord | undefined {
    return this.devices.get(device)?.health;
  }

  get mqttConnected(): boolean {
    return this.session.connected;
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (topic === topics.rebirth(this.site)) {
      this.log.info("rebirth requested");
      this.session.republish();
      return;
    }
    this.router.handle(topic, payload).catch((err: unknown) => {
      this.log.error({ topic, err: (err as Error).message }, "command handling failed");
    });
  }

  private onHealth(device: string, h: HealthRecord): void {
    this.session.setRetained(topics.deviceHealth(this.site, device), h);
    const data: Record<string, unknown> = { status: h.status };
    if (h.code !== undefined) data.code = h.code;
    if (h.message !== undefined) data.message = h.message;
    this.publishEvent({ type: "health", device, data });
    // After publishEvent: when this line is written, the event is already in the outbox (and on disk).
    this.log.info({ device, health: data }, "health changed");
  }

  private onDriverEvent(device: string, e: DriverEvent): void {
    const data: Record<string, unknown> = { type: e.type };
    if (e.message !== undefined) data.message = e.message;
    if (e.data !== undefined) data.data = e.data;
    this.publishEvent({ type: "driver", device, data });
  }

  private publishEvent(e: { type: string; device?: string | undefined; data?: Record<string, unknown> }): void {
    // bootSeq is persisted and grows each start, so `{bootSeq}-{n}` never repeats at a site:
    // a consumer dedupes by it (delivery is at-least-once; see docs/reliability.md).
    const event: SiteEvent = { id: this.nextEventId(), ts: this.clock.now(), type: e.type };
    if (e.device !== undefined) event.device = e.device;
    if (e.data !== undefined) event.data = e.data;
    this.session.publishOwed(topics.event(this.site), event as Record<string, unknown>);
  }

  private respond(user: string, res: CommandResponse): void {
    this.session.publishOwed(topics.res(this.site, user), res as Record<string, unknown>);
  }

  /** Events published by this run (the second half of each event id). */
  private eventCount = 0;

  private nextEventId(): string {
    return `${this.opts.bootSeq}-${++this.eventCount}`;
  }

  private meta(): AgentMeta {
    const { config } = this.opts;
    const devices: AgentMeta["devices"] = {};
    for (const [id, runner] of this.devices) {
      const dev = config.devices[id]!;
      const actions: AgentMeta["devices"][string]["actions"] = {};
      for (const [name, spec] of Object.entries(runner.actions)) {
        actions[name] = { description: spec.description, args: z.toJSONSchema(spec.args, { io: "input" }) as Record<string, unknown> };
      }
      const entry: AgentMeta["devices"][string] = {
        kind: dev.kind,
        protocol: dev.protocol,
        transport: runner.transportDescription,
        actions,
        stateFields: [...runner.stateFields],
      };
      if (dev.room !== undefined) entry.room = dev.room;
      if (dev.name !== undefined) entry.name = dev.name;
      devices[id] = entry;
    }
    const meta: AgentMeta = {
      site: this.site,
      region: config.region,
      version: this.opts.version,
      bootSeq: this.opts.bootSeq,
      ts: this.clock.now(),
      devices,
    };
    if (config.name !== undefined) meta.name = config.name;
    return meta;
  }

  private agentTarget(): CommandTarget {
    const actions: Record<string, ActionSpec> = {
      ping: {
        description: "Answers with the agent's boot sequence and uptime.",
        args: z.object({}).strict(),
        run: async () => ({ pong: true, bootSeq: this.opts.bootSeq, uptimeMs: this.clock.now() - this.startedAt }),
      },
      discover: {
        description:
          "Finds ONVIF cameras on the site's LAN (WS-Discovery) and answers with each one's address, identity from its " +
          "scopes, and a ready-to-paste site-file entry. No credentials travel over MQTT, so model and firmware come " +
          "from the scopes only.",
        args: z
          .strictObject({
            interface: z.string().min(1).max(64).optional().describe("Probe only from this interface (name or IPv4 address)."),
            unicast: z.array(z.string().regex(/^[^\s:]+(:\d{1,5})?$/)).max(64).optional().describe("Also probe these host[:port] directly."),
            multicast: z.boolean().optional().describe("Send the multicast probe (default true)."),
            windowMs: z.number().int().min(100).max(30_000).optional().describe("How long to collect replies (default 3000)."),
          })
          .describe("Where and how long to look."),
        run: async (args: { interface?: string; unicast?: string[]; multicast?: boolean; windowMs?: number }, ctx: ActionContext) => {
          const { discover, formatDeviceEntry } = await import("../drivers/onvif/index.js");
          const windowMs = Math.max(100, Math.min(args.windowMs ?? 3000, ctx.deadline - this.clock.now() - 500));
          const result = await discover({ ...args, windowMs, signal: ctx.signal, logger: this.log.child({ part: "discover" }) });
          return {
            cameras: result.cameras.map((c) => ({
              endpoint: c.endpoint, url: c.url, host: c.host, port: c.port, name: c.name, hardware: c.hardware,
              ptz: c.ptz, manufacturer: c.manufacturer, model: c.model, firmware: c.firmware, entry: formatDeviceEntry(c),
            })),
            malformed: result.malformed,
            errors: result.errors,
          };
        },
      },
      rebirth: {
        description: "Republishes every retained topic of this site.",
        args: z.object({}).strict(),
        run: async () => {
          this.session.republish();
          return { republished: true };
        },
      },
    };
    return {
      actions,
      run: (action: string, args: unknown, _ctx: ActionContext) => actions[action]!.run(args, _ctx),
    };
  }
}

function auditData(rec: AuditRecord): Record<string, unknown> {
  return { ...rec };
}
