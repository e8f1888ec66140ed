/**
 * A small, strict XML reader for the SOAP messages the ONVIF simulator receives, and an escaper
 * for the ones it writes. Why not xml2js: it is only a transitive dependency here (of `onvif`)
 * with no type declarations, and a simulator must refuse what a strict camera refuses (a
 * mismatched tag, a DOCTYPE) instead of guessing.
 *
 * Supports elements, attributes, namespaces (prefixed and default), text, CDATA, comments,
 * processing instructions and the predefined and numeric entities. Refuses DOCTYPE (no entity
 * expansion, so no XXE or billion-laughs), unclosed or mismatched tags, and text outside the root.
 */

export interface XmlElement {
  /** The qualified name as written, e.g. `s:Envelope`. */
  readonly name: string;
  readonly local: string;
  /** Namespace URI ("" when none). */
  readonly ns: string;
  /** Attributes by qualified name as written. */
  readonly attrs: ReadonlyMap<string, string>;
  readonly children: XmlElement[];
  /** Concatenated character data directly inside this element. */
  text: string;
  /** Prefix -> namespace URI in scope at this element ("" = default namespace). */
  readonly scope: ReadonlyMap<string, string>;
}

export class XmlError extends Error {
  readonly code = "malformed_xml";
  constructor(message: string, readonly offset: number) {
    super(`${message} (at offset ${offset})`);
    this.name = "XmlError";
  }
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_.:]*/y;
const ROOT_SCOPE: ReadonlyMap<string, string> = new Map([["xml", "http://www.w3.org/XML/1998/namespace"]]);

