import { describe, expect, it } from "vitest";
import { inOrder, withOrderedPublishSteps } from "./ordered-store.js";

/** A write that finishes when told to, in whatever order the test tells them. */
function heldWrites() {
  const pending = new Map<string, { resolve(): void; reject(e: Error): void }>();
  const started: string[] = [];
  const write = (key: string) =>
    new Promise<string>((resolve, reject) => {
      started.push(key);
      pending.set(key, { resolve: () => resolve(key), reject });
    });
  return { write, started, finish: (key: string) => pending.get(key)!.resolve(), fail: (key: string, e: Error) => pending.get(key)!.reject(e) };
}

describe("inOrder", () => {
  it("starts every call at once but settles them in the order they were made", async () => {
    const w = heldWrites();
    const step = inOrder(w.write);
    const settled: string[] = [];
    const all = ["a", "b", "c"].map((k) => step(k).then((v) => settled.push(v)));
    expect(w.started).toEqual(["a", "b", "c"]); // not serialised: all three writes are under way
    w.finish("c");
    w.finish("b");
    await Promise.resolve();
    expect(settled).toEqual([]); // b and c are done, but a is not
    w.finish("a");
    await Promise.all(all);
    expect(settled).toEqual(["a", "b", "c"]);
  });

  it("passes a failure to its own caller, in its turn, and goes on with the next", async () => {
    const w = heldWrites();
    const step = inOrder(w.write);
    const order: string[] = [];
    const a = step("a").then(() => order.push("a"));
    const b = step("b").then(
      () => order.push("b ok"),
      (e: Error) => order.push(`b ${e.message}`),
    );
    const c = step("c").then(() => order.push("c"));
    w.fail("b", new Error("disk full")); // before a has finished: no unhandled rejection meanwhile
    w.finish("c");
    w.finish("a");
    await Promise.all([a, b, c]);
    expect(order).toEqual(["a", "b disk full", "c"]);
  });

  it("turns a synchronous throw into that call's rejection", async () => {
    const step = inOrder((k: string) => {
      if (k === "bad") throw new Error("no");
      return Promise.resolve(k);
    });
    await expect(step("bad")).rejects.toThrow("no");
    await expect(step("good")).resolves.toBe("good");
  });
});

describe("withOrderedPublishSteps", () => {
  it("orders storeRetained and outgoingEnqueueCombi, and leaves the rest of the store as it is", async () => {
    const w = heldWrites();
    const store = {
      name: "level",
      storeRetained: (p: { topic: string }) => w.write(`retain ${p.topic}`),
      outgoingEnqueueCombi: (_subs: unknown[], p: { topic: string }) => w.write(`enqueue ${p.topic}`),
      subscriptionsByTopic(t: string) {
        return Promise.resolve([`${this.name}:${t}`]);
      },
    };
    const s = withOrderedPublishSteps(store);
    const done: string[] = [];
    const x = s.storeRetained({ topic: "x" }).then((v) => done.push(v));
    const y = s.storeRetained({ topic: "y" }).then((v) => done.push(v));
    const e = s.outgoingEnqueueCombi([], { topic: "z" }).then((v) => done.push(v));
    w.finish("retain y");
    w.finish("enqueue z"); // its own queue: not held behind storeRetained's
    await e;
    expect(done).toEqual(["enqueue z"]);
    w.finish("retain x");
    await Promise.all([x, y]);
    expect(done).toEqual(["enqueue z", "retain x", "retain y"]);
    expect(await s.subscriptionsByTopic("t")).toEqual(["level:t"]); // bound to the store
    expect(s.storeRetained).toBe(s.storeRetained); // one ordered step, not one per lookup
    expect(s.name).toBe("level");
  });
});
