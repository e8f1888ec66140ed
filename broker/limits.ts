/**
 * The broker's limits that need to know users and clients (the byte-level ones live in guard.ts):
 * connections per username and topic filters per client. Every hit is counted (`counts`, read by
 * /metrics) and logged, at most one line per kind and user every `logEveryMs` with the number of
 * hits since the last line, so a client hammering a limit cannot flood the log.
 */
import type { Client } from "aedes";
import type { BrokerLimits } from "../config/broker.js";
import type { Clock, Logger } from "../drivers/types.js";

export type LimitKind = "packet_too_large" | "malformed" | "rate" | "connections_per_user" | "max_connections" | "subscriptions_per_client";

export type LimitCounts = Record<LimitKind, number>;

export function emptyLimitCounts(): LimitCounts {
  return { packet_too_large: 0, malformed: 0, rate: 0, connections_per_user: 0, max_connections: 0, subscriptions_per_client: 0 };
}

/** One log line per (kind, who) per window; the line says how many hits it stands for. */
export class LimitLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    readonly counts: LimitCounts,
    private readonly logEveryMs = 10_000,
  ) {}

  hit(kind: LimitKind, who: string, fields: Record<string, unknown>, message: string): void {
    this.counts[kind] += 1;
    const key = `${kind}\u0000${who}`;
    const now = this.clock.now();
    const seen = this.last.get(key);
    if (seen !== undefined && now - seen.at < this.logEveryMs) {
      seen.suppressed += 1;
      return;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.last.set(key, { at: now, suppressed: 0 });
    if (this.last.size > 10_000) this.last.clear(); // bounded even under a flood of distinct names
    this.log.warn({ limit: kind, ...fields, ...(suppressed > 0 ? { alsoSinceLastLine: suppressed } : {}) }, message);
  }
}

export interface ConnectionRefusal {
  reason: "connection_limit";
  /** CONNACK return code: 3, server unavailable (the client may try later). */
  code: number;
  fields: Record<string, unknown>;
}

/** Connections per user and filters per client. */
export class ClientLimits {
  private readonly byUser = new Map<string, Map<Client, string>>();
  private readonly filters = new WeakMap<Client, Set<string>>();

  constructor(
    private readonly limits: Pick<BrokerLimits, "connectionsPerUser" | "subscriptionsPerClient">,
    private readonly limitLog: LimitLog,
  ) {}

  /**
   * Called once the password is verified. A client reconnecting with the client id of one of the
   * user's live connections replaces it (MQTT takeover), so that one does not count: an agent whose
   * old link is half-open must always get back in.
   */
  admit(client: Client, username: string): ConnectionRefusal | undefined {
    const conns = this.byUser.get(username) ?? new Map<Client, string>();
    let live = 0;
    for (const [c, id] of conns) {
      if (c.conn.destroyed) conns.delete(c);
      else if (id !== client.id) live += 1;
    }
    if (live >= this.limits.connectionsPerUser) {
      this.limitLog.hit("connections_per_user", username, { user: username, clientId: client.id, connections: live }, "connection refused: too many connections for this user");
      return { reason: "connection_limit", code: 3, fields: { user: username, connections: live } };
    }
    if (client.conn.destroyed) return undefined; // gone while its password was being checked
    conns.set(client, client.id);
    this.byUser.set(username, conns);
    client.conn.once("close", () => {
      conns.delete(client);
      if (conns.size === 0 && this.byUser.get(username) === conns) this.byUser.delete(username);
    });
    return undefined;
  }

  /** Live connections of a user (tests, metrics). */
  connectionsOf(username: string): number {
    return [...(this.byUser.get(username)?.keys() ?? [])].filter((c) => !c.conn.destroyed).length;
  }

  /** May this client hold one more filter? Re-subscribing to a held filter is always allowed. */
  allowSubscription(client: Client, filter: string, who: string): boolean {
    const held = this.filters.get(client) ?? new Set<string>();
    if (held.has(filter)) return true;
    if (held.size >= this.limits.subscriptionsPerClient) {
      this.limitLog.hit("subscriptions_per_client", who, { user: who, clientId: client.id, topic: filter, held: held.size }, "subscribe refused: too many subscriptions for this client");
      return false;
    }
    held.add(filter);
    this.filters.set(client, held);
    return true;
  }

  unsubscribed(client: Client, filters: readonly string[]): void {
    const held = this.filters.get(client);
    for (const f of filters) held?.delete(f);
  }
}
