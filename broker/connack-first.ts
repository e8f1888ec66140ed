/**
 * A client resuming its session gets CONNACK first, then the messages stored for it, then the live
 * ones.
 *
 * aedes restores a persistent session's subscriptions (its `restoreSubs` step) before it stores the
 * will and sends CONNACK, and its write() lets packets out while a client is still `connecting`: a
 * message published in that window went out before CONNACK, which MQTT 3.1.1 forbids (MQTT-3.2.0-1).
 * MQTT.js then holds the PUBACK until it is connected and reads nothing more until that PUBACK is
 * sent, so it never reads the CONNACK behind it: the client hangs until its connect timeout (30 s)
 * and reconnects into the same race while its topics are busy. The window is a few store round
 * trips on one broker; in a Redis cluster it is wider, because aedes acknowledges a QoS 1 PUBLISH
 * before it stores and fans it out, so a message acknowledged on one instance can reach another
 * instance's fan-out while a session is being resumed there (test/broker-cluster.e2e.test.ts moved
 * a session exactly then, and timed out).
 *
 * Here every delivery to a client whose connect has not finished is held, and handed on in the order
 * it came once aedes has sent CONNACK and the session's stored queue (its `connected` event). Such
 * a message was also stored in the session's queue when it has QoS 1 (aedes stores before the
 * fan-out), so the held copy is usually the second one: exact-dedupe.ts's `dedupeStoredCopies`
 * makes the stored copy count as sent, and the held one is then dropped.
 */
import type { Client } from "aedes";

type Deliver = (packet: unknown, cb: () => void) => void;

/** The parts of an aedes Client this wraps (instance properties set by its constructor). */
interface DeliveringClient {
  deliverQoS: Deliver;
  deliver0: Deliver;
  prependOnceListener(event: "connected", listener: () => void): unknown;
}

/**
 * Call right after `aedes.handle(conn)` has made the client, before it reads its CONNECT (aedes takes
 * `deliverQoS`/`deliver0` when it restores a subscription), and after `useExactDedupe`, so that the
 * held messages go through the exact check when they are let go. A client that never finishes
 * connecting drops what it held: a QoS 1 message is still in its stored queue.
 */
export function holdUntilConnected(client: Client): void {
  const c = client as unknown as DeliveringClient;
  let held: Array<() => void> | null = [];
  const hold = (deliver: Deliver): Deliver => (packet, cb) => {
    if (held === null) return deliver(packet, cb);
    held.push(() => deliver(packet, noop));
    // The fan-out need not wait for this client: it has the message (as aedes' own deliver would).
    setImmediate(cb);
  };
  c.deliverQoS = hold(c.deliverQoS);
  c.deliver0 = hold(c.deliver0);
  // Before aedes' own listener, which starts the packets the client sent behind its CONNECT.
  c.prependOnceListener("connected", () => {
    const waiting = held ?? [];
    held = null;
    for (const go of waiting) go();
  });
}

function noop(): void {}
