/**
 * What a V8 heap snapshot (`v8.writeHeapSnapshot`, `node --heapsnapshot-signal`) holds, by type:
 * the live objects grouped by constructor (or by V8's category for strings, arrays, code and the
 * backing stores of Buffers), their count and shallow size, and for the largest groups the shortest
 * path from the GC roots to a few of their members (who holds them, as DevTools' "Retainers").
 *
 * The file is read as a stream with a small tokenizer of its fixed layout (a header object, then the
 * number arrays `nodes` and `edges`, then `strings`): a snapshot of a few hundred MB of heap is larger
 * than the longest string V8 can hold, so JSON.parse of the whole file is not an option.
 */
import { createReadStream } from "node:fs";

export interface HeapGroup {
  group: string;
  count: number;
  /** Shallow: the objects themselves. */
  bytes: number;
  /**
   * What the group's objects hold: the bytes of their subtrees in the tree of shortest paths from
   * the GC roots (objects of the same group inside one another counted once). An approximation of
   * DevTools' retained size that needs no dominator tree.
   */
  holds: number;
}

export interface HeapSummary {
  nodes: number;
  edges: number;
  totalBytes: number;
  groups: HeapGroup[];
  /** The groups that hold the most. */
  holders: HeapGroup[];
  /** For the largest groups: a few members' shortest retaining paths, root first. */
  paths: Record<string, string[]>;
}

export interface Parsed {
  meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] };
  nodes: Float64Array;
  edges: Uint32Array;
  strings: string[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Streams the snapshot into typed arrays. */
export async function readHeapSnapshot(file: string): Promise<Parsed> {
  let header = "";
  let meta: Parsed["meta"] | undefined;
  let nodes = new Float64Array(0);
  let edges = new Uint32Array(0);
  const strings: string[] = [];
  let nNodes = 0;
  let nEdges = 0;
  let key = "";
  let depth = 0;
  let inString = false;
  let escaped = false;
  let str: Buffer[] = [];
  let strStart = -1;
  let num = -1;
  let negative = false;

  const pushNumber = (v: number) => {
    if (depth !== 1) return;
    if (key === "nodes") nodes[nNodes++] = v;
    else if (key === "edges") edges[nEdges++] = v;
  };
  const endString = (text: string) => {
    if (depth === 0) key = text;
    else if (depth === 1 && key === "strings") strings.push(text);
  };

  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 }) as AsyncIterable<Buffer>) {
    let i = 0;
    if (meta === undefined) {
      header += chunk.toString("latin1");
      const at = header.indexOf('"nodes":');
      if (at < 0) continue;
      const head = JSON.parse(`${header.slice(0, header.lastIndexOf(",", at))}}`) as { snapshot: { meta: Parsed["meta"]; node_count: number; edge_count: number } };
      meta = head.snapshot.meta;
      nodes = new Float64Array(head.snapshot.node_count * meta.node_fields.length);
      edges = new Uint32Array(head.snapshot.edge_count * meta.edge_fields.length);
      // Resume the tokenizer at `"nodes"` inside this chunk.
      i = chunk.length - (header.length - at);
      header = "";
    }
    for (; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) {
          str.push(chunk.subarray(strStart, i));
          inString = false;
          endString(JSON.parse(`"${Buffer.concat(str).toString("utf8")}"`) as string);
          str = [];
        }
        continue;
      }
      if (c >= 0x30 && c <= 0x39) {
        num = num < 0 ? c - 0x30 : num * 10 + (c - 0x30);
        continue;
      }
      if (num >= 0) {
        pushNumber(negative ? -num : num);
        num = -1;
        negative = false;
      }
      if (c === QUOTE) {
        inString = true;
        strStart = i + 1;
      } else if (c === 0x5b) depth += 1;
      else if (c === 0x5d) depth -= 1;
      else if (c === 0x2d) negative = true;
    }
    if (inString) {
      str.push(Buffer.from(chunk.subarray(strStart)));
      strStart = 0;
    }
  }
  if (meta === undefined) throw new Error(`${file}: not a V8 heap snapshot`);
  return { meta, nodes, edges, strings };
}

/** The group a node counts in: its constructor for objects, V8's category otherwise. */
function groupOf(type: string, name: string): string {
  switch (type) {
    case "object":
      return name;
    case "closure":
      return "(closure)";
    case "string":
    case "concatenated string":
    case "sliced string":
      return "(string)";
    case "code":
      return "(compiled code)";
    case "array":
      return `(array: ${name})`;
    case "native":
      return `(native: ${name.replace(/ \/ .*$/, "")})`;
    case "hidden":
      return `(system: ${name.replace(/ \/ .*$/, "")})`;
    default:
      return `(${type})`;
  }
}

