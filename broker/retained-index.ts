/**
 * The retained messages of a single-instance store (memory or on disk), in memory, as a topic trie.
 *
 * Why: on every SUBSCRIBE aedes asks the store for the retained messages matching the new filters,
 * and both stores answer by testing *every* retained topic against them. A fleet holds tens of
 * thousands of retained topics (each device's health and state, each agent's birth and meta), so a
 * reconnect storm of 2,000 agents, each subscribing to its own `cmd/+`, cost minutes of broker CPU
 * (bench/fleet, docs/performance.md). The index is a topic trie: a filter walks only the branches it
 * can match. It is the only copy in memory: the on-disk store keeps retained messages in its own
 * files (retained-log.ts), written in batches, and the index is loaded from them at start. Not for a
 * cluster: there other instances write retained messages this one never sees, so Redis stays the
 * source.
 *
 * MQTT rules kept (MQTT-4.7.1-2, 4.7.1-3, 4.7.2-1): `+` matches one level, `#` the rest including the
 * parent level, and neither matches a first level starting with `$` (e.g. `$SYS`).
 */
import { Readable } from "node:stream";
import type { RetainedRecord } from "./retained-records.js";
import { storeView } from "./store-view.js";

interface RetainedPacket {
  topic: string;
  payload: Buffer | string;
  qos?: number;
}

/** What the index keeps of a retained publish: what aedes sends on SUBSCRIBE, nothing else. */
class Retained implements RetainedRecord {
  constructor(
    readonly topic: string,
    readonly payload: Buffer,
    readonly qos: number,
  ) {}
}

/**
 * The payload in a buffer of its own, exactly its size. The parser's payload is a view into the
 * socket chunk it came in (up to 64 kB, shared with the other packets of that read): kept as it is,
 * a retained message would hold the whole chunk for as long as the topic keeps it. And not from
 * Buffer's shared pool either, whose 8 kB slabs a long-lived message would keep the same way.
 */
function ownCopy(payload: Buffer | string): Buffer {
  const n = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
  if (n === 0) return EMPTY;
  const own = Buffer.allocUnsafeSlow(n);
  if (typeof payload === "string") own.write(payload);
  else payload.copy(own);
  return own;
}
const EMPTY = Buffer.alloc(0);

class Node {
  /** Made on the first child: most nodes are leaves (one per retained topic). */
  children: Map<string, Node> | undefined;
  packet: Retained | undefined;
}

export class RetainedTrie {
  private readonly root = new Node();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** A retained publish: an empty payload removes the topic's message. Returns what it keeps. */
  apply(packet: RetainedPacket): RetainedRecord {
    const payload = ownCopy(packet.payload);
    const r = new Retained(packet.topic, payload, packet.qos ?? 0);
    if (payload.length === 0) this.delete(packet.topic);
    else this.set(r);
    return r;
  }

  /** Every retained message, in no particular order. */
  *all(): Generator<RetainedRecord> {
    yield* this.subtree(this.root, false);
  }

  private set(packet: Retained): void {
    let node = this.root;
    for (const level of packet.topic.split("/")) {
      node.children ??= new Map();
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
      const next: Node | undefined = node.children?.get(level);
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
      const child = parent.children!.get(level)!;
      if (child.packet !== undefined || (child.children?.size ?? 0) > 0) break;
      parent.children!.delete(level);
      if (parent.children!.size === 0) parent.children = undefined;
    }
  }

  /** The messages matching any of the filters, each once. */
  *matchAll(filters: readonly string[]): Generator<RetainedRecord> {
    const seen = new Set<RetainedRecord>();
    for (const filter of filters) {
      for (const p of this.match(this.root, filter.split("/"), 0)) {
        if (seen.has(p)) continue;
        seen.add(p);
        yield p;
      }
    }
  }

  private *match(node: Node, levels: string[], i: number): Generator<RetainedRecord> {
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
    if (node.children === undefined) return;
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

  private *subtree(node: Node, atRoot: boolean): Generator<RetainedRecord> {
    if (node.children === undefined) return;
    for (const [name, child] of node.children) {
      if (atRoot && name.startsWith("$")) continue;
      if (child.packet) yield child.packet;
      yield* this.subtree(child, false);
    }
  }
}

/** Where retained changes go to survive a restart (retained-log.ts), and what it kept last time. */
export interface RetainedKeeper {
  readonly retained: readonly RetainedRecord[];
  append(r: RetainedRecord): void;
}

/** The part of an aedes persistence the index takes over. */
interface RetainedStore {
  setup(broker: unknown): Promise<void>;
}

const done = Promise.resolve();

/**
 * `inner` with retained messages held by a RetainedTrie: stored there (and handed to `keeper`, when
 * given, to be kept on disk), served from there, loaded from `keeper` at setup. The inner store's own
 * retained methods are never called. Every other method is the store's own.
 */
export function withRetainedIndex<P extends object>(inner: P, opts: { keeper?: RetainedKeeper } = {}): P & { readonly retainedIndex: RetainedTrie } {
  const store = inner as unknown as RetainedStore;
  const index = new RetainedTrie();
  const keeper = opts.keeper;
  const overrides: Record<string, unknown> = {
    retainedIndex: index,
    // aedes checks that setup is an AsyncFunction.
    setup: async (broker: unknown) => {
      await store.setup(broker);
      for (const r of keeper?.retained ?? []) index.apply(r);
    },
    storeRetained: (packet: RetainedPacket) => {
      // aedes reuses the packet object: the index keeps its own (topic, payload, qos).
      const kept = index.apply(packet);
      keeper?.append(kept);
      return done;
    },
    createRetainedStreamCombi: (patterns: string[]) => Readable.from(index.matchAll(patterns)),
    createRetainedStream: (pattern: string) => Readable.from(index.matchAll([pattern])),
  };
  return storeView(inner, { overrides }) as P & { readonly retainedIndex: RetainedTrie };
}
