import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RetainedTrie, withRetainedIndex } from "./retained-index.js";

const msg = (topic: string, payload = "x") => ({ topic, payload: Buffer.from(payload) });
const topicsOf = (t: RetainedTrie, ...filters: string[]) => [...t.matchAll(filters)].map((p) => p.topic).sort();

/** MQTT filter matching written out level by level, as the spec says it (the oracle). */
function matches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  if (topic.startsWith("$") && (f[0] === "+" || f[0] === "#")) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

describe("RetainedTrie", () => {
  const t = new RetainedTrie();
  for (const topic of ["roomgate/v1/s1/dev/cam/health", "roomgate/v1/s1/dev/wall/health", "roomgate/v1/s2/dev/cam/health", "roomgate/v1/s1", "$SYS/broker/uptime", "a//b"]) t.apply(msg(topic));

  it("matches + on one level and # on the rest, the parent level included", () => {
    expect(topicsOf(t, "roomgate/v1/+/dev/cam/health")).toEqual(["roomgate/v1/s1/dev/cam/health", "roomgate/v1/s2/dev/cam/health"]);
    expect(topicsOf(t, "roomgate/v1/s1/#")).toEqual(["roomgate/v1/s1", "roomgate/v1/s1/dev/cam/health", "roomgate/v1/s1/dev/wall/health"]);
    expect(topicsOf(t, "a/+/b")).toEqual(["a//b"]);
    expect(topicsOf(t, "roomgate/v1/s1/cmd/+")).toEqual([]);
  });

  it("keeps $ topics out of wildcards at the first level", () => {
    expect(topicsOf(t, "#")).not.toContain("$SYS/broker/uptime");
    expect(topicsOf(t, "+/broker/uptime")).toEqual([]);
    expect(topicsOf(t, "$SYS/#")).toEqual(["$SYS/broker/uptime"]);
  });

  it("gives each message once across overlapping filters, and forgets a cleared topic", () => {
    expect(topicsOf(t, "roomgate/#", "roomgate/v1/s1/#")).toHaveLength(4);
    const u = new RetainedTrie();
    u.apply(msg("a/b/c"));
    u.apply(msg("a/b/c", "newer"));
    expect(u.size).toBe(1);
    expect([...u.matchAll(["a/#"])][0]!.payload.toString()).toBe("newer");
    u.apply(msg("a/b/c", ""));
    expect(u.size).toBe(0);
    expect(topicsOf(u, "#")).toEqual([]);
  });

  it("answers as the MQTT matching rule does, for any topics and filters", () => {
    const level = fc.constantFrom("a", "b", "", "$x");
    const topic = fc.array(level, { minLength: 1, maxLength: 4 }).map((l) => l.join("/"));
    const filter = fc.array(fc.constantFrom("a", "b", "", "+", "$x"), { minLength: 1, maxLength: 4 }).chain((l) =>
      fc.boolean().map((hash) => (hash ? [...l.slice(0, -1), "#"] : l).join("/")),
    );
    fc.assert(
      fc.property(fc.array(topic, { maxLength: 12 }), fc.array(topic, { maxLength: 4 }), filter, (stored, cleared, f) => {
        const trie = new RetainedTrie();
        for (const s of stored) trie.apply(msg(s));
        for (const c of cleared) trie.apply(msg(c, ""));
        const live = [...new Set(stored)].filter((s) => !cleared.includes(s));
        expect(topicsOf(trie, f)).toEqual(live.filter((s) => matches(f, s)).sort());
      }),
    );
  });
});

describe("withRetainedIndex", () => {
  it("loads what its keeper kept at setup, hands the keeper every change, and serves reads from the index alone", async () => {
    const written: string[] = [];
    const kept: string[] = [];
    const store = {
      marker: "inner",
      async setup(_broker: unknown) {},
      async storeRetained(p: { topic: string }) {
        written.push(p.topic);
      },
      createRetainedStreamCombi: () => (async function* () {})(),
      other() {
        return this.marker;
      },
    };
    const keeper = { retained: [{ topic: "roomgate/v1/s1/agent/state", payload: Buffer.from("online"), qos: 1 }], append: (r: { topic: string; payload: Buffer }) => void kept.push(`${r.topic}=${r.payload.toString()}`) };
    const p = withRetainedIndex(store, { keeper });
    await p.setup({});
    const packet = { ...msg("roomgate/v1/s1/dev/cam/health", "fault"), qos: 1 };
    await p.storeRetained(packet);
    packet.payload = Buffer.from("reused by aedes"); // the index and the keeper hold their own
    await p.storeRetained(msg("roomgate/v1/s1/dev/wall/health", ""));
    expect(written).toEqual([]); // the store's own retained methods are never called
    expect(kept).toEqual(["roomgate/v1/s1/dev/cam/health=fault", "roomgate/v1/s1/dev/wall/health="]);
    const all: string[] = [];
    for await (const r of (p as unknown as { createRetainedStreamCombi(f: string[]): AsyncIterable<{ topic: string; payload: Buffer }> }).createRetainedStreamCombi(["roomgate/v1/s1/#"])) all.push(`${r.topic}=${r.payload.toString()}`);
    expect(all.sort()).toEqual(["roomgate/v1/s1/agent/state=online", "roomgate/v1/s1/dev/cam/health=fault"]);
    expect(p.other()).toBe("inner"); // the rest is the store's own, bound to it
    expect(p.other).toBe(p.other); // bound once, not on every lookup
    const replaced = () => "replaced";
    store.other = replaced;
    expect(p.other()).toBe("replaced"); // a method the store swaps is bound afresh
    expect(p.retainedIndex.size).toBe(2);
  });
});