export async function summarizeHeapSnapshot(file: string, opts: { top?: number; pathsFor?: number; samples?: number } = {}): Promise<HeapSummary> {
  const { meta, nodes, edges, strings } = await readHeapSnapshot(file);
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const [fType, fName, fSize, fEdges] = ["type", "name", "self_size", "edge_count"].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number];
  const [eType, eName, eTo] = ["type", "name_or_index", "to_node"].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const weak = edgeTypes.indexOf("weak");
  const count = nodes.length / nf;

  const groupIds = new Map<string, number>();
  const groupOfNode = new Uint32Array(count);
  const groups: HeapGroup[] = [];
  let totalBytes = 0;
  for (let n = 0; n < count; n++) {
    const g = groupOf(nodeTypes[nodes[n * nf + fType]!] ?? "?", strings[nodes[n * nf + fName]!] ?? "");
    let id = groupIds.get(g);
    if (id === undefined) {
      id = groups.length;
      groupIds.set(g, id);
      groups.push({ group: g, count: 0, bytes: 0, holds: 0 });
    }
    groupOfNode[n] = id;
    groups[id]!.count += 1;
    groups[id]!.bytes += nodes[n * nf + fSize]!;
    totalBytes += nodes[n * nf + fSize]!;
  }

  // First edge of each node, and each node's shortest-path parent from the root (BFS over strong edges).
  const firstEdge = new Uint32Array(count + 1);
  for (let n = 0; n < count; n++) firstEdge[n + 1] = firstEdge[n]! + nodes[n * nf + fEdges]!;
  const parent = new Int32Array(count).fill(-1);
  const via = new Int32Array(count).fill(-1);
  const queue = new Uint32Array(count);
  let head = 0;
  let tail = 0;
  parent[0] = 0;
  queue[tail++] = 0;
  while (head < tail) {
    const n = queue[head++]!;
    for (let e = firstEdge[n]!; e < firstEdge[n + 1]!; e++) {
      if (edges[e * ef + eType] === weak) continue;
      const to = edges[e * ef + eTo]! / nf;
      if (parent[to] !== -1) continue;
      parent[to] = n;
      via[to] = e;
      queue[tail++] = to;
    }
  }
  // Subtree sizes in the shortest-path tree (children come after their parent in BFS order), then
  // each group's holding: its members that have no member of the same group above them.
  const subtree = new Float64Array(count);
  for (let k = tail - 1; k >= 0; k--) {
    const n = queue[k]!;
    subtree[n]! += nodes[n * nf + fSize]!;
    if (n !== 0) subtree[parent[n]!]! += subtree[n]!;
  }
  for (let k = 1; k < tail; k++) {
    const n = queue[k]!;
    const g = groupOfNode[n]!;
    let nested = false;
    for (let up = parent[n]!, guard = 0; up !== 0 && guard < 64; up = parent[up]!, guard++) {
      if (groupOfNode[up] === g) {
        nested = true;
        break;
      }
    }
    if (!nested) groups[g]!.holds += subtree[n]!;
  }
  const groupName = groups.map((g) => g.group); // by id, before the sort below
  const label = (n: number) => {
    const g = groupName[groupOfNode[n]!]!;
    return g.startsWith("(") ? `${g} ${strings[nodes[n * nf + fName]!]?.slice(0, 40) ?? ""}`.trim() : g;
  };
  const edgeName = (e: number) => {
    const t = edgeTypes[edges[e * ef + eType]!];
    const v = edges[e * ef + eName]!;
    return t === "element" || t === "hidden" ? `[${v}]` : (strings[v] ?? String(v));
  };
  const pathOf = (n: number) => {
    const steps: string[] = [];
    for (let cur = n, guard = 0; cur !== 0 && parent[cur] !== -1 && guard < 12; cur = parent[cur]!, guard++) {
      steps.push(`${label(parent[cur]!)} .${edgeName(via[cur]!)}`);
    }
    return `${steps.reverse().join(" -> ")} -> ${label(n)}`;
  };

  const holders = [...groups].filter((g) => !g.group.startsWith("(") && g.group !== "system / Context").sort((a, b) => b.holds - a.holds).slice(0, opts.top ?? 25);
  groups.sort((a, b) => b.bytes - a.bytes);
  const top = groups.slice(0, opts.top ?? 25);
  const paths: Record<string, string[]> = {};
  for (const g of top.slice(0, opts.pathsFor ?? 8)) {
    const id = groupIds.get(g.group)!;
    // The largest members, then a spread of the rest: the big ones are usually the story.
    const members: number[] = [];
    for (let n = 0; n < count; n++) if (groupOfNode[n] === id && parent[n] !== -1) members.push(n);
    members.sort((a, b) => nodes[b * nf + fSize]! - nodes[a * nf + fSize]!);
    const k = opts.samples ?? 3;
    const picked = [...new Set([members[0], members[Math.floor(members.length / 2)], members[members.length - 1]].slice(0, k))].filter((n): n is number => n !== undefined);
    paths[g.group] = [...new Set(picked.map(pathOf))];
  }
  return { nodes: count, edges: edges.length / ef, totalBytes, groups: top, holders, paths };
}

/** The summary as text: a table of the groups, then the paths. */
export function heapSummaryText(s: HeapSummary): string {
  const mb = (b: number) => (b / 1048576).toFixed(1);
  const lines = [`${s.nodes} objects, ${mb(s.totalBytes)} MB shallow in all`, "", "by type (shallow):", "     MB    count  group"];
  for (const g of s.groups) lines.push(`${mb(g.bytes).padStart(7)}  ${String(g.count).padStart(7)}  ${g.group}`);
  lines.push("", "by holder (what objects of each constructor hold, shortest-path tree):", "  holds MB    count  constructor");
  for (const g of s.holders) lines.push(`${mb(g.holds).padStart(10)}  ${String(g.count).padStart(7)}  ${g.group}`);
  lines.push("", "who holds them (shortest path from the GC roots):");
  for (const [g, ps] of Object.entries(s.paths)) {
    lines.push(`  ${g}:`);
    for (const p of ps) lines.push(`    ${p}`);
  }
  return lines.join("\n");
}
