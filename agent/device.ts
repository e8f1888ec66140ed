/**
 * Supervises one device: loads its driver, opens its transport, polls it, and restarts it with
 * backoff when it fails. Nothing here throws to the caller: one failing device never stops the others.
 */
import type { ActionContext, ActionSpec, Clock, Driver, DriverEvent, DurableStore, Health, Logger, TimerHandle } from "../drivers/types.js";
import { DeviceError } from "../drivers/types.js";
import type { Transport } from "../drivers/transport/types.js";
import type { TransportSpec } from "../drivers/transport/index.js";
import { Backoff } from "../drivers/transport/backoff.js";
import type { DeviceConfig } from "../config/site.js";
import type { DriverModule } from "./drivers.js";
import { withDeadline } from "./deadline.js";
import { memoryDurable } from "./durable.js";

export interface HealthRecord extends Health {
  since: number;
  lastSeen: number | null;
}

export interface DeviceRunnerDeps {
  id: string;
  config: DeviceConfig;
  pollIntervalMs: number;
  /** Default POST_ACTION_POLL_MS. */
  postActionPollMs?: number;
  /** First health hold window; default HEALTH_HOLD_MS (0 = publish every change). */
  healthHoldMs?: number;
  clock: Clock;
  logger: Logger;
  loadDriver(protocol: string): Promise<DriverModule>;
  createTransport(spec: TransportSpec, deps: { clock: Clock; logger: Logger }): Promise<Transport>;
  onState(id: string, state: Record<string, unknown>): void;
  onHealth(id: string, health: HealthRecord): void;
  onEvent(id: string, event: DriverEvent): void;
  /** The device's durable record (agent/durable.ts); default one in memory, kept across driver restarts. */
  durable?: DurableStore;
}

/** Quiet time after an action before the device is polled for its new state. */
export const POST_ACTION_POLL_MS = 500;

/**
 * Health debounce (docs/reliability.md, "Honest health"): the first change after a quiet spell is
 * published at once; then a hold window starts. Changes inside the window are not published one by
 * one: when it ends, the latest health is published if it differs from the last one published, and
 * the next window is twice as long (up to HEALTH_HOLD_MAX_MS). A window that ends with nothing new
 * resets the length. So a real fault is seen at once, and a flapping cable costs a few messages a
 * minute, not one per poll, while the retained health is never more than one window behind.
 */
export const HEALTH_HOLD_MS = 2_000;

/**
 * Polls in a row that end in `timeout` before the runner resets the link (drops and reopens it):
 * a half-open TCP connection (the device rebooted or the switch lost it) looks open for minutes
 * to TCP keepalive; the application deadline notices it in seconds.
 */
export const RESET_AFTER_TIMEOUTS = 3;
export const HEALTH_HOLD_MAX_MS = 60_000;

export class DeviceRunner {
  readonly id: string;
  private readonly deps: DeviceRunnerDeps;
  private readonly log: Logger;
  private driver: Driver | undefined;
  private transport: Transport | undefined;
  private abort = new AbortController();
  private pollTimer: TimerHandle | undefined;
  private restartTimer: TimerHandle | undefined;
  private readonly restartBackoff = new Backoff({ initialMs: 1000, maxMs: 60_000 });
  private stopped = false;
  private polling = false;
  private lastStateJson = "";
  private healthRec: HealthRecord;
  /** The health last handed to onHealth (published). */
  private publishedHealth: HealthRecord | undefined;
  private holdTimer: TimerHandle | undefined;
  private holdMs: number;
  /** Health changed since the hold window began (even if it came back). */
  private changedInHold = false;
  private pollTimeouts = 0;
  private readonly detach: (() => void)[] = [];
  /** One store for every driver this runner creates: a restarted driver finds what the last one saved. */
  private readonly durable: DurableStore;

  constructor(deps: DeviceRunnerDeps) {
    this.id = deps.id;
    this.deps = deps;
    this.durable = deps.durable ?? memoryDurable();
    this.log = deps.logger.child({ device: deps.id });
    this.healthRec = { status: "unknown", since: deps.clock.now(), lastSeen: null };
    this.holdMs = deps.healthHoldMs ?? HEALTH_HOLD_MS;
  }

  get health(): HealthRecord {
    return this.healthRec;
  }

  /** The driver's actions, once loaded (empty before). */
  get actions(): Record<string, ActionSpec> {
    return this.driver?.actions ?? {};
  }

