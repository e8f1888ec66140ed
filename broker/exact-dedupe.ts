/**
 * Exact duplicate suppression for each client, in place of aedes' own.
 *
 * aedes (lib/client.js `dedupe`) sends a client a message only if its brokerCounter (numbered when
 * the broker received it) is above the highest this client was already sent. That suppresses the
 * second copy a client with overlapping subscriptions would get, but it also drops every message
 * that reaches the fan-out after a later one: and with any asynchronous store that happens all the
 * time. On the on-disk store (LevelDB) bench/fleet lost 6.5 % of the health messages a monitor was
 * subscribed to, at 200 agents as at 2,000, with nothing logged (moscajs/aedes#955 and #994 are the
 * same defect, open upstream). Here a copy is suppressed only when this very message (broker id and
 * counter) was already handed to this client; messages out of order are delivered, in the order
 * they come.
 *
 * The copies of one message to one client come from the same fan-out, moments apart, or from a
 * resumed session's stored queue just before (dedupeStoredCopies), so a short memory of the last
 * messages sent is enough; it is bounded per client.
 */
import type { Aedes, Client } from "aedes";

/** Messages remembered per client: the copies of one message arrive within one fan-out. */
export const REMEMBERED_PER_CLIENT = 256;

type Deliver = (packet: DeliveredPacket, cb: () => void) => void;

interface DeliveredPacket {
  qos: number;
  brokerId?: string | null;
  brokerCounter?: number;
}

/** The parts of an aedes Client this replaces (instance properties set by its constructor). */
interface DeliveringClient {
  duplicates: Record<string, number>;
  deliverQoS: Deliver;
  deliver0: Deliver;
}

/**
 * Call right after `aedes.handle(conn)` has made the client, before it reads its CONNECT: aedes
 * looks `deliverQoS`/`deliver0` up when it restores or makes a subscription.
 */
export function useExactDedupe(client: Client, ownBrokerId: string, remembered = REMEMBERED_PER_CLIENT): void {
  const c = client as unknown as DeliveringClient;
  // aedes' own check then always passes: it reads no counter and its writes are dropped.
  c.duplicates = new Proxy(Object.create(null) as Record<string, number>, {
    get: () => undefined,
    set: () => true,
    deleteProperty: () => true,
  });
  const sent = new RecentKeys(remembered);
  const fresh = (p: DeliveredPacket): boolean => {
    // No broker id: aedes' marker for "never dedupe" (retained messages sent on SUBSCRIBE).
    if (!p.brokerId || p.brokerCounter === undefined) return true;
    return sent.add(p.brokerId === ownBrokerId ? p.brokerCounter : `${p.brokerId}:${p.brokerCounter}`);
  };
  sentBy.set(client, fresh);
  const deliver0 = c.deliver0;
  const deliverQoS = c.deliverQoS;
  c.deliver0 = (p, cb) => (fresh(p) ? deliver0(p, cb) : setImmediate(cb));
  // A QoS 0 message to deliverQoS is handed on to deliver0 (aedes does the same): judged there, once.
  c.deliverQoS = (p, cb) => (p.qos === 0 ? c.deliver0(p, cb) : fresh(p) ? deliverQoS(p, cb) : setImmediate(cb));
}

const sentBy = new WeakMap<Client, (p: DeliveredPacket) => boolean>();

/**
 * Makes the copies aedes sends a resumed session from its stored queue count as sent, so that a live
 * copy of the same message (one published while the session was being resumed, which connack-first.ts
 * held until then) is not sent a second time. aedes hands every copy it forwards, stored or live, to
 * `authorizeForward` just before writing it; a live copy is already counted there. Call once, after
 * any other `authorizeForward` is installed: it wraps that one.
 */
export function dedupeStoredCopies(aedes: Aedes): void {
  const forward = aedes.authorizeForward;
  aedes.authorizeForward = (client, packet) => {
    const out = forward.call(aedes, client, packet);
    // A clean session's stored copies are discarded, not sent: they must not count.
    if (out && !client.clean) sentBy.get(client)?.(packet as DeliveredPacket);
    return out;
  };
}

/** A set of the last `capacity` keys added. */
export class RecentKeys {
  private readonly keys = new Set<string | number>();
  constructor(private readonly capacity: number) {}

  /** Adds `key`; false if it was already there. */
  add(key: string | number): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value!);
    return true;
  }

  get size(): number {
    return this.keys.size;
  }
}
