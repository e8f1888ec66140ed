/**
 * Turning zod issues into messages a technician can act on (STYLE.md rule 11):
 * `site.yaml: devices.cam-main.transport.baudRate: expected one of 2400|4800|...; got 9601 (line 14)`.
 * Values under a password key are never echoed, nor a user:pass in a URL.
 */
import type { z } from "zod";

type PathKey = PropertyKey;

/** One problem found in a config file. */
export interface ConfigIssue {
  /** Dotted path into the document (`devices.cam-main.transport.port`); "" for the top level. */
  path: string;
  message: string;
  /** 1-based position in the file, when known. */
  line?: number;
  column?: number;
}

/** A config file that cannot be used. The message names the file, and has one line per issue. */
export class ConfigError extends Error {
  readonly code = "bad_config" as const;
  readonly file: string;
  readonly issues: readonly ConfigIssue[];
  constructor(file: string, issues: ConfigIssue[]) {
    super(issues.map((i) => formatIssue(file, i)).join("\n"));
    this.name = "ConfigError";
    this.file = file;
    this.issues = issues;
  }
}

export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.path === "" ? "" : `${oneLine(issue.path)}: `;
  const col = issue.column === undefined ? "" : `, column ${issue.column}`;
  const at = issue.line === undefined ? "" : ` (line ${issue.line}${col})`;
  return `${file}: ${where}${oneLine(issue.message)}${at}`;
}

/**
 * Control characters as JSON escapes: keys and values from the file (a device id `"a\nb"`, a serial
 * path with a newline) would otherwise split one issue over several lines, and the next line would
 * no longer name the file.
 */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (ch) => CONTROL_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const CONTROL_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

export function dottedPath(path: readonly PathKey[]): string {
  return path.map(String).join(".");
}

const KIND_WORDS: Record<string, string> = {
  int: "an integer",
  number: "a number",
  string: "a string",
  boolean: "true or false",
  object: "a map (key: value)",
  array: "a list",
  record: "a map (key: value)",
};

/**
 * Per-parse error map: our wording for zod's issues. Schema-level messages (e.g. the broker URL's)
 * still win, as zod gives them precedence. The "got ..." part is added by `zodIssuesToConfigIssues`,
 * which knows the full path and can hide secrets.
 */
export const configErrorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case "invalid_type":
      if (iss.input === undefined) return `required (${KIND_WORDS[iss.expected] ?? iss.expected})`;
      return `expected ${KIND_WORDS[iss.expected] ?? iss.expected}`;
    case "invalid_value":
      return iss.values.length === 1
        ? `expected ${String(iss.values[0])}`
        : `expected one of ${iss.values.map(String).join("|")}`;
    case "too_small":
    case "too_big": {
      const bound = iss.code === "too_small" ? iss.minimum : iss.maximum;
      const cmp = iss.code === "too_small" ? (iss.inclusive === false ? ">" : ">=") : iss.inclusive === false ? "<" : "<=";
      if (iss.origin === "string") return `expected ${iss.code === "too_small" ? "at least" : "at most"} ${String(bound)} characters`;
      if (iss.origin === "array") return `expected ${iss.code === "too_small" ? "at least" : "at most"} ${String(bound)} items`;
      return `expected a value ${cmp} ${String(bound)}`;
    }
    case "invalid_format":
      return iss.format === "regex" && iss.pattern !== undefined ? `expected text matching ${iss.pattern}` : `expected ${iss.format}`;
    case "invalid_union":
      if ("options" in iss && Array.isArray(iss.options)) return `expected one of ${iss.options.map(String).join("|")}`;
      return "does not match any allowed form";
    case "invalid_key":
      return "invalid key";
    case "unrecognized_keys":
      return `unknown key${iss.keys.length > 1 ? "s" : ""} ${iss.keys.map((k) => JSON.stringify(k)).join(", ")}`;
    default:
      return undefined;
  }
};

const WITH_GOT = new Set(["invalid_type", "invalid_value", "too_small", "too_big", "invalid_format", "invalid_union"]);

