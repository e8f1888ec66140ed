/**
 * The centre's Prometheus metrics (prom-client on a registry of its own). What only the centre
 * knows: the record's intake (messages recorded, duplicates, quarantined, database failures, the
 * backlog not yet acknowledged) and its health; and the fleet from the record (agents by state,
 * devices by health, active alarms by severity: roomgate_fleet_*, the names the roomgate broker
 * also uses, so dashboards keep working beside Mosquitto, which has no such gauges). What only a
 * broker knows (its connections, denials, limits) stays on the roomgate broker's /metrics, or
 * Mosquitto's $SYS topics.
 */
import { Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { Sql } from "../db/db.js";
import { fleetCounts } from "../queries/fleet.js";
import type { RecorderCounts } from "../recorder.js";
import type { CentreHealth } from "../topics.js";

/** The vocabularies of the contract, so every label value is present (0 when none). */
const AGENT_STATES = ["online", "offline", "lost"];
const HEALTH = ["ok", "degraded", "unreachable", "fault", "unknown"];
const SEVERITIES = ["critical", "major", "minor", "warning"];

export interface MetricsSource {
  db: Sql;
  recorder: { readonly counts: RecorderCounts; readonly backlog: number; readonly status: CentreHealth };
}

export interface CentreMetrics {
  render(): Promise<{ body: string; contentType: string }>;
}

export function createCentreMetrics(src: MetricsSource): CentreMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "roomgate_centre_" });
  const c = src.recorder.counts;
  const counter = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help: `${help} (a gauge of a count since the centre started).`, registers: [registry], collect() { this.set(read()); } });
  counter("roomgate_centre_messages_received_total", "Messages the recorder received", () => c.received);
  counter("roomgate_centre_messages_recorded_total", "Messages committed to the record", () => c.recorded);
  counter("roomgate_centre_messages_duplicate_total", "Messages already recorded (redeliveries, replays, retained republishes)", () => c.duplicates);
  counter("roomgate_centre_messages_quarantined_total", "Messages kept in quarantine (not JSON, failed their schema, claimed another site)", () => c.quarantined);
  counter("roomgate_centre_database_failures_total", "Batches the database did not take", () => c.dbFailures);
  new Gauge({ name: "roomgate_centre_backlog", help: "Messages received and not yet committed (so not acknowledged to the broker).", registers: [registry], collect() { this.set(src.recorder.backlog); } });
  new Gauge({
    name: "roomgate_centre_status",
    help: "1 for the recorder's current status (ok, degraded, unreachable), 0 for the others.",
    labelNames: ["status"],
    registers: [registry],
    collect() {
      for (const s of ["ok", "degraded", "unreachable"]) this.set({ status: s }, src.recorder.status.status === s ? 1 : 0);
    },
  });
  const agents = new Gauge({ name: "roomgate_fleet_agents", help: "Sites by their agent's latest recorded state.", labelNames: ["state"], registers: [registry] });
  const devices = new Gauge({ name: "roomgate_fleet_devices", help: "Devices by latest recorded health status.", labelNames: ["status"], registers: [registry] });
  const alarms = new Gauge({ name: "roomgate_fleet_alarms_active", help: "Alarms raised and not cleared, by severity.", labelNames: ["severity"], registers: [registry] });
  const fill = (g: Gauge<string>, label: string, known: string[], counts: Record<string, number>) => {
    g.reset();
    for (const k of new Set([...known, ...Object.keys(counts)])) g.set({ [label]: k }, counts[k] ?? 0);
  };
  return {
    async render() {
      // One round of queries per scrape (not one per gauge): the fleet is read as one picture.
      const f = await fleetCounts(src.db);
      fill(agents, "state", AGENT_STATES, f.agents);
      fill(devices, "status", HEALTH, f.devices);
      fill(alarms, "severity", SEVERITIES, f.alarms);
      return { body: await registry.metrics(), contentType: registry.contentType };
    },
  };
}
