/**
 * The agent controller: one MQTT session, one supervisor per device, the command router, and the
 * agent's modules (agent/module.ts: readiness, scenes, secure sessions, alarms, power-cycling,
 * discovery, ...), wired generically by a ModuleHost. Parts start in order (modules -> session ->
 * devices) and stop in reverse; a device that fails to load is reported as `fault` and skipped, and
 * a module that fails to start is logged and skipped, never stopping the rest.
 */
import path from "node:path";
import { z } from "zod";
import type { Clock, DriverEvent, Logger } from "../drivers/types.js";
import { DeviceError } from "../drivers/types.js";
import { systemClock } from "../drivers/clock.js";
import { createTransport } from "../drivers/transport/index.js";
import type { SiteConfig } from "../config/site.js";
import { DeviceRunner } from "./device.js";
import type { HealthRecord } from "./device.js";
import { loadDriver as defaultLoadDriver } from "./drivers.js";
import type { DriverModule } from "./drivers.js";
import { MqttSession } from "./mqtt-session.js";
import { AlarmManager } from "./alarms.js";
import { CommandRouter } from "./router.js";
import type { AuditRecord } from "./router.js";
import { topicFilter, topics } from "./topic-names.js";
import { withDeadline } from "./deadline.js";
import { runCheck } from "./readiness/check.js";
import { tcpConnect, type Connect } from "./readiness/hosts.js";
import type { AgentMeta, CommandResponse, SiteEvent } from "./topics.js";
import type { AgentModule, DeviceAccess } from "./module.js";
import type { DriverReadiness } from "../drivers/readiness.js";
import { ModuleHost } from "./module-host.js";
import { builtInModules } from "./modules/index.js";
import { durableFile, fileDurable } from "./durable.js";

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
   * Where the agent keeps what must survive a restart (the outbox of owed events, the active alarms,
   * the drivers' durable records); without it they are in memory only.
   */
  stateDir?: string;
  /** How host checks connect (tests inject a slow or dead network); default a real TCP connect. */
  connect?: Connect;
  /** Broker reconnect backoff (tests use small values). */
  mqttBackoff?: { initialMs?: number; maxMs?: number };
  /** More agent modules, started after the built-in ones (agent/modules/index.ts). */
  modules?: AgentModule[];
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
  private readonly alarms: AlarmManager;
  private readonly modules: ModuleHost;
  /** How readiness host probes connect. */
  private readonly connect: Connect;
  /** The latest state of each device (for the interlock and readiness). */
  private readonly states = new Map<string, Record<string, unknown>>();
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
    if (broker.tls !== undefined) sessionOpts.tls = broker.tls;
    if (opts.mqttBackoff) sessionOpts.backoff = opts.mqttBackoff;
    if (opts.stateDir !== undefined) sessionOpts.outboxDir = path.join(opts.stateDir, `${this.site}.outbox`);
    this.session = new MqttSession(sessionOpts);
    this.alarms = new AlarmManager({
      site: this.site,
      stateDir: opts.stateDir,
      clock: this.clock,
      logger: this.log.child({ part: "alarms" }),
      sink: {
        retained: (id, alarm) => this.session.setRetained(topics.alarm(this.site, id), alarm),
        event: (type, device, data) => this.publishEvent({ type, device, data }),
      },
    });
    this.connect = opts.connect ?? tcpConnect(this.clock);
    this.modules = new ModuleHost({
      modules: [...builtInModules(), ...(opts.modules ?? [])],
      logger: this.log,
      publishEvent: (type, data, device) => this.publishEvent({ type, device, data }),
      base: {
        site: this.site,
        config: opts.config,
        bootSeq: opts.bootSeq,
        startedAt: this.startedAt,
        clock: this.clock,
        alarms: this.alarms,
        devices: this.deviceAccess(),
        connect: this.connect,
        setRetained: (topic, payload) => this.session.setRetained(topic, payload),
        republish: () => this.session.republish(),
        verify: (room, devices, ms) => this.verify(room, devices, ms),
      },
    });
    this.router = new CommandRouter({
      site: this.site,
      clock: this.clock,
      logger: this.log,
      commandTimeoutMs: opts.config.agent.commandTimeoutMs,
      device: (id) => this.devices.get(id),
      agent: this.modules.target(),
      respond: (user, res) => this.respond(user, res),
      audit: (rec) => this.publishEvent({ type: "command", device: rec.device ?? undefined, data: auditData(rec) }),
    });
  }

  async start(): Promise<void> {
    if (this.started) return;
    // Before anything runs: two modules claiming one action name is a startup error naming both.
    this.modules.declare();
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
          onState: (d, state) => this.onState(d, state),
          onHealth: (d, h) => this.onHealth(d, h),
          onEvent: (d, e) => this.onDriverEvent(d, e),
          ...(this.opts.stateDir !== undefined ? { durable: fileDurable(durableFile(this.opts.stateDir, this.site, id), this.log.child({ device: id, part: "durable" })) } : {}),
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
    // Alarms restored from disk: those of devices no longer in the site file are over.
    for (const a of this.alarms.list()) {
      if (a.alarm.device !== undefined && !this.devices.has(a.alarm.device) && a.source !== "session") this.alarms.clear(a.id);
    }
    this.alarms.publishAll();
    await this.modules.start();
    // Again, now that the modules that failed to start are out of the table (nothing is published yet:
    // the session has not started, and meta keeps its place, second after the birth).
    this.session.setRetained(topics.agentMeta(this.site), this.meta());
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
    await this.modules.stop();
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

  private onState(device: string, state: Record<string, unknown>): void {
    this.states.set(device, state);
    this.session.setRetained(topics.deviceState(this.site, device), { ts: this.clock.now(), state });
    this.modules.deviceState(device, state);
    // A driver that lists its device's own active alarms (`alarms: [code...]`) clears the rest.
    if (Array.isArray(state.alarms)) {
      const keep = new Set(state.alarms.filter((c): c is string => typeof c === "string").map((c) => deviceAlarmId(device, c)));
      this.alarms.reconcile("device", device, keep);
    }
  }

  /** A readiness read-back: the device polled now, under the deadline. */
  private async readDevice(device: string, timeoutMs: number): Promise<Record<string, unknown>> {
    return this.runner(device).readNow(timeoutMs);
  }

  /** A scene or fail-safe step: a device action under its own deadline, as a command would run it. */
  private async runStep(device: string, action: string, args: unknown, timeoutMs: number, user: string): Promise<unknown> {
    const runner = this.runner(device);
    return withDeadline(this.clock, timeoutMs, `no result within ${timeoutMs} ms`, (signal) =>
      runner.run(action, args, { signal, deadline: this.clock.now() + timeoutMs, user }),
    );
  }

  private runner(device: string): DeviceRunner {
    const runner = this.devices.get(device);
    if (!runner) throw new DeviceError("unknown_device", `no device "${device}"`);
    return runner;
  }

  /** A scene's verify step: `devices` read back now against `room`'s profile; the failing items. */
  private async verify(room: string, devices: string[], deadlineMs: number): Promise<string[]> {
    const deps = { config: this.opts.config, clock: this.clock, read: (d: string, ms: number) => this.readDevice(d, ms), spec: (d: string) => this.driverReadiness(d), connect: this.connect };
    const items = await runCheck(deps, { rooms: [room], devices, deadlineMs });
    return items.filter((i) => i.result === "fail").map((i) => `${i.id}: ${i.message ?? i.code ?? "failed"}`);
  }

  private async driverReadiness(device: string): Promise<DriverReadiness | undefined> {
    return (await (this.opts.loadDriver ?? defaultLoadDriver)(this.opts.config.devices[device]!.protocol)).readiness;
  }

  /** The devices as the modules see them (agent/module.ts DeviceAccess). */
  private deviceAccess(): DeviceAccess {
    return {
      ids: () => [...this.devices.keys()],
      has: (d) => this.devices.has(d),
      health: (d) => this.devices.get(d)?.health,
      state: (d) => this.states.get(d),
      read: (d, ms) => this.readDevice(d, ms),
      run: async (d, action, args, ctx) => this.runner(d).run(action, args, ctx),
      runWithin: (d, action, args, ms, user) => this.runStep(d, action, args, ms, user),
      readiness: (d) => this.driverReadiness(d),
    };
  }

  private onHealth(device: string, h: HealthRecord): void {
    this.session.setRetained(topics.deviceHealth(this.site, device), h);
    this.healthAlarm(device, h);
    const data: Record<string, unknown> = { status: h.status };
    if (h.code !== undefined) data.code = h.code;
    if (h.message !== undefined) data.message = h.message;
    this.publishEvent({ type: "health", device, data });
    // After publishEvent: when this line is written, the event is already in the outbox (and on disk).
    this.log.info({ device, health: data }, "health changed");
  }

  /** unreachable or fault: a major alarm; degraded: minor; ok: cleared. */
  private healthAlarm(device: string, h: HealthRecord): void {
    const id = `${device}-health`;
    if (h.status === "ok") {
      this.alarms.clear(id);
      return;
    }
    if (h.status === "unknown") return;
    const severity = h.status === "degraded" ? "minor" : "major";
    const message = `${device} ${h.status}${h.code ? ` (${h.code})` : ""}${h.message ? `: ${h.message}` : ""}`;
    this.alarms.raise({ id, source: "health", severity, code: h.code ?? h.status, device, message });
  }

  private onDriverEvent(device: string, e: DriverEvent): void {
    if (e.type.endsWith(".alarm") && e.data) this.deviceAlarm(device, e.data);
    const data: Record<string, unknown> = { type: e.type };
    if (e.message !== undefined) data.message = e.message;
    if (e.data !== undefined) data.data = e.data;
    this.publishEvent({ type: "driver", device, data });
    // After the `driver` event, so that a module's reaction (e.g. `call.dropped`) follows it in the outbox.
    this.modules.deviceEvent(device, e);
  }

  /** A device's own alarm (e.g. the encryptor's AL lines): `{code, severity, action: raise|clear}`. */
  private deviceAlarm(device: string, data: Record<string, unknown>): void {
    const code = typeof data.code === "string" ? data.code : undefined;
    if (!code) return;
    const id = deviceAlarmId(device, code);
    if (data.action === "clear") {
      this.alarms.clear(id);
      return;
    }
    const sev = data.severity;
    const severity = sev === "critical" || sev === "major" || sev === "minor" || sev === "warning" ? sev : "major";
    this.alarms.raise({ id, source: "device", severity, code, device, message: `${device} reports ${code}` });
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
      agent: this.modules.meta(),
    };
    if (config.name !== undefined) meta.name = config.name;
    return meta;
  }
}

function auditData(rec: AuditRecord): Record<string, unknown> {
  return { ...rec };
}

const deviceAlarmId = (device: string, code: string): string => `${device}-${code.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "")}`;