/**
 * zod issues -> ConfigIssues. `input` is the raw document (to show what was found), `locate` maps a
 * path to a position in the file.
 */
export function zodIssuesToConfigIssues(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  locate?: (path: readonly PathKey[], atKey: boolean) => { line: number; column: number } | undefined,
): ConfigIssue[] {
  return issues.map((iss) => {
    let path: readonly PathKey[] = iss.path;
    let message = iss.message;
    if (iss.code === "invalid_key") {
      // The key itself is wrong: say which rule it breaks (the inner issue), and show it.
      const why = iss.issues.map((i) => i.message).join("; ") || "not allowed";
      message = `invalid key ${JSON.stringify(String(path[path.length - 1]))}: ${why}`;
    } else if (WITH_GOT.has(iss.code) && !message.includes("; got ")) {
      const found = valueAt(input, path);
      if (found.present) message += `; got ${showValue(path, found.value)}`;
    }
    if (iss.code === "unrecognized_keys" && iss.keys[0] !== undefined) {
      path = [...path, iss.keys[0]];
      // Point at the (first) unknown key, but report it under its parent.
      return withPos({ path: dottedPath(iss.path), message }, locate?.(path, true));
    }
    return withPos({ path: dottedPath(path), message }, locate?.(path, iss.code === "invalid_key"));
  });
}

function withPos(issue: ConfigIssue, pos: { line: number; column: number } | undefined): ConfigIssue {
  return pos === undefined ? issue : { ...issue, line: pos.line, column: pos.column };
}

function valueAt(root: unknown, path: readonly PathKey[]): { present: boolean; value?: unknown } {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return { present: false };
    if (!Object.prototype.hasOwnProperty.call(node, key)) return { present: false };
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return { present: true, value: node };
}

const SECRET_KEY_NAMES = "password|passwordfile|passphrase|secret|token|pin|psk|apikey|key";
const SECRET_KEY = new RegExp(`^(${SECRET_KEY_NAMES})$`, "i");
/** `password: value` anywhere on a line (block or flow style, quoted key or not); group 2 is the rest of the line. */
const SECRET_LINE = new RegExp(`(?:^|[\\s{,-])["']?(${SECRET_KEY_NAMES})["']?[ \\t]*:[ \\t]+([^\\n]*)`, "gim");
/** Shorter values are not masked: hiding every "1" or "on" would garble line numbers and messages. */
const MIN_MASKED = 3;

/**
 * A function that hides the values of secret keys (as written in `text`) inside a message. For
 * messages that echo source text without knowing its path: the YAML parser quotes the offending
 * token (`Unexpected scalar token in YAML stream: "s3cret"`), so a broken file could print its
 * password. Works on the raw text because a file with syntax errors has no usable tree.
 */
export function secretMasker(text: string): (message: string) => string {
  const values = new Set<string>();
  for (const m of text.matchAll(SECRET_LINE)) {
    const raw = m[2]!.trim();
    const plain = raw.replace(/\s+#.*$/, "");
    const flow = plain.split(/[,}\]]/)[0]!.trim();
    for (const v of [raw, plain, flow]) {
      values.add(v);
      values.add(v.replace(/^[|>*&!@`]+/, "").replace(/^["']|["']$/g, ""));
    }
  }
  // Longest first, so a value is hidden whole rather than around a shorter one inside it.
  const secrets = [...values].filter((v) => v.length >= MIN_MASKED).sort((a, b) => b.length - a.length);
  return (message) => secrets.reduce((msg, s) => msg.split(s).join("(hidden)"), message);
}

function showValue(path: readonly PathKey[], value: unknown): string {
  if (path.some((k) => typeof k === "string" && SECRET_KEY.test(k))) return "(hidden)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") {
    const safe = value.replace(/\/\/[^@/\s]*@/, "//***@");
    return JSON.stringify(safe.length > 80 ? `${safe.slice(0, 77)}...` : safe);
  }
  return String(value);
}
