/**
 * One xAPI session on the simulated codec (an SSH shell, the RS-232 console, a telnet connection):
 * the terminal login on RS-232 and telnet (`login:`, `Password:`, `*r Login successful`, `Login
 * incorrect`, part B), the welcome text (C2 test/data/welcome.txt), echo, terminal output mode until
 * `xpreferences outputmode json` and JSON after it (C2, C3), xStatus / xCommand / xFeedback with
 * `| resultId="..."`, and the feedback this session registered for (at most `maxFeedback`
 * expressions, C1). Lines end in `\n` on SSH (jsxapi matches a line `OK` exactly, C2) and `\r\n` on
 * RS-232 and telnet (C4). Faults (silent, slow, garbage) apply to everything the session prints.
 */
import { runCommand, parseLine } from "./commands.js";
import type { CiscoCodec, FeedbackSink } from "./model.js";
import { filter, select, terminalLines, type JObj } from "./tree.js";

export interface ShellOptions {
  codec: CiscoCodec;
  link: "ssh" | "serial" | "tcp";
  write(text: string): void;
  /** Ends the session (bye). */
  end(): void;
  users: Record<string, string>;
  /** SSH: the login was the SSH one. */
  loggedIn: boolean;
  maxFeedback: number;
  onRefusedLogin(): void;
}

/** What the garbage fault prints before a reply: NUL, a terminal escape, and half a document. */
export const GARBAGE = '\x00\x1b[?1034h#~{"Sta';

const TOP = new Set(["systemunit", "audio", "standby", "conference", "video", "sip", "h323", "call", "mediachannels", "peripherals"]);

export class CodecShell implements FeedbackSink {
  mode: "terminal" | "json" = "terminal";
  echo = true;
  state: "login" | "password" | "ready" | "booting";
  /** Registered expressions, as path words (`["Status","Call"]`). */
  readonly registrations: string[][] = [];
  readonly peripherals = new Set<string>();
  /** Every line received (tests; the password line is kept as `***`). */
  readonly received: string[] = [];
  private readonly eol: string;
  private held = "";
  private user = "";

  constructor(private readonly o: ShellOptions) {
    this.eol = o.link === "ssh" ? "\n" : "\r\n";
    this.state = o.loggedIn ? "ready" : "login";
    o.codec.sessions.add(this);
  }

  get codec(): CiscoCodec {
    return this.o.codec;
  }

  /** SSH: the text a codec prints when the shell opens. */
  welcome(): void {
    const c = this.codec.o;
    this.print([`Welcome to ${c.name}`, `Cisco Codec Release ${c.software}`, "SW Release Date: 2024-05-14", "*r Login successful", "", "OK", ""]);
  }

  prompt(): void {
    this.out(`${this.eol}login: `);
  }

  data(chunk: Buffer | string): void {
    if (this.codec.faults.silent || this.state === "booting") return; // a hung codec reads nothing either
    this.held += chunk.toString();
    let nl = this.held.indexOf("\n");
    while (nl >= 0) {
      const line = this.held.slice(0, nl).replace(/\r$/, "");
      this.held = this.held.slice(nl + 1);
      this.line(line);
      nl = this.held.indexOf("\n");
    }
    if (this.held.length > 65_536) this.held = "";
  }

  close(): void {
    this.codec.sessions.delete(this);
  }

  /** The codec reboots: this session (RS-232) is logged out and forgets its feedback. */
  reboot(): void {
    this.state = "booting";
    this.reset();
  }

  /** `bye` on the console: logged out, back at the prompt. */
  logout(): void {
    this.reset();
    this.state = "login";
    this.prompt();
  }

  /** Boot done: the console shows the login prompt. */
  booted(): void {
    this.state = "login";
    this.out(`${this.eol}Cisco Codec Release ${this.codec.o.software}${this.eol}`);
    this.prompt();
  }

  statusChanged(changed: JObj): void {
    if (this.state !== "ready") return;
    let doc: JObj | undefined;
    for (const r of this.registrations) {
      if (r[0]!.toLowerCase() !== "status") continue;
      const part = filter(changed, r.slice(1));
      if (part) doc = merge(doc ?? {}, part);
    }
    if (!doc) return;
    if (this.mode === "json") this.json({ Status: doc });
    else this.print([...terminalLines("*s", doc), "** end"]);
  }

  event(name: string, fields: JObj): void {
    if (this.state !== "ready") return;
    const wanted = this.registrations.some((r) => r[0]!.toLowerCase() === "event" && (r.length === 1 || r[1]!.toLowerCase() === name.toLowerCase()));
    if (!wanted) return;
    if (this.mode === "json") this.json({ Event: { [name]: fields } });
    else this.print([`*e ${name} ${terminalLines("", fields).map((l) => l.trim()).join(" ")}`, "** end"]);
  }

  // ---- internals ----

  private reset(): void {
    this.registrations.length = 0;
    this.peripherals.clear();
    this.mode = "terminal";
    this.echo = true;
    this.held = "";
  }

  private line(line: string): void {
    this.received.push(this.state === "password" ? "***" : line);
    if (this.state === "login") {
      if (line.trim() === "") return this.prompt();
      this.user = line.trim();
      this.out(`${line}${this.eol}Password: `); // the name is echoed, the password never
      this.state = "password";
      return;
    }
    if (this.state === "password") {
      this.out(this.eol);
      if (this.o.users[this.user] !== undefined && this.o.users[this.user] === line) {
        this.state = "ready";
        this.welcome();
      } else {
        this.o.onRefusedLogin();
        this.state = "booting"; // a getty pauses after a failure; nothing is read meanwhile
        this.print(["Login incorrect"]);
        this.codec.after(300, () => {
          if (this.state !== "booting") return;
          this.state = "login";
          this.prompt();
        });
      }
      return;
    }
    if (this.echo) this.out(`${line}${this.eol}`);
    this.command(line.trim());
  }

