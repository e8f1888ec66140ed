import { describe, expect, it } from "vitest";
import { abandon, abortError, watchAbort, type Abandonable } from "./abort.js";
import { DeviceError } from "./types.js";

interface Req extends Abandonable {
  name: string;
  outcome?: string;
}

function request(name: string): { p: Req; done: Promise<string> } {
  let p!: Req;
  const done = new Promise<string>((resolve, reject) => {
    p = { name, resolve: resolve as (v: never) => void, reject };
  });
  return { p, done };
}

describe("a caller that stops waiting", () => {
  it("a queued request leaves the queue and rejects with the signal's reason, once; the one on the wire keeps its slot", async () => {
    const queue: Req[] = [];
    const wire = request("on the wire");
    const queued = request("queued");
    const a = new AbortController();
    const b = new AbortController();
    for (const [r, c] of [[wire, a], [queued, b]] as const) {
      expect(watchAbort(r.p, c.signal, (err) => abandon(queue, r.p, err))).toBe(true);
      queue.push(r.p);
    }
    queue.shift(); // the first one is written: no longer queued
    a.abort(new DeviceError("timeout", "the action's deadline passed"));
    b.abort();
    await expect(wire.done).rejects.toMatchObject({ code: "timeout" });
    await expect(queued.done).rejects.toMatchObject({ code: "cancelled", message: "request aborted by the caller" });
    expect(queue).toEqual([]);
    wire.p.resolve("late reply" as never); // answered after it was abandoned: nobody hears it
    wire.p.reject(new DeviceError("timeout", "late"));
  });

  it("a signal that has already aborted: rejected at once and not to be queued", async () => {
    const r = request("late");
    const c = new AbortController();
    c.abort();
    expect(watchAbort(r.p, c.signal, () => undefined)).toBe(false);
    await expect(r.done).rejects.toMatchObject({ code: "cancelled" });
  });

  it("no signal: nothing to watch; abortError keeps a DeviceError reason, else says cancelled with the caller's words", () => {
    expect(watchAbort(request("x").p, undefined, () => undefined)).toBe(true);
    const c = new AbortController();
    c.abort("because");
    expect(abortError(c.signal, "the dial was aborted by the caller")).toMatchObject({ code: "cancelled", message: "the dial was aborted by the caller" });
  });
});
