/**
 * What the broker knows of the fleet from the retained topics of the contract: each site's agent
 * state, each device's health status and each active alarm's severity. Loaded from the store at
 * start, then kept current from the message fan-out, so in a cluster every instance sees the whole
 * fleet (for /metrics: aggregate these gauges with max(), not sum()).
 *
 * The broker does not import the agent (DESIGN.md): the vocabularies below are kept equal to
 * agent/topics.ts by fleet-view.test.ts. A payload that does not parse counts as `unknown`; it is
 * never thrown on.
 */
import { EventEmitter } from "node:events";
import type { Aedes } from "aedes";
import type { Logger } from "../drivers/types.js";
import { PREFIX } from "./acl.js";

export const AGENT_STATES = ["online", "offline", "lost"] as const;
export const HEALTH_STATUSES = ["ok", "degraded", "unreachable", "fault", "unknown"] as const;
export const ALARM_SEVERITIES = ["critical", "major", "minor", "warning"] as const;
export const RESPONSE_STATUSES = ["ok", "error", "rejected", "expired", "timeout"] as const;

const FILTERS = [`${PREFIX}/+/agent/state`, `${PREFIX}/+/dev/+/health`, `${PREFIX}/+/alarm/+`] as const;

type Counts<K extends string> = Record<K | "unknown", number>;

/** Emits "change" after each message of the contract it applied. */
export class FleetView extends EventEmitter<{ change: [] }> {
  private readonly agents = new Map<string, string>();
  private readonly devices = new Map<string, string>();
  private readonly alarms = new Map<string, string>();
  private readonly deliver = (packet: { topic: string; payload: Buffer | string }, cb: () => void) => {
    this.apply(packet.topic, packet.payload);
    cb();
  };

  constructor(private readonly log: Logger) {
    super();
  }

  /** Reads the retained topics from the store and follows live changes. */
  async start(aedes: Aedes): Promise<void> {
    await Promise.all(FILTERS.map((f) => new Promise<void>((resolve) => aedes.subscribe(f, this.deliver, resolve))));
    const retained = (aedes as unknown as { persistence: { createRetainedStreamCombi(p: string[]): AsyncIterable<{ topic: string; payload: Buffer }> } })
      .persistence.createRetainedStreamCombi([...FILTERS]);
    for await (const packet of retained) this.apply(packet.topic, packet.payload);
  }

  stop(aedes: Aedes): Promise<void> {
    return Promise.all(FILTERS.map((f) => new Promise<void>((resolve) => aedes.unsubscribe(f, this.deliver, resolve)))).then(() => undefined);
  }

  /** One message of the contract (an empty payload clears a retained topic). */
  apply(topic: string, payload: Buffer | string): void {
    const parts = topic.split("/");
    if (parts.length < 4 || `${parts[0]}/${parts[1]}` !== PREFIX) return;
    const site = parts[2]!;
    const body = typeof payload === "string" ? payload : payload.toString("utf8");
    if (parts[3] === "agent" && parts[4] === "state" && parts.length === 5) {
      this.set(this.agents, site, body, "state", AGENT_STATES);
    } else if (parts[3] === "dev" && parts[5] === "health" && parts.length === 6) {
      this.set(this.devices, `${site}/${parts[4]}`, body, "status", HEALTH_STATUSES);
    } else if (parts[3] === "alarm" && parts.length === 5) {
      this.set(this.alarms, `${site}/${parts[4]}`, body, "severity", ALARM_SEVERITIES);
    } else {
      return;
    }
    this.emit("change");
  }

  agentsByState(): Counts<(typeof AGENT_STATES)[number]> {
    return count(this.agents, AGENT_STATES);
  }

  devicesByHealth(): Counts<(typeof HEALTH_STATUSES)[number]> {
    return count(this.devices, HEALTH_STATUSES);
  }

  alarmsBySeverity(): Counts<(typeof ALARM_SEVERITIES)[number]> {
    return count(this.alarms, ALARM_SEVERITIES);
  }

  private set(map: Map<string, string>, key: string, body: string, field: string, known: readonly string[]): void {
    if (body === "") {
      map.delete(key);
      return;
    }
    let value: unknown;
    try {
      value = (JSON.parse(body) as Record<string, unknown>)?.[field];
    } catch (err) {
      this.log.debug({ key, err: (err as Error).message }, "fleet view: payload is not JSON");
    }
    map.set(key, typeof value === "string" && known.includes(value) ? value : "unknown");
  }
}

/** The status of a response payload, for the commands counter (`unknown` when it does not parse). */
export function responseStatus(payload: Buffer): (typeof RESPONSE_STATUSES)[number] | "unknown" {
  try {
    const status = (JSON.parse(payload.toString("utf8")) as { status?: unknown })?.status;
    return (RESPONSE_STATUSES as readonly unknown[]).includes(status) ? (status as (typeof RESPONSE_STATUSES)[number]) : "unknown";
  } catch {
    return "unknown"; // a garbled response is still a response: counted, under unknown
  }
}

function count<K extends string>(map: Map<string, string>, known: readonly K[]): Counts<K> {
  const out = Object.fromEntries([...known, "unknown"].map((k) => [k, 0])) as Counts<K>;
  for (const v of map.values()) out[v as K | "unknown"] += 1;
  return out;
}
