/**
 * The agent-module contract (DESIGN.md "Agent features are modules"): what the agent does beyond
 * devices (alarms, secure sessions, readiness and scenes, power-cycling, discovery, and next the
 * codec interlock and PoE) is one module each. A module contributes actions addressed to the agent
 * (no `device` in the command; listed in `agent/meta` under `agent.actions` like a device's), the
 * event types it publishes and, if it has any, its readiness items.
 *
 * Rules:
 * - The constructor does nothing: no I/O, no timers, no listeners.
 * - `actions(ctx)` is called once, before any module starts, to declare the module's actions (so a
 *   duplicate name is refused before anything runs). No I/O or timers there either; the handlers
 *   may rely on `start` having resolved: the agent routes only to modules that started.
 * - `start(ctx)` runs in the agent's order; a module whose start throws is logged and skipped (its
 *   actions are then neither listed nor routed) and the others carry on. `stop()` runs in reverse
 *   order, removes every listener and timer the module set, and is idempotent.
 * - Everything a module may use comes in its context; it never reaches into the Agent. Errors it
 *   answers with are DeviceErrors with a code, as a driver's are.
 */
import type { ActionContext, ActionTable, Clock, DriverEvent, Logger } from "../drivers/types.js";
import type { DriverReadiness, ReadinessItem } from "../drivers/readiness.js";
import type { SiteConfig } from "../config/site.js";
import type { AlarmManager } from "./alarms.js";
import type { HealthRecord } from "./device.js";
import type { Connect } from "./readiness/hosts.js";

export interface AgentModule {
  /** `[a-z0-9-]`, unique among the agent's modules: in logs (`part`) and in start-up errors. */
  readonly name: string;
  /** The actions it adds to the agent's own table (name -> args schema, description, run). */
  actions(ctx: ModuleContext): ActionTable;
  /** The event types it publishes with `ctx.publishEvent` (an undeclared one is logged once). */
  readonly events?: readonly string[];
  /** Readiness items it judges itself (beyond the devices' and hosts'); consulted once started. */
  readonly readiness?: ModuleReadiness;
  start(ctx: ModuleContext): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A module's own readiness items for a room's check (e.g. the codec interlock: "codec registered").
 * Their ids in the report are `{module}.{key}` (`{room}.{module}.{key}` when one check covers the
 * module in more than one room), the same in every report.
 */
export interface ModuleReadiness {
  /** The items it will judge in `room`, before anything is read (empty: none there). No I/O. */
  plan(room: string): { key: string; name: string }[];
  /** Judges them now. The check fails with `unreachable` whatever has not come by `deadline` (clock ms). */
  evaluate(room: string, deadline: number): Promise<ReadinessItem[]>;
}

/** What the agent hands a module: a small surface over its devices, MQTT session and alarms. */
export interface ModuleContext {
  readonly site: string;
  readonly config: SiteConfig;
  /** Counts agent starts (persisted); with the module's own counter it makes ids unique at the site. */
  readonly bootSeq: number;
  /** When this agent started (clock ms). */
  readonly startedAt: number;
  readonly clock: Clock;
  /** The agent's logger bound to `{part: <module name>}`. */
  readonly logger: Logger;
  /** The site's alarms (raise, clear, ack, list): retained `alarm/{id}` and their events. */
  readonly alarms: AlarmManager;
  readonly devices: DeviceAccess;
  /** An owed event on `roomgate/v1/{site}/event` (kept in the outbox while the broker is away). */
  publishEvent(type: string, data: Record<string, unknown>, device?: string): void;
  /** Sets (null: clears) a retained topic of this site; it is republished after every reconnect. */
  setRetained(topic: string, payload: object | null): void;
  /** Publishes every retained topic of the site again (the `rebirth` request). */
  republish(): void;
  /**
   * Called with every new state of every device, synchronously from the driver's emit (so a reaction
   * is in the outbox before the device's next line is read). Returns the remover: call it in stop().
   */
  onDeviceState(listener: (device: string, state: Record<string, unknown>) => void): () => void;
  /**
   * Called with every event a device's driver emits (e.g. a codec's `call.ended`), synchronously
   * from the driver's emit and after the agent published it as a `driver` event. Returns the
   * remover: call it in stop().
   */
  onDeviceEvent(listener: (device: string, event: DriverEvent) => void): () => void;
  /** How readiness host probes connect (tests inject a slow or dead network). */
  readonly connect: Connect;
  /** Reads `devices` back now against `room`'s readiness profile; the failing items (empty: all pass). */
  verify(room: string, devices: string[], timeoutMs: number): Promise<string[]>;
  /** The readiness items of the modules that started, by module name (for the readiness check). */
  moduleReadiness(): readonly ModuleReadinessSource[];
}

export interface ModuleReadinessSource {
  module: string;
  readiness: ModuleReadiness;
}

/** The devices of the site, as a module may use them. Each call naming no such device rejects `unknown_device`. */
export interface DeviceAccess {
  /** Device ids in the site file's order. */
  ids(): string[];
  has(device: string): boolean;
  /** Current (undebounced) health, or undefined for no such device. */
  health(device: string): HealthRecord | undefined;
  /** The latest polled or pushed state, or undefined before the first. */
  state(device: string): Record<string, unknown> | undefined;
  /** A fresh poll within timeoutMs (never the cached state); published as a poll's would be. */
  read(device: string, timeoutMs: number): Promise<Record<string, unknown>>;
  /** Runs a device action inside the caller's command (its signal, deadline and user). */
  run(device: string, action: string, args: unknown, ctx: ActionContext): Promise<unknown>;
  /** Runs a device action under its own deadline, as a command from `user` would run (scene and fail-safe steps). */
  runWithin(device: string, action: string, args: unknown, timeoutMs: number, user: string): Promise<unknown>;
  /** The readiness contract of the device's driver, or undefined. */
  readiness(device: string): Promise<DriverReadiness | undefined>;
}

/**
 * Two modules declared the same agent action (or share a name): the agent does not start. A startup
 * error naming both, never a silent override of one module's action by another's.
 */
export class ModuleConflictError extends Error {
  constructor(
    readonly code: "duplicate_action" | "duplicate_module",
    /** The two modules, in the agent's order. */
    readonly modules: [string, string],
    /** The action both declare (duplicate_action). */
    readonly action?: string,
  ) {
    super(
      code === "duplicate_action"
        ? `agent action "${action}" is declared by two modules: ${modules[0]} and ${modules[1]}`
        : `two agent modules are named "${modules[0]}"`,
    );
    this.name = "ModuleConflictError";
  }
}
