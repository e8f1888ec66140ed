/**
 * What a JSON-mode document means (C2 jsxapi's tsh backend and rpc, C3's spec transcripts). Pure.
 *
 * - A document with `ResultId` answers the command tagged with it: a `CommandResponse` holding one
 *   `<Name>Result` (or `Result`, or the document name of an xStatus/xConfiguration that failed) with a
 *   `status` of OK, Error or ParameterError and, for errors, a `Reason` and maybe an `XPath`; or a
 *   status tree (xStatus); or nothing else (xFeedback register, xConfiguration set).
 * - A document without `ResultId` is feedback: `Status`, `Event` or `Configuration`.
 * - Leaves are `{"Value": "..."}`; lists are arrays of objects with an `id`; a removed list entry is
 *   `{"id": "3", "ghost": "True"}` (C1). `collapse` turns leaves into their values, as jsxapi does.
 */

export type Tree = { [k: string]: Node };
export type Node = string | Tree | Tree[];

export type CommandStatus = "OK" | "Error" | "ParameterError" | string;

export type ResultBody =
  | { type: "command"; name: string; status: CommandStatus; reason?: string; xpath?: string; fields: Tree }
  | { type: "status"; tree: Tree }
  | { type: "empty" };

export type XapiMessage =
  | { kind: "result"; resultId: string; body: ResultBody }
  | { kind: "feedback"; status?: Tree; event?: Tree; configuration?: Tree }
  | { kind: "unknown"; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `{"Value":"x"}` -> "x", recursively; other shapes kept. Numbers become strings (the codec sends strings). */
export function collapse(v: unknown): Node {
  if (Array.isArray(v)) return v.filter(isObject).map((x) => collapse(x) as Tree);
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (!isObject(v)) return "";
  if ("Value" in v && (typeof v["Value"] === "string" || typeof v["Value"] === "number")) return String(v["Value"]);
  const out: Tree = {};
  for (const [k, x] of Object.entries(v)) out[k] = collapse(x);
  return out;
}

export function interpret(doc: unknown): XapiMessage {
  if (!isObject(doc)) return { kind: "unknown", reason: "not a JSON object" };
  const resultId = doc["ResultId"];
  if (resultId !== undefined) {
    const id = String(resultId);
    const keys = Object.keys(doc).filter((k) => k !== "ResultId");
    if (keys.length === 0) return { kind: "result", resultId: id, body: { type: "empty" } };
    if (isObject(doc["CommandResponse"])) return { kind: "result", resultId: id, body: commandBody(doc["CommandResponse"]) };
    if (isObject(doc["Status"])) return { kind: "result", resultId: id, body: { type: "status", tree: collapse(doc["Status"]) as Tree } };
    // An xConfiguration read, or a set that failed (`{"Configuration":{...,"error":"True"}}`): not used here.
    return { kind: "result", resultId: id, body: { type: "status", tree: collapse(doc) as Tree } };
  }
  const out: XapiMessage = { kind: "feedback" };
  if (isObject(doc["Status"])) out.status = collapse(doc["Status"]) as Tree;
  if (isObject(doc["Event"])) out.event = collapse(doc["Event"]) as Tree;
  if (isObject(doc["Configuration"])) out.configuration = collapse(doc["Configuration"]) as Tree;
  if (!out.status && !out.event && !out.configuration) return { kind: "unknown", reason: `unexpected document: ${Object.keys(doc).join(",") || "{}"}` };
  return out;
}

function commandBody(cr: Record<string, unknown>): ResultBody {
  // C3: an unknown command puts XPath beside Result, not inside it; look in both places.
  const outerXPath = collapse(cr["XPath"]);
  const name = Object.keys(cr).find((k) => k !== "XPath" && isObject(cr[k])) ?? "Result";
  const body = collapse(cr[name]);
  const fields: Tree = typeof body === "object" && !Array.isArray(body) ? body : {};
  const status = typeof fields["status"] === "string" ? fields["status"] : "OK";
  const out: ResultBody = { type: "command", name, status, fields };
  const reason = fields["Reason"] ?? fields["Error"];
  if (typeof reason === "string") out.reason = reason;
  const xpath = typeof fields["XPath"] === "string" ? fields["XPath"] : typeof outerXPath === "string" && outerXPath !== "" ? outerXPath : undefined;
  if (xpath !== undefined) out.xpath = xpath;
  return out;
}

/** The node at `path` (keys case-insensitive; a number picks a list entry by id). */
export function dig(tree: Node | undefined, ...path: (string | number)[]): Node | undefined {
  let cur: Node | undefined = tree;
  for (const p of path) {
    if (cur === undefined || typeof cur === "string") return undefined;
    if (Array.isArray(cur)) {
      cur = typeof p === "number" ? cur.find((e) => e["id"] === String(p)) : undefined;
      continue;
    }
    const key: string | undefined = Object.keys(cur).find((k) => k.toLowerCase() === String(p).toLowerCase());
    cur = key === undefined ? undefined : cur[key];
  }
  return cur;
}

/** The text at `path`, or undefined. */
export function text(tree: Node | undefined, ...path: (string | number)[]): string | undefined {
  const v = dig(tree, ...path);
  return typeof v === "string" ? v : undefined;
}

/** The list at `path` (a single object where a list was expected counts as a list of one). */
export function list(tree: Node | undefined, ...path: (string | number)[]): Tree[] {
  const v = dig(tree, ...path);
  if (Array.isArray(v)) return v;
  if (v !== undefined && typeof v === "object") return [v];
  return [];
}

export const isGhost = (entry: Tree): boolean => typeof entry["ghost"] === "string" && entry["ghost"].toLowerCase() === "true";
