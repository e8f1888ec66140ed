/**
 * A small, strict XML reading layer for SOAP: xml2js (sax, strict mode) turned into a plain tree
 * with namespace prefixes stripped from element and attribute names (ONVIF cameras use every
 * prefix spelling there is; the local names are what we match on). Text values keep their
 * prefixes, because fault subcodes such as `ter:NoToken` are QNames in text.
 *
 * xml2js is the parser the `onvif` package ships (pinned with it). It has no type declarations,
 * so it is loaded through `createRequire` and typed here with the one call we use.
 * Internal DTD entities are not expanded (sax strict mode refuses them), so an entity bomb from a
 * hostile device is an error, not a memory blow-up.
 */
import { createRequire } from "node:module";

export interface XmlNode {
  /** Local name (prefix stripped). */
  name: string;
  /** Attributes by local name (xmlns declarations dropped). */
  attrs: Record<string, string>;
  /** Trimmed text directly inside this element (child text not included). */
  text: string;
  children: XmlNode[];
}

export class XmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XmlError";
  }
}

interface RawNode {
  "#name"?: string;
  $?: Record<string, string>;
  _?: string;
  $$?: RawNode[];
}

interface Xml2js {
  parseString(xml: string, opts: Record<string, unknown>, cb: (err: Error | null, result: Record<string, RawNode> | null) => void): void;
  processors: { stripPrefix(name: string): string };
}

const xml2js = createRequire(import.meta.url)("xml2js") as Xml2js;

const OPTIONS = {
  explicitChildren: true,
  preserveChildrenOrder: true,
  explicitCharkey: true,
  charsAsChildren: false,
  trim: true,
  async: false,
  strict: true,
  tagNameProcessors: [xml2js.processors.stripPrefix],
};

/** Parses a whole document. Throws XmlError for anything that is not one well-formed element. */
export function parseXml(xml: string): XmlNode {
  let error: Error | null = null;
  let result: Record<string, RawNode> | null = null;
  let calls = 0;
  try {
    // With async:false xml2js calls back synchronously. The callback only records: xml2js calls a
    // throwing callback a second time with the error, which would hide the first outcome.
    xml2js.parseString(xml, OPTIONS, (err, res) => {
      calls++;
      if (calls === 1) {
        error = err;
        result = res;
      }
    });
  } catch (e) {
    error = e instanceof Error ? e : new Error(String(e));
  }
  if (error) throw new XmlError(firstLine((error as Error).message));
  const entries = result ? Object.entries(result as Record<string, RawNode>) : [];
  if (entries.length !== 1) throw new XmlError("no root element");
  const [rootName, raw] = entries[0]!;
  return convert(raw, rootName);
}

function convert(raw: RawNode, fallbackName: string): XmlNode {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.$ ?? {})) {
    if (k === "xmlns" || k.startsWith("xmlns:")) continue;
    attrs[localName(k)] = v;
  }
  return {
    name: raw["#name"] ?? fallbackName,
    attrs,
    text: typeof raw._ === "string" ? raw._ : "",
    children: (raw.$$ ?? []).map((c) => convert(c, "")),
  };
}

/** `tt:PanTilt` -> `PanTilt`. */
export function localName(qname: string): string {
  const i = qname.indexOf(":");
  return i < 0 ? qname : qname.slice(i + 1);
}

/** The first child with this local name, following a path of names. */
export function child(node: XmlNode | undefined, ...path: string[]): XmlNode | undefined {
  let cur = node;
  for (const name of path) {
    if (!cur) return undefined;
    cur = cur.children.find((c) => c.name === name);
  }
  return cur;
}

/** All children with this local name (one level). */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  return node ? node.children.filter((c) => c.name === name) : [];
}

/** Text at a path, or undefined when the element is absent. */
export function textAt(node: XmlNode | undefined, ...path: string[]): string | undefined {
  return child(node, ...path)?.text;
}

/** Escapes text and attribute values (every value we put into a request goes through this). */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);
}

function firstLine(s: string): string {
  return s.split("\n").filter((l) => l.trim() !== "").join(", ");
}
