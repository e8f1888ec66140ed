/**
 * The codec's status document as JSON mode prints it (C2, C3): leaves `{"Value":"50"}`, lists as
 * arrays of objects carrying an `id`, a removed entry `{"id":"3","ghost":"True"}` (C1). What a
 * session is sent is cut from the whole: `select` for an xStatus path, `diff` for feedback (only
 * what changed, ghosts for what went), `filter` for the expressions a session registered, and
 * `terminalLines` for terminal mode (`*s Audio Volume: 50`, `*s Call 2 (ghost=True):`).
 */

export type JLeaf = { Value: string };
export type JObj = { [k: string]: JNode };
export type JNode = JLeaf | JObj | JObj[] | string;

export const leaf = (v: string | number): JLeaf => ({ Value: String(v) });
const isLeaf = (n: JNode | undefined): n is JLeaf => typeof n === "object" && n !== null && !Array.isArray(n) && Object.keys(n).length === 1 && "Value" in n && typeof n.Value === "string";
const isObj = (n: JNode | undefined): n is JObj => typeof n === "object" && n !== null && !Array.isArray(n) && !isLeaf(n);

/** The key of `o` that matches `name` case-insensitively (commands and paths are case-insensitive, C1). */
export function keyOf(o: JObj, name: string): string | undefined {
  const want = name.toLowerCase();
  return Object.keys(o).find((k) => k.toLowerCase() === want);
}

/**
 * The sub-document at `path` wrapped in its ancestors (`["Audio","Volume"]` -> `{Audio:{Volume:{Value}}}`);
 * a number-like word picks a list entry by id. undefined when the path leads nowhere.
 */
export function select(tree: JObj, path: readonly string[]): JObj | undefined {
  if (path.length === 0) return tree;
  const [head, ...rest] = path as [string, ...string[]];
  const k = keyOf(tree, head);
  if (k === undefined) return undefined;
  const node = tree[k]!;
  if (Array.isArray(node)) {
    if (rest.length === 0) return { [k]: node };
    const [id, ...deeper] = rest as [string, ...string[]];
    const entry = node.find((e) => e["id"] === id);
    if (!entry) return undefined;
    const sub = select(entry, deeper);
    return sub === undefined ? undefined : { [k]: [{ id, ...sub }] };
  }
  if (rest.length === 0) return { [k]: node };
  if (!isObj(node)) return undefined;
  const sub = select(node, rest);
  return sub === undefined ? undefined : { [k]: sub };
}

/** What changed from `a` to `b`: changed leaves, new subtrees, ghosts of removed list entries. */
export function diff(a: JObj, b: JObj): JObj | undefined {
  const out: JObj = {};
  for (const [k, nb] of Object.entries(b)) {
    const na = a[k];
    if (Array.isArray(nb) || Array.isArray(na)) {
      const d = diffList(Array.isArray(na) ? na : [], Array.isArray(nb) ? nb : []);
      if (d) out[k] = d;
    } else if (isObj(nb) && isObj(na)) {
      const d = diff(na, nb);
      if (d) out[k] = d;
    } else if (JSON.stringify(na) !== JSON.stringify(nb)) {
      out[k] = nb;
    }
  }
  for (const [k, na] of Object.entries(a)) {
    if (k in b) continue;
    if (Array.isArray(na)) {
      const d = diffList(na, []);
      if (d) out[k] = d;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function diffList(a: JObj[], b: JObj[]): JObj[] | undefined {
  const out: JObj[] = [];
  for (const e of b) {
    const before = a.find((x) => x["id"] === e["id"]);
    if (!before) out.push(e);
    else {
      const d = diff(before, e);
      if (d) out.push({ id: e["id"]!, ...d });
    }
  }
  for (const e of a) if (!b.some((x) => x["id"] === e["id"])) out.push({ id: e["id"]!, ghost: "True" });
  return out.length > 0 ? out : undefined;
}

/** The part of `tree` under the expression (`/Status/Call` -> path ["Call"] below Status). */
export function filter(tree: JObj, path: readonly string[]): JObj | undefined {
  if (path.length === 0) return tree;
  const [head, ...rest] = path as [string, ...string[]];
  const k = keyOf(tree, head);
  if (k === undefined) return undefined;
  const node = tree[k]!;
  if (rest.length === 0) return { [k]: node };
  if (Array.isArray(node)) {
    // `/Status/Call/Status` applies to every entry; ghosts always pass, so removal is seen.
    const kept = node.map((e) => (e["ghost"] !== undefined ? e : withId(e, filter(e, rest)))).filter((e): e is JObj => e !== undefined);
    return kept.length > 0 ? { [k]: kept } : undefined;
  }
  if (!isObj(node)) return undefined;
  const sub = filter(node, rest);
  return sub === undefined ? undefined : { [k]: sub };
}

const withId = (e: JObj, sub: JObj | undefined): JObj | undefined => (sub === undefined ? undefined : { id: e["id"]!, ...sub });

/** Quoted when it is not a bare word or number, as the codec prints strings (`RemoteNumber: "sip:x@y"`). */
export function terminalValue(v: string): string {
  return /^[A-Za-z0-9.+-]+$/.test(v) ? v : `"${v.replace(/"/g, '\\"')}"`;
}

/** Terminal-mode lines of a document: `*s Audio Volume: 50` (prefix `*s`, `*e`, `*r`...). */
export function terminalLines(prefix: string, tree: JObj, path: string[] = []): string[] {
  const out: string[] = [];
  for (const [k, n] of Object.entries(tree)) {
    if (k === "id") continue;
    if (typeof n === "string") out.push(`${prefix} ${[...path, k].join(" ")}: ${terminalValue(n)}`);
    else if (isLeaf(n)) out.push(`${prefix} ${[...path, k].join(" ")}: ${terminalValue(n.Value)}`);
    else if (Array.isArray(n)) {
      for (const e of n) {
        const at = [...path, k, String(e["id"])];
        if (e["ghost"] !== undefined) out.push(`${prefix} ${at.join(" ")} (ghost=True):`);
        else out.push(...terminalLines(prefix, e, at));
      }
    } else out.push(...terminalLines(prefix, n, [...path, k]));
  }
  return out;
}