  get stateFields(): readonly string[] {
    return this.driver?.stateFields ?? [];
  }

  get transportDescription(): string {
    return this.transport?.description ?? "";
  }

  /** Loads the driver module and creates the driver (no I/O), so meta can list its actions. */
  async load(): Promise<void> {
    const mod = await this.deps.loadDriver(this.deps.config.protocol);
    this.driver = mod.createDriver();
    this.transport = await this.deps.createTransport(this.deps.config.transport as TransportSpec, {
      clock: this.deps.clock,
      logger: this.log.child({ part: "transport" }),
    });
  }

  /** Starts the driver and the poll loop. Never rejects: failures become health and a restart. */
  async start(): Promise<void> {
    if (this.stopped) return;
    try {
      if (!this.driver || !this.transport) await this.load();
      const driver = this.driver!;
      const onState = (s: Record<string, unknown>) => this.publishState(s);
      const onHealth = (h: Health) => this.setHealth(h);
      const onEvent = (e: DriverEvent) => this.deps.onEvent(this.id, e);
      driver.on("state", onState);
      driver.on("health", onHealth);
      driver.on("event", onEvent);
      this.detach.push(() => {
        driver.off("state", onState);
        driver.off("health", onHealth);
        driver.off("event", onEvent);
      });
      await driver.start({
        deviceId: this.id,
        transport: this.transport!,
        logger: this.log.child({ part: "driver" }),
        clock: this.deps.clock,
        signal: this.abort.signal,
        options: this.deps.config.options ?? {},
        durable: this.durable,
      });
      this.setHealth(driver.health);
      this.restartBackoff.reset();
      this.schedulePoll(0);
    } catch (err) {
      this.onFailure(err, "start");
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    if (this.holdTimer !== undefined) this.deps.clock.clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    this.abort.abort();
    await this.teardown();
  }

  /** Runs one action; rejects with a DeviceError. */
  async run(action: string, args: unknown, ctx: ActionContext): Promise<unknown> {
    const actions = this.driver?.actions;
    const spec = actions && Object.hasOwn(actions, action) ? actions[action] : undefined;
    if (!spec) throw new DeviceError("unknown_action", `device ${this.id} has no action ${action}`);
    const result = await spec.run(args, ctx);
    // An action usually changes state: poll soon so the retained state follows, but not at once:
    // an operator's next command (they come in bursts) must not queue behind four inquiries.
    // Each action pushes the poll back again, so a burst is followed by one poll.
    this.schedulePoll(this.deps.postActionPollMs ?? POST_ACTION_POLL_MS);
    return result;
  }

  /**
   * Reads the device now (a fresh `poll()`, never the cached state) within `timeoutMs`, for the
   * readiness check; the state is published as a poll's would be. Rejects with a DeviceError:
   * `not_connected` when the driver is not running (failed to start, restarting), `timeout`, or
   * the driver's own code.
   */
  async readNow(timeoutMs: number): Promise<Record<string, unknown>> {
    const driver = this.driver;
    if (!driver || this.stopped || this.restartTimer !== undefined) {
      const h = this.healthRec;
      throw new DeviceError("not_connected", `${this.id} is not running (health ${h.status}${h.code ? `/${h.code}` : ""}${h.message ? `: ${h.message}` : ""})`);
    }
    const state = (await withDeadline(this.deps.clock, timeoutMs, `${this.id} did not answer within ${timeoutMs} ms`, () => driver.poll())) as Record<string, unknown>;
    this.healthRec.lastSeen = this.deps.clock.now();
    this.publishState(state);
    this.setHealth(driver.health);
    return state;
  }

  private schedulePoll(delayMs: number): void {
    if (this.stopped) return;
    if (this.pollTimer !== undefined) this.deps.clock.clearTimeout(this.pollTimer);
    this.pollTimer = this.deps.clock.setTimeout(() => {
      this.pollTimer = undefined;
      void this.pollOnce();
    }, delayMs);
  }

  private async pollOnce(): Promise<void> {
    const driver = this.driver;
    if (!driver || this.stopped) return;
    if (this.polling) return this.schedulePoll(this.deps.pollIntervalMs);
    this.polling = true;
    try {
      const state = await driver.poll();
      this.pollTimeouts = 0;
      this.healthRec.lastSeen = this.deps.clock.now();
      this.publishState(state);
      this.setHealth(driver.health);
    } catch (err) {
      if (err instanceof DeviceError) {
        // The driver has already reported its health (e.g. unreachable/timeout); keep polling.
        this.log.debug({ code: err.code, err: err.message }, "poll failed");
        this.setHealth(driver.health);
        this.pollTimeouts = err.code === "timeout" ? this.pollTimeouts + 1 : 0;
        if (this.pollTimeouts >= RESET_AFTER_TIMEOUTS && this.transport?.reset && this.transport.state === "open") {
          this.pollTimeouts = 0;
          const message = `${RESET_AFTER_TIMEOUTS} polls in a row without an answer: link reset`;
          this.log.warn({ transport: this.transport.description }, message);
          this.transport.reset(message);
          this.deps.onEvent(this.id, { type: "link_reset", message });
        }
      } else {
        this.onFailure(err, "poll");
        return;
      }
    } finally {
      this.polling = false;
    }
    this.schedulePoll(this.deps.pollIntervalMs);
  }

  private publishState(state: object): void {
    const json = JSON.stringify(state);
    if (json === this.lastStateJson) return;
    this.lastStateJson = json;
    this.deps.onState(this.id, state as Record<string, unknown>);
  }

  private setHealth(h: Health): void {
    const cur = this.healthRec;
    if (h.status === "ok") cur.lastSeen = this.deps.clock.now();
    if (cur.status === h.status && cur.code === h.code && cur.message === h.message) return;
    const next: HealthRecord = { status: h.status, since: this.deps.clock.now(), lastSeen: cur.lastSeen };
    if (h.code !== undefined) next.code = h.code;
    if (h.message !== undefined) next.message = h.message;
    this.healthRec = next;
    this.changedInHold = true;
    if (this.holdTimer === undefined && !this.stopped) this.publishHealth();
  }

  private publishHealth(): void {
    this.publishedHealth = this.healthRec;
    this.deps.onHealth(this.id, this.healthRec);
    this.startHold();
  }

  private startHold(): void {
    this.changedInHold = false;
    const first = this.deps.healthHoldMs ?? HEALTH_HOLD_MS;
    if (first > 0) this.holdTimer = this.deps.clock.setTimeout(() => this.endHold(), this.holdMs);
  }

  private endHold(): void {
    this.holdTimer = undefined;
    if (this.stopped) return;
    const first = this.deps.healthHoldMs ?? HEALTH_HOLD_MS;
    if (!this.changedInHold) {
      this.holdMs = first; // a quiet window: the next change is published at once
      return;
    }
    this.holdMs = Math.min(this.holdMs * 2, Math.max(first, HEALTH_HOLD_MAX_MS));
    const p = this.publishedHealth;
    const h = this.healthRec;
    if (p !== undefined && p.status === h.status && p.code === h.code && p.message === h.message) {
      // Back where it was published (ok -> unreachable -> ok): nothing to say, but it is flapping.
      this.startHold();
      return;
    }
    this.publishHealth();
  }


  /** A driver that threw something other than a DeviceError, or failed to start: restart it. */
  private onFailure(err: unknown, during: string): void {
    const code = err instanceof DeviceError ? err.code : "internal";
    const message = err instanceof Error ? err.message : String(err);
    this.log.error({ during, code, err: message }, "device failed; restarting");
    const badConfig = code === "invalid_args" || (err as { code?: string }).code === "bad_config";
    this.setHealth({ status: "fault", code: badConfig ? "bad_config" : code, message });
    this.clearTimers();
    const delay = this.restartBackoff.next();
    void this.teardown().then(() => {
      // A fresh driver and transport on restart: a closed transport is not reopened.
      this.driver = undefined;
      this.transport = undefined;
      if (this.stopped) return;
      this.restartTimer = this.deps.clock.setTimeout(() => {
        this.restartTimer = undefined;
        this.abort = new AbortController();
        void this.start();
      }, delay);
    });
  }

  private clearTimers(): void {
    if (this.pollTimer !== undefined) this.deps.clock.clearTimeout(this.pollTimer);
    if (this.restartTimer !== undefined) this.deps.clock.clearTimeout(this.restartTimer);
    this.pollTimer = undefined;
    this.restartTimer = undefined;
  }

  private async teardown(): Promise<void> {
    for (const off of this.detach.splice(0)) off();
    try {
      await this.driver?.stop();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "driver stop failed");
    }
    try {
      await this.transport?.close();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "transport close failed");
    }
  }
}
