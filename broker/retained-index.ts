/**
 * An in-memory index of the retained messages in front of a single-instance store (memory or level).
 *
 * Why: on every SUBSCRIBE aedes asks the store for the retained messages matching the new filters,
 * and both stores answer by testing *every* retained topic against them. A fleet holds tens of
 * thousands of retained topics (each device's health and state, each agent's birth and meta), so a
 * reconnect storm of 2,000 agents, each subscribing to its own `cmd/+`, cost minutes of broker CPU
 * (bench/fleet, docs/performance.md). The index is a topic trie: a filter walks only the branches it
 * can match. Writes go through to the store (which keeps them across restarts); reads come from the
 * index, loaded from the store at start. Not for a cluster: there other instances write retained
 * messages this one never sees, so Redis stays the source.
 *
 * MQTT rules kept (MQTT-4.7.1-2, 4.7.1-3, 4.7.2-1): `+` matches one level, `#` the rest including the
 * parent level, and neither matches a first level starting with `$` (e.g. `$SYS`).
 */
import { Readable } from "node:stream";
import { storeView } from "./store-view.js";

interface RetainedPacket {
  topic: string;
  payload: Buffer | string;
}

class Node {
  readonly children = new Map<string, Node>();
  packet: RetainedPacket | undefined;
}

export class RetainedTrie {
  private readonly root = new Node();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** A retained publish: an empty payload removes the topic's message. */
  apply(packet: RetainedPacket): void {
    if (packet.payload.length === 0) this.delete(packet.topic);
    else this.set(packet);
  }

  private set(packet: RetainedPacket): void {
    let node = this.root;
    for (const level of packet.topic.split("/")) {
      let next = node.children.get(level);
      if (next === undefined) node.children.set(level, (next = new Node()));
      node = next;
    }
    if (node.packet === undefined) this.count += 1;
    node.packet = packet;
  }

  private delete(topic: string): void {
    const path: Array<[Node, string]> = [];
    let node: Node | undefined = this.root;
    for (const level of topic.split("/")) {
      const next: Node | undefined = node.children.get(level);
      if (next === undefined) return;
      path.push([node, level]);
      node = next;
    }
    if (node.packet === undefined) return;
    node.packet = undefined;
    this.count -= 1;
    // Prune empty branches so a fleet that churns topics does not grow the trie forever.
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, level] = path[i]!;
      const child = parent.children.get(level)!;
      if (child.packet !== undefined || child.children.size > 0) break;
      parent.children.delete(level);
    }
  }

  /** The messages matching any of the filters, each once. */
  *matchAll(filters: readonly string[]): Generator<RetainedPacket> {
    const seen = new Set<RetainedPacket>();
    for (const filter of filters) {
      for (const p of this.match(this.root, filter.split("/"), 0)) {
        if (seen.has(p)) continue;
        seen.add(p);
        yield p;
      }
    }
  }

  private *match(node: Node, levels: string[], i: number): Generator<RetainedPacket> {
    if (i === levels.length) {
      if (node.packet) yield node.packet;
      return;
    }
    const level = levels[i]!;
    if (level === "#") {
      if (node.packet && i > 0) yield node.packet; // `a/#` matches `a` too
      yield* this.subtree(node, i === 0);
      return;
    }
    if (level === "+") {
      for (const [name, child] of node.children) {
        if (i === 0 && name.startsWith("$")) continue;
        yield* this.match(child, levels, i + 1);
      }
      return;
    }
    const child = node.children.get(level);
    if (child) yield* this.match(child, levels, i + 1);
  }

  private *subtree(node: Node, atRoot: boolean): Generator<RetainedPacket> {
    for (const [name, child] of node.children) {
      if (atRoot && name.startsWith("$")) continue;
      if (child.packet) yield child.packet;
      yield* this.subtree(child, false);
    }
  }
}

/** The part of an aedes persistence the index takes over. */
interface RetainedStore {
  setup(broker: unknown): Promise<void>;
  storeRetained(packet: RetainedPacket): Promise<void>;
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<RetainedPacket> & NodeJS.ReadableStream;
}

/**
 * `inner` with retained reads served from a RetainedTrie (loaded in setup, kept by storeRetained);
 * every other method is the store's own. With `indexOnly` (the memory store: nothing to survive a
 * restart) retained messages live in the index alone, instead of twice in memory.
 */
export function withRetainedIndex<P extends object>(inner: P, opts: { indexOnly?: boolean } = {}): P & { readonly retainedIndex: RetainedTrie } {
  const store = inner as unknown as RetainedStore;
  const index = new RetainedTrie();
  const overrides: Record<string, unknown> = {
    retainedIndex: index,
    // aedes checks that setup is an AsyncFunction.
    setup: async (broker: unknown) => {
      await store.setup(broker);
      for await (const packet of store.createRetainedStreamCombi(["#", "$SYS/#"])) index.apply(packet);
    },
    storeRetained: (packet: RetainedPacket) => {
      index.apply({ ...packet }); // a copy, as the stores keep: aedes reuses the packet object
      return opts.indexOnly === true ? Promise.resolve() : store.storeRetained(packet);
    },
    createRetainedStreamCombi: (patterns: string[]) => Readable.from(index.matchAll(patterns)),
    createRetainedStream: (pattern: string) => Readable.from(index.matchAll([pattern])),
  };
  return storeView(inner, { overrides }) as P & { readonly retainedIndex: RetainedTrie };
}
