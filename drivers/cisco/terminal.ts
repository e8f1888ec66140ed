/**
 * Terminal-mode lines of the xAPI (part B, C1, C3, C4, C5), for the login dialogue on RS-232 and
 * telnet and the session set-up on every link. Pure.
 *
 *   S: login:            C: admin\r\n
 *   S: Password:         C: ****\r\n
 *   S: Welcome to <name>\r\nCisco Codec Release TC7.3.3.c84180a\r\nSW Release Date: 2015-06-12\r\n*r Login successful\r\n\r\nOK\r\n
 *   (or)  Login incorrect
 *   C: echo off\r  ->  OK
 *
 * Prompts come without a newline, so they are read from the framer's pending text as well as from
 * whole lines. `\e[?1034h` (a terminal's meta-key switch, C3) may stand before a line; it is ignored.
 */

export type TerminalSignal =
  | { type: "login-prompt" }
  | { type: "password-prompt" }
  | { type: "login-ok" }
  | { type: "login-incorrect" }
  | { type: "ok" }
  | { type: "error" }
  | { type: "not-recognized" }
  | { type: "release"; software: string }
  | { type: "other"; text: string };

/** Strips terminal escape sequences (`ESC [ ... letter`) and surrounding blanks. */
export function clean(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\0/g, "").trim();
}

export function classify(line: string): TerminalSignal {
  const t = clean(line);
  if (/^(\S+\s+)?login:$/i.test(t)) return { type: "login-prompt" };
  if (/^password:$/i.test(t)) return { type: "password-prompt" };
  if (/^\*r Login successful$/i.test(t)) return { type: "login-ok" };
  if (/^login incorrect$/i.test(t)) return { type: "login-incorrect" };
  if (t === "OK") return { type: "ok" };
  if (t === "ERROR") return { type: "error" };
  if (/^Command not recognized\.?$/i.test(t)) return { type: "not-recognized" };
  const rel = /^Cisco Codec Release (.+)$/.exec(t);
  if (rel) return { type: "release", software: rel[1]!.trim() };
  return { type: "other", text: t };
}

/** A prompt waiting in the unterminated text (`login: `, `Password: `), or null. */
export function promptIn(pending: string): "login" | "password" | null {
  const s = classify(pending).type;
  return s === "login-prompt" ? "login" : s === "password-prompt" ? "password" : null;
}
