/**
 * The broker's Prometheus metrics (prom-client, on a registry of its own: no global state).
 *
 * Per instance (sum them across a cluster): connections by role and listener, messages and bytes
 * received from this instance's clients, commands sent and responses by status, denied operations,
 * limit hits, and the process metrics (CPU, RSS, event-loop lag) prom-client collects.
 * Fleet-wide, from the retained topics (the same on every instance: use max()): agents by state,
 * devices by health status, active alarms by severity. Names are part of the documented contract
 * (docs/broker.md): rename nothing without a new name.
 */
import type { Aedes, Client } from "aedes";
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { PREFIX } from "./acl.js";
import type { DenialCounts } from "./auth.js";
import { responseStatus, type FleetView } from "./fleet-view.js";
import type { ListenerKind } from "./guard.js";
import type { LimitCounts } from "./limits.js";

export interface MetricsSources {
  aedes: Aedes;
  fleet: FleetView;
  denials: DenialCounts | undefined;
  limits: LimitCounts;
  /** Connected clients now, by role and listener. */
  clients(): Array<{ role: string; listener: ListenerKind; count: number }>;
}

export interface BrokerMetrics {
  readonly registry: Registry;
  /** The exposition text and its content type. */
  render(): Promise<{ body: string; contentType: string }>;
  stop(): void;
}

export function createMetrics(src: MetricsSources): BrokerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "roomgate_broker_" });

  // Counted in plain numbers on every PUBLISH and handed to prom-client only when scraped: its
  // labelled inc() hashes the labels on each call, which bench/fleet found among the costs per message.
  const received = { byKind: new Map<string, number>(), bytes: 0, commands: 0, byStatus: new Map<string, number>() };
  const counted = (name: string, help: string, label: string | undefined, read: () => Map<string, number> | number) =>
    new Counter({
      name,
      help,
      labelNames: label === undefined ? [] : [label],
      registers: [registry],
      collect() {
        this.reset();
        const counts = read();
        if (typeof counts === "number") this.inc(counts);
        else for (const [value, n] of counts) this.inc({ [label!]: value }, n);
      },
    });
  counted("roomgate_broker_messages_received_total", "PUBLISH packets received from this instance's clients.", "kind", () => received.byKind);
  counted("roomgate_broker_bytes_received_total", "Payload bytes received from this instance's clients.", undefined, () => received.bytes);
  counted("roomgate_broker_commands_total", "Operator commands (cmd/{user}) received by this instance.", undefined, () => received.commands);
  counted("roomgate_broker_command_responses_total", "Agent responses (res/{user}) received by this instance, by status.", "status", () => received.byStatus);
  const bump = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

  new Gauge({
    name: "roomgate_broker_clients",
    help: "Connected MQTT clients of this instance, by role and listener.",
    labelNames: ["role", "listener"],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of src.clients()) this.set({ role: c.role, listener: c.listener }, c.count);
    },
  });
  fleetGauge(registry, "roomgate_fleet_agents", "Sites by their agent's retained state (fleet-wide: use max() across instances).", "state", () => src.fleet.agentsByState());
  fleetGauge(registry, "roomgate_fleet_devices", "Devices by retained health status (fleet-wide: use max() across instances).", "status", () => src.fleet.devicesByHealth());
  fleetGauge(registry, "roomgate_fleet_alarms_active", "Active (retained) alarms by severity (fleet-wide: use max() across instances).", "severity", () => src.fleet.alarmsBySeverity());
  new Gauge({
    name: "roomgate_broker_denied_total",
    help: "Refused connects, publishes and subscribes of this instance (a gauge of a monotonic count), by operation and reason or role.",
    labelNames: ["operation", "reason"],
    registers: [registry],
    collect() {
      this.reset();
      const d = src.denials;
      if (d === undefined) return;
      for (const [op, byReason] of Object.entries(d) as Array<[string, Record<string, number>]>) {
        for (const [reason, n] of Object.entries(byReason)) this.set({ operation: op, reason }, n);
      }
    },
  });
  new Gauge({
    name: "roomgate_broker_limit_hits_total",
    help: "Times a limit was hit on this instance (a gauge of a monotonic count), by limit.",
    labelNames: ["limit"],
    registers: [registry],
    collect() {
      for (const [limit, n] of Object.entries(src.limits)) this.set({ limit }, n);
    },
  });

  const cmdPrefix = `${PREFIX}/`;
  const onPublish = (packet: { topic: string; payload: Buffer | string }, client: Client | null) => {
    if (client === null) return; // the broker's own ($SYS, wills of clients gone) or another instance's
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
    const parts = packet.topic.startsWith(cmdPrefix) ? packet.topic.split("/") : [];
    const kind = parts.length >= 4 ? (parts[3] === "dev" ? `dev/${parts[5] ?? ""}` : parts[3]!) : "other";
    bump(received.byKind, KINDS.has(kind) ? kind : "other");
    received.bytes += payload.length;
    if (parts[3] === "cmd" && parts.length === 5) received.commands += 1;
    if (parts[3] === "res" && parts.length === 5) bump(received.byStatus, responseStatus(payload));
  };
  src.aedes.on("publish", onPublish);

  return {
    registry,
    async render() {
      return { body: await registry.metrics(), contentType: registry.contentType };
    },
    stop() {
      src.aedes.off("publish", onPublish);
      registry.clear();
    },
  };
}

/** Message kinds by the topic's level after the site (dev/... by its last level). */
const KINDS = new Set(["agent", "dev/state", "dev/health", "alarm", "event", "readiness", "cmd", "res"]);

function fleetGauge(registry: Registry, name: string, help: string, label: string, read: () => Record<string, number>): void {
  new Gauge({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      for (const [value, n] of Object.entries(read())) this.set({ [label]: value }, n);
    },
  });
}
