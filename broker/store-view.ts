/**
 * A view of an aedes store with some of its members replaced or its methods wrapped (the retained
 * index, the ordered publish steps). aedes looks a store method up for every message, so each
 * method is bound (and wrapped) once, and again only if the store swaps it.
 */
export type StoreMethod = (...args: unknown[]) => unknown;

export interface StoreViewOptions {
  /** Members served instead of the store's own. */
  overrides?: Record<string, unknown>;
  /** Wraps one of the store's methods, already bound to it; return it unchanged to leave it. */
  wrap?: (prop: PropertyKey, method: StoreMethod) => StoreMethod;
}

export function storeView<P extends object>(inner: P, opts: StoreViewOptions): P {
  const overrides = opts.overrides ?? {};
  const made = new Map<PropertyKey, { fn: unknown; made: StoreMethod }>();
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (typeof prop === "string" && prop in overrides) return overrides[prop];
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      const known = made.get(prop);
      if (known !== undefined && known.fn === value) return known.made;
      const bound = (value as StoreMethod).bind(target);
      const fresh = opts.wrap ? opts.wrap(prop, bound) : bound;
      made.set(prop, { fn: value, made: fresh });
      return fresh;
    },
  });
}