  private command(line: string): void {
    if (line === "") return;
    const lower = line.toLowerCase();
    if (/^echo\s+(on|off)$/.test(lower)) {
      this.echo = lower.endsWith("on");
      return this.print(["OK"]);
    }
    const pref = /^xpreferences\s+outputmode\s+(\w+)$/.exec(lower);
    if (pref) {
      // Nothing is printed: a client switches its parser at once (jsxapi would choke on an `OK`).
      this.mode = pref[1] === "json" ? "json" : "terminal";
      return;
    }
    if (lower === "bye") return this.o.end();
    const parsed = parseLine(line);
    const first = parsed?.words[0]?.toLowerCase();
    if (!parsed || !first || !["xcommand", "xstatus", "xfeedback"].includes(first)) return this.print(["Command not recognized."]);
    const rest = parsed.words.slice(1);
    if (first === "xstatus") return this.status(rest, parsed.resultId);
    if (first === "xfeedback") return this.feedback(rest, parsed.resultId);
    const outcome = runCommand(this.codec, rest, parsed.args, this);
    if (!outcome) {
      return this.result(parsed.resultId, { CommandResponse: { Result: { status: "Error", Reason: { Value: "Unknown command" } }, XPath: { Value: `/${rest.join("/")}` } } }, ["*r Result (status=Error):", "    Reason: Unknown command", "** end"], false);
    }
    const fields = terminalLines("", outcome.fields).map((l) => `  ${l.trim()}`);
    this.result(parsed.resultId, { CommandResponse: { [outcome.name]: { status: outcome.status, ...outcome.fields } } }, [`*r ${outcome.name} (status=${outcome.status}):`, ...fields], outcome.status === "OK");
  }

  private status(path: string[], resultId: string | undefined): void {
    const top = path[0]?.toLowerCase();
    const found = path.length === 0 ? this.codec.status() : top !== undefined && TOP.has(top) ? (select(this.codec.status(), path) ?? {}) : undefined;
    if (!found) {
      const err = { CommandResponse: { Status: { status: "Error", Reason: { Value: "No match on address expression." }, XPath: { Value: `Status/${path.join("/")}` } } } };
      return this.result(resultId, err, ["*s No match on address expression."], false);
    }
    this.result(resultId, { Status: found }, terminalLines("*s", found), true);
  }

  private feedback(words: string[], resultId: string | undefined): void {
    const verb = words[0]?.toLowerCase();
    const expr = (words[1] ?? "").replace(/\[(\d+)\]/g, "/$1").split("/").filter((w) => w !== "");
    if (verb === "list") return this.result(resultId, {}, [...this.registrations.map((r) => `/${r.join("/")}`), "** end"], true);
    const known = expr.length > 0 && ["status", "event", "configuration"].includes(expr[0]!.toLowerCase());
    if ((verb !== "register" && verb !== "deregister") || !known) {
      return this.result(resultId, { CommandResponse: { FeedbackResult: { status: "Error", Reason: { Value: "No match on address expression" } } } }, ["** end"], false);
    }
    const at = this.registrations.findIndex((r) => r.join("/").toLowerCase() === expr.join("/").toLowerCase());
    if (verb === "deregister") {
      if (at >= 0) this.registrations.splice(at, 1);
    } else if (at < 0) {
      if (this.registrations.length >= this.o.maxFeedback) {
        const reason = `Maximum number of feedback expressions (${this.o.maxFeedback}) reached`;
        return this.result(resultId, { CommandResponse: { FeedbackRegisterResult: { status: "Error", Reason: { Value: reason } } } }, ["** end"], false);
      }
      this.registrations.push(expr);
    }
    this.result(resultId, {}, ["** end"], true);
  }

  /** A reply: JSON with the ResultId, or terminal lines with `** resultId:`, `** end` and OK/ERROR. */
  private result(resultId: string | undefined, doc: Record<string, unknown>, lines: string[], ok: boolean): void {
    if (this.mode === "json") return this.json(resultId === undefined ? doc : { ...doc, ResultId: resultId });
    const end = lines.at(-1) === "** end" ? lines.slice(0, -1) : lines;
    this.print([...end, ...(resultId === undefined ? [] : [`** resultId: "${resultId}"`]), "** end", "", ok ? "OK" : "ERROR"]);
  }

  private json(doc: Record<string, unknown>): void {
    this.out(JSON.stringify(doc, null, 2).replace(/\n/g, this.eol) + this.eol);
  }

  private print(lines: string[]): void {
    this.out(lines.map((l) => l + this.eol).join(""));
  }

  private out(text: string): void {
    const f = this.codec.faults;
    if (f.silent) return;
    const payload = f.garbage ? `${GARBAGE}${this.eol}${text}` : text;
    if (f.slowMs > 0) this.codec.after(f.slowMs, () => this.o.write(payload));
    else this.o.write(payload);
  }
}

/** Deep merge of two feedback parts (lists by id). */
function merge(a: JObj, b: JObj): JObj {
  const out: JObj = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    if (Array.isArray(cur) && Array.isArray(v)) {
      const list = [...cur];
      for (const e of v) {
        const i = list.findIndex((x) => x["id"] === e["id"]);
        if (i >= 0) list[i] = merge(list[i]!, e);
        else list.push(e);
      }
      out[k] = list;
    } else if (cur && typeof cur === "object" && !Array.isArray(cur) && v && typeof v === "object" && !Array.isArray(v) && !("Value" in v)) {
      out[k] = merge(cur as JObj, v as JObj);
    } else out[k] = v;
  }
  return out;
}
