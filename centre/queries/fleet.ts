/**
 * The fleet now, from the record: each site's latest agent state, each device's latest health and
 * the alarms not cleared, counted for the centre's /metrics (the same gauges the roomgate broker
 * keeps from its retained topics, so a dashboard reads them from whichever runs, Mosquitto or not).
 */
import type { Sql } from "../db/db.js";

export interface FleetCounts {
  agents: Record<string, number>;
  devices: Record<string, number>;
  alarms: Record<string, number>;
}

export async function fleetCounts(db: Sql): Promise<FleetCounts> {
  const tally = (rows: Array<{ k: string; n: number }>) => Object.fromEntries(rows.map((r) => [r.k, r.n]));
  const agents = await db.query<{ k: string; n: number }>(
    `select state as k, count(*)::int as n from (select distinct on (site) site, state from agent_states order by site, at desc, received_at desc) a group by state`,
  );
  const devices = await db.query<{ k: string; n: number }>(
    `select status as k, count(*)::int as n from (select distinct on (site, device) site, device, status from health order by site, device, at desc, received_at desc) h group by status`,
  );
  const alarms = await db.query<{ k: string; n: number }>(`select severity as k, count(*)::int as n from alarms where cleared_at is null group by severity`);
  return { agents: tally(agents), devices: tally(devices), alarms: tally(alarms) };
}