/** Parses a whole document and returns its root element; throws XmlError. */
export function parseXml(input: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;

  const fail = (msg: string): never => {
    throw new XmlError(msg, i);
  };

  function readName(): string {
    NAME.lastIndex = i;
    const m = NAME.exec(input);
    if (!m) fail("expected a name");
    i += m![0].length;
    return m![0];
  }

  function skipSpace(): void {
    while (i < input.length && /\s/.test(input[i]!)) i++;
  }

  function addText(raw: string, decode: boolean): void {
    const top = stack[stack.length - 1];
    if (top === undefined) {
      if (raw.trim() !== "") fail("text outside the root element");
      return;
    }
    top.text += decode ? decodeEntities(raw, i) : raw;
  }

  function readTag(): void {
    i++; // '<'
    const name = readName();
    const attrs = new Map<string, string>();
    for (;;) {
      const before = i;
      skipSpace();
      const c = input[i];
      if (c === "/" || c === ">") break;
      if (c === undefined) fail("unexpected end inside a tag");
      if (i === before) fail("expected space before an attribute");
      const an = readName();
      skipSpace();
      if (input[i] !== "=") fail(`attribute ${an} has no value`);
      i++;
      skipSpace();
      const q = input[i];
      if (q !== '"' && q !== "'") fail(`attribute ${an} value is not quoted`);
      const end = input.indexOf(q!, i + 1);
      if (end < 0) fail("unterminated attribute value");
      const raw = input.slice(i + 1, end);
      if (raw.includes("<")) fail(`attribute ${an} contains <`);
      if (attrs.has(an)) fail(`duplicate attribute ${an}`);
      attrs.set(an, decodeEntities(raw, i));
      i = end + 1;
    }
    const selfClosing = input[i] === "/";
    if (selfClosing) {
      i++;
      if (input[i] !== ">") fail("expected > after /");
    }
    i++; // '>'

    const parent = stack[stack.length - 1];
    let own: Map<string, string> | undefined;
    for (const [k, v] of attrs) {
      if (k === "xmlns" || k.startsWith("xmlns:")) {
        own ??= new Map(parent?.scope ?? ROOT_SCOPE);
        own.set(k === "xmlns" ? "" : k.slice(6), v);
      }
    }
    const scope: ReadonlyMap<string, string> = own ?? parent?.scope ?? ROOT_SCOPE;
    const colon = name.indexOf(":");
    const prefix = colon < 0 ? "" : name.slice(0, colon);
    const ns = scope.get(prefix);
    if (ns === undefined && prefix !== "") fail(`undeclared namespace prefix "${prefix}"`);
    const el: XmlElement = { name, local: colon < 0 ? name : name.slice(colon + 1), ns: ns ?? "", attrs, children: [], text: "", scope };
    if (parent) parent.children.push(el);
    else if (root) fail("a second root element");
    else root = el;
    if (!selfClosing) stack.push(el);
  }

  function readEndTag(): void {
    i += 2;
    const name = readName();
    skipSpace();
    if (input[i] !== ">") fail(`expected > to close </${name}`);
    i++;
    const open = stack.pop();
    if (!open) fail(`end tag </${name}> without a start tag`);
    if (open!.name !== name) fail(`end tag </${name}> does not match <${open!.name}>`);
  }

  function skipPast(terminator: string, what: string): string {
    const end = input.indexOf(terminator, i);
    if (end < 0) fail(`unterminated ${what}`);
    const body = input.slice(i, end);
    i = end + terminator.length;
    return body;
  }

  if (input.charCodeAt(0) === 0xfeff) i = 1;
  while (i < input.length) {
    if (input[i] !== "<") {
      const next = input.indexOf("<", i);
      const end = next < 0 ? input.length : next;
      const start = i;
      addText(input.slice(start, end), true);
      i = end;
      continue;
    }
    if (input.startsWith("<?", i)) {
      i += 2;
      skipPast("?>", "processing instruction");
    } else if (input.startsWith("<!--", i)) {
      i += 4;
      skipPast("-->", "comment");
    } else if (input.startsWith("<![CDATA[", i)) {
      i += 9;
      if (stack.length === 0) fail("CDATA outside the root element");
      addText(skipPast("]]>", "CDATA section"), false);
    } else if (input.startsWith("<!", i)) {
      fail("DOCTYPE and other declarations are not accepted");
    } else if (input.startsWith("</", i)) {
      readEndTag();
    } else {
      readTag();
    }
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]!.name}> is not closed`);
  if (!root) fail("no root element");
  return root!;
}

const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(raw: string, at: number): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(/&([^;&\s]*);?/g, (whole, ent: string) => {
    if (!whole.endsWith(";")) throw new XmlError(`bare & in text`, at);
    if (ent in NAMED) return NAMED[ent]!;
    const code = ent.startsWith("#x") ? parseInt(ent.slice(2), 16) : ent.startsWith("#") ? parseInt(ent.slice(1), 10) : NaN;
    if (!Number.isInteger(code) || code < 1 || code > 0x10ffff) throw new XmlError(`unknown entity &${ent};`, at);
    return String.fromCodePoint(code);
  });
}

/** Escapes text or an attribute value for XML output. */
export function esc(s: string | number | boolean): string {
  return String(s).replace(/[<>&"']/g, (c) => `&${({ "<": "lt", ">": "gt", "&": "amp", '"': "quot", "'": "apos" } as const)[c as "<"]};`);
}

/** First child with this local name (and namespace, when given). */
export function child(el: XmlElement | undefined, local: string, ns?: string): XmlElement | undefined {
  return el?.children.find((c) => c.local === local && (ns === undefined || c.ns === ns));
}

export function childrenNamed(el: XmlElement | undefined, local: string): XmlElement[] {
  return el ? el.children.filter((c) => c.local === local) : [];
}

/** Trimmed text of a child, or undefined when the child is absent. */
export function childText(el: XmlElement | undefined, local: string): string | undefined {
  const c = child(el, local);
  return c === undefined ? undefined : c.text.trim();
}

/** Attribute by local name, whatever its prefix (`s:mustUnderstand`, `Type`). */
export function attr(el: XmlElement | undefined, local: string): string | undefined {
  if (!el) return undefined;
  for (const [k, v] of el.attrs) if (k === local || k.endsWith(`:${local}`)) return v;
  return undefined;
}

/** Resolves a QName written in text content (`dn:NetworkVideoTransmitter`) against the element's scope. */
export function resolveQName(el: XmlElement, qname: string): { ns: string | undefined; local: string } {
  const colon = qname.indexOf(":");
  const prefix = colon < 0 ? "" : qname.slice(0, colon);
  return { ns: el.scope.get(prefix), local: colon < 0 ? qname : qname.slice(colon + 1) };
}
