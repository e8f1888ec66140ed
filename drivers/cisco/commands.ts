/**
 * The text of xAPI commands (C1, C2, C3): `xCommand Dial Number: "8001@mcu" Protocol: "Sip" | resultId="rg7"`.
 * Pure. Every value is checked here, so no argument can end a line or open a second command: a
 * string is sent quoted (as jsxapi does, C2), with `"` and `\` escaped; a line break is refused.
 */

export type XValue = string | number | boolean;

export class XapiCommandError extends Error {
  readonly code = "invalid_args";
  constructor(message: string) {
    super(message);
    this.name = "XapiCommandError";
  }
}

const WORD = /^[A-Za-z][A-Za-z0-9]*$/;
const RESULT_ID = /^[A-Za-z0-9_-]{1,40}$/;

function word(w: string): string {
  if (!WORD.test(w)) throw new XapiCommandError(`not an xAPI path word: ${JSON.stringify(w)}`);
  return w;
}

/** One argument value as the codec reads it: numbers bare, booleans True/False, strings quoted. */
export function formatValue(v: XValue): string {
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new XapiCommandError(`not a finite number: ${v}`);
    return String(v);
  }
  if (/[\r\n\0]/.test(v)) throw new XapiCommandError("a value cannot hold a line break or NUL");
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function tag(resultId: string | undefined): string {
  if (resultId === undefined) return "";
  if (!RESULT_ID.test(resultId)) throw new XapiCommandError(`bad resultId ${JSON.stringify(resultId)}`);
  return ` | resultId="${resultId}"`;
}

/** `xCommand <path> <Key: value>... [| resultId="id"]`; undefined arguments are left out. */
export function xCommand(path: readonly string[], args: Record<string, XValue | undefined> = {}, resultId?: string): string {
  const parts = ["xCommand", ...path.map(word)];
  for (const [k, v] of Object.entries(args)) if (v !== undefined) parts.push(`${word(k)}: ${formatValue(v)}`);
  return parts.join(" ") + tag(resultId);
}

/** `xStatus <path> [| resultId="id"]`; numbers in the path are list indexes (`Call 3`). */
export function xStatus(path: readonly (string | number)[], resultId?: string): string {
  const parts = path.map((p) => (typeof p === "number" ? String(Math.trunc(p)) : word(p)));
  return ["xStatus", ...parts].join(" ") + tag(resultId);
}

/** `xFeedback register|deregister /Status/Call [| resultId="id"]`. */
export function xFeedback(verb: "register" | "deregister", expression: string, resultId?: string): string {
  if (!/^(\/[A-Za-z][A-Za-z0-9]*)+$/.test(expression)) throw new XapiCommandError(`not a feedback expression: ${JSON.stringify(expression)}`);
  if (/^\/Status\/?$/i.test(expression)) throw new XapiCommandError("never register /Status (C1): it floods the session");
  return `xFeedback ${verb} ${expression}${tag(resultId)}`;
}

/** The session set-up lines of JSON mode (C2, C3). */
export const ECHO_OFF = "echo off";
export const OUTPUT_JSON = "xpreferences outputmode json";
