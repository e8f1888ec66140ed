/**
 * What the bench's main process and its load-generating worker processes say to each other over
 * the IPC channel: requests `{id, op, arg}`, replies `{id, ok, value | error}`. Times are monotonic
 * ms (payloads.ts `monoMs`), the same clock in every process of the machine.
 */
import type { Summary } from "../lib/stats.js";

export interface LoadShape {
  agents: number;
  devices: number;
  healthMs: number;
  /** 0: state only at connect (retained), never again. */
  stateMs: number;
  commandsPerSec: number;
  operators: number;
  keepaliveSec: number;
  /** Connects in flight at once, per worker. */
  connectConcurrency: number;
  connectTimeoutMs: number;
  /** Seeds the operators' choice of site and device: both brokers get the same command sequence. */
  seed: number;
}

export interface BrokerAddress {
  host: string;
  port: number;
}

export interface AgentsInit {
  role: "agents";
  broker: BrokerAddress;
  shape: LoadShape;
  /** Agent indexes [from, to) of this worker. */
  from: number;
  to: number;
  password: string;
  /** agent/meta with `"site":"site-placeholder"` (payloads.ts SITE_PLACEHOLDER), replaced per agent. */
  metaJson: string;
}

export interface ObserverInit {
  role: "observer";
  broker: BrokerAddress;
  shape: LoadShape;
  password: string;
}

export type WorkerInit = AgentsInit | ObserverInit;

/** The schedule: everything starts at t0; counts and samples cover [w0, w1]. */
export interface Window {
  t0: number;
  w0: number;
  w1: number;
}

export type Op = "init" | "connect" | "start" | "report" | "stop";
export interface Request {
  id: number;
  op: Op;
  arg?: unknown;
}
export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface ConnectResult {
  attempted: number;
  connected: number;
  /** CONNACK return code -> count. */
  refused: Record<string, number>;
  /** timeout | socket -> count. */
  failed: Record<string, number>;
  /** Subscriptions answered 0x80. */
  subscribeRefused: number;
  connackMs: number[];
  startedAt: number;
  /** Last CONNACK, and last agent whose birth, meta and retained device topics were all acknowledged. */
  connectedAt: number;
  readyAt: number;
  firstErrors: string[];
}

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** Counts over [w0, w1] unless named total. */
export interface TrafficCounts {
  /** PUBLISH packets written to the broker / received from it, in the window (local time). */
  published: number;
  received: number;
  /** Connections that closed without us asking. */
  dropped: number;
  droppedReasons: Record<string, number>;
  /** Still open at report time. */
  open: number;
  loopDelayMs: LoopDelay;
}

export interface AgentsReport extends TrafficCounts {
  role: "agents";
  /** By payload send time within the window. */
  healthSent: number;
  stateSent: number;
  cmdReceived: number;
  resSent: number;
  /** Largest number of unacknowledged QoS 1 publishes seen on one connection at a tick. */
  maxInFlight: number;
}

export interface ObserverReport extends TrafficCounts {
  role: "observer";
  /** Health messages at the monitor whose send time is in the window. */
  healthReceived: number;
  deliveryMs: Summary;
  commandsSent: number;
  commandsAnswered: number;
  roundTripMs: Summary;
  /** Monitor health messages before/after the window (not counted). */
  healthOutside: number;
}

export type WorkerReport = AgentsReport | ObserverReport;
