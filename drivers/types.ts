/**
 * The driver contract (see ../shared/DESIGN.md, "The driver contract").
 *
 * A driver implements `Driver` fully. Everything it may use arrives in `DriverContext`
 * (transport, logger, clock, abort signal): no globals, no singletons. Every request to a
 * device has a deadline; a device that does not answer makes the driver's health
 * `unreachable`, never a hung promise.
 */
import type { EventEmitter } from "node:events";
import type { z } from "zod";
import type { Transport } from "./transport/types.js";

export type DeviceKind = "camera" | "display" | "ledwall" | "audio" | "crypto" | "gpio" | "codec" | "link" | "switch";

/** Closed vocabulary of device health. */
export type HealthStatus = "ok" | "degraded" | "unreachable" | "fault" | "unknown";

export interface Health {
  status: HealthStatus;
  /** Machine-readable detail: `timeout`, `nak`, `auth_failed`, `bad_config`, `transport_closed`, ... */
  code?: string;
  message?: string;
}

/**
 * Codes that travel to the operator's response, to health and to the log.
 * Drivers use the device-side ones; the agent adds the routing ones.
 */
export type ErrorCode =
  | "unknown_device"
  | "unknown_action"
  | "invalid_args"
  | "timeout"
  | "device_error"
  | "expired"
  | "not_connected"
  | "busy"
  | "cancelled"
  | "internal"
  // Calls (kind codec, drivers/codec/vocabulary.ts): how a dial or a call ended.
  | "call_rejected"
  | "no_answer"
  | "call_dropped"
  | "not_registered";

/** An error that is a value with a code (STYLE.md rule 9). */
export class DeviceError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "DeviceError";
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

/** A timer handle as returned by `Clock.setTimeout` (Node's Timeout or a fake clock's id). */
export type TimerHandle = unknown;

/**
 * Injected time. Production uses `systemClock`; tests hand in a @sinonjs/fake-timers clock
 * through `fakeClock()` (test/helpers/clock.ts) and drive it with `tickAsync`.
 */
export interface Clock {
  now(): number;
  /**
   * The same time as `now()` (ms since the epoch) with sub-millisecond precision, for measurements
   * finer than a millisecond (STAMP round trips on a LAN). Optional: absent, callers use `now()`.
   * The system clock derives it from the monotonic clock, so two readings never go backwards.
   */
  preciseNow?(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

/** The subset of pino's logger that drivers and transports use. */
export interface Logger {
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface DriverContext {
  /** The device id from the site file (`[a-z0-9-]`). */
  deviceId: string;
  /** The link to the device, already constructed but not opened; the driver opens and closes it. */
  transport: Transport;
  logger: Logger;
  clock: Clock;
  /** Aborted when the agent stops the driver. */
  signal: AbortSignal;
  /** Driver-specific options from the site file (already validated by the driver's own schema). */
  options: Record<string, unknown>;
  /**
   * What must survive the agent dying half-way (a PoE port switched off for a power-cycle must be
   * switched on again by the next start). Absent outside an agent (unit tests): keep it in memory.
   */
  durable?: DurableStore;
}

/**
 * One small JSON record per device that survives a restart. The agent backs it with
 * `{stateDir}/{site}.durable/{device}.json`, written atomically (temp file, fsync, rename, fsync of
 * the folder) before `save` resolves; without a state directory it is held in memory (it then
 * survives a driver restart, not the agent's). Keep it small: it is rewritten whole.
 */
export interface DurableStore {
  /** The last value saved, or undefined when none was (or the file is unreadable: logged). */
  load(): Promise<unknown>;
  /** Replaces the record; resolves once it is on disk. Rejects with a DeviceError `internal` when it cannot be written. */
  save(value: unknown): Promise<void>;
}

export interface ActionContext {
  /** Aborted when the command's deadline passes or the agent stops. */
  signal: AbortSignal;
  /** Absolute time (clock ms) by which the action must settle. */
  deadline: number;
  /** The operator, as verified by the broker (the `cmd/{user}` topic). For audit in agent-level actions. */
  user?: string;
}

/** One action of a driver: a zod schema for its args and the code that runs it. */
export interface ActionSpec<A = any, R = unknown> {
  description: string;
  args: z.ZodType<A>;
  run(args: A, ctx: ActionContext): Promise<R>;
  /**
   * The action's own deadline (ms) when it may outlast the agent's command timeout: agent-level
   * actions that run a scene or a readiness check. Device actions leave it out.
   */
  timeoutMs?(args: A): number;
}

export type ActionTable = Record<string, ActionSpec>;

/** Something the centre should hear about that is neither state nor health (goes to the event topic). */
export interface DriverEvent {
  /** e.g. `garbled_frame`, `network_change`, `sequence_reset` */
  type: string;
  message?: string;
  data?: Record<string, unknown>;
}

export interface DriverEvents<State> {
  state: [state: State];
  health: [health: Health];
  event: [event: DriverEvent];
}

export interface Driver<State extends object = Record<string, unknown>>
  extends Pick<EventEmitter<DriverEvents<State>>, "on" | "off" | "once"> {
  readonly kind: DeviceKind;
  /** Protocol name as it appears in meta, e.g. `visca`. */
  readonly protocol: string;
  readonly actions: ActionTable;
  /** Names of the fields `poll()` returns (published in the agent's meta). */
  readonly stateFields: readonly string[];
  /** Opens the transport; resolves on first contact, or rejects with a DeviceError that says why. */
  start(ctx: DriverContext): Promise<void>;
  /** Closes everything it opened; idempotent. */
  stop(): Promise<void>;
  /** Reads the device; the agent decides when. Rejects with a DeviceError (e.g. `timeout`). */
  poll(): Promise<State>;
  /** The current health (last value emitted on `health`). */
  readonly health: Health;
}
