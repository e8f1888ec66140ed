import { describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { QueryBook } from "./queries.js";

const msg = (address: string, value: number) => ({ address, args: [{ type: "i" as const, value }] });

describe("QueryBook: one outstanding query per address, matched by reply address", () => {
  it("a second caller shares the outstanding query; the reply answers both; one datagram sent", async () => {
    const clock = fakeClock();
    const sent: string[] = [];
    const book = new QueryBook(clock, async (a) => void sent.push(a));
    const p1 = book.query("/ch/01/mix/on", { timeoutMs: 500 });
    const p2 = book.query("/ch/01/mix/on", { timeoutMs: 500 });
    expect(sent).toEqual(["/ch/01/mix/on"]);
    expect(book.deliver(msg("/ch/02/mix/on", 1))).toBe(false); // another address: not ours
    expect(book.deliver(msg("/ch/01/mix/on", 0))).toBe(true);
    await expect(Promise.all([p1, p2])).resolves.toEqual([[{ type: "i", value: 0 }], [{ type: "i", value: 0 }]]);
    expect(book.size).toBe(0);
  });

  it("a fresh query (after a set) waits for the outstanding one, then asks again", async () => {
    const clock = fakeClock();
    const sent: string[] = [];
    const book = new QueryBook(clock, async (a) => void sent.push(a));
    const old = book.query("/main/st/mix/fader", { timeoutMs: 500 });
    const fresh = book.query("/main/st/mix/fader", { timeoutMs: 500, fresh: true });
    book.deliver(msg("/main/st/mix/fader", 1));
    await expect(old).resolves.toEqual([{ type: "i", value: 1 }]);
    await Promise.resolve();
    await Promise.resolve();
    expect(sent).toEqual(["/main/st/mix/fader", "/main/st/mix/fader"]);
    book.deliver(msg("/main/st/mix/fader", 2));
    await expect(fresh).resolves.toEqual([{ type: "i", value: 2 }]);
  });

  it("a silent desk: timeout at the deadline with stage reply; a late answer is not matched", async () => {
    const clock = fakeClock();
    const book = new QueryBook(clock, async () => undefined);
    const p = book.query("/xinfo", { timeoutMs: 300 }).catch((e: unknown) => e);
    await clock.tickAsync(299);
    expect(book.size).toBe(1);
    await clock.tickAsync(1);
    expect(await p).toMatchObject({ code: "timeout", details: { stage: "reply", address: "/xinfo" } });
    expect(book.deliver(msg("/xinfo", 1))).toBe(false);
    expect(clock.fake.countTimers()).toBe(0);
  });

  it("a failed send fails the query with not_connected; clear() fails all and leaves no timer", async () => {
    const clock = fakeClock();
    const failing = new QueryBook(clock, async () => {
      throw new Error("socket closed");
    });
    await expect(failing.query("/xinfo", { timeoutMs: 300 })).rejects.toMatchObject({ code: "not_connected" });
    const book = new QueryBook(clock, async () => undefined);
    const ps = ["/a", "/b"].map((a) => book.query(a, { timeoutMs: 300 }));
    book.clear(new Error("stopped"));
    for (const p of ps) await expect(p).rejects.toThrow("stopped");
    expect(clock.fake.countTimers()).toBe(0);
  });
});
