/**
 * A store whose publish-path steps finish in the order they were started.
 *
 * aedes runs each PUBLISH through `storeRetained` (a retained message) and `outgoingEnqueueCombi`
 * (copies for offline persistent sessions) before the fan-out, and a batch of packets read from
 * one connection runs through them side by side. The memory store answers at once, but LevelDB and
 * Redis finish writes in any order, so a device's health "fault" then "ok" could reach a monitor
 * as "ok" then "fault", leaving it showing the older one. MQTT 3.1.1 (4.6.0-5) wants messages of a
 * topic delivered in the order a client sent them. Here the writes still run concurrently, but
 * each step's answer is held until every earlier call of that step has answered.
 */

import { storeView, type StoreMethod } from "./store-view.js";

type Step = (...args: unknown[]) => Promise<unknown>;

/** The publish-path steps whose completion order decides the fan-out order. */
const ORDERED = ["storeRetained", "outgoingEnqueueCombi"] as const;

export function withOrderedPublishSteps<P extends object>(inner: P): P {
  return storeView(inner, {
    wrap: (prop, method) => ((ORDERED as readonly PropertyKey[]).includes(prop) ? (inOrder(method as Step) as StoreMethod) : method),
  });
}

/** `fn`, with each call's promise settling only after every earlier call's has. */
export function inOrder<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let previous: Promise<unknown> = Promise.resolve();
  return (...args: A) => {
    let started: Promise<R>;
    try {
      started = fn(...args); // started now: the work itself is not serialised
    } catch (err) {
      started = Promise.reject(err as Error);
    }
    // Handled below, once the earlier calls have settled: not an unhandled rejection meanwhile.
    started.catch(noop);
    const settled = previous.then(
      () => started,
      () => started,
    );
    previous = settled.then(noop, noop);
    return settled;
  };
}

function noop(): void {}
