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

type Step = (...args: unknown[]) => Promise<unknown>;

/** The publish-path steps whose completion order decides the fan-out order. */
const ORDERED = ["storeRetained", "outgoingEnqueueCombi"] as const;

export function withOrderedPublishSteps<P extends object>(inner: P): P {
  // Looked up by aedes for every message: made once per method (and again if the store swaps it).
  const made = new Map<PropertyKey, { fn: unknown; made: unknown }>();
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      const known = made.get(prop);
      if (known !== undefined && known.fn === value) return known.made;
      const fresh = (ORDERED as readonly PropertyKey[]).includes(prop) ? inOrder((value as Step).bind(target)) : (value as (...a: unknown[]) => unknown).bind(target);
      made.set(prop, { fn: value, made: fresh });
      return fresh;
    },
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
