/**
 * One xAPI session on an open link: the login (RS-232 and telnet; SSH logs in below us), the set-up
 * into JSON mode, and requests correlated by `resultId`.
 *
 *   ssh:      wait for the welcome's `OK` -> `echo off` -> `OK` -> `xpreferences outputmode json` -> ready
 *   console:  `\r\n` -> `login:` -> user -> `Password:` -> password -> `*r Login successful` ... `OK` -> (as ssh)
 *             no prompt within loginPromptMs: the console session outlived the cable and is still
 *             logged in [A] -> `echo off` straight away
 *
 * Every step and every request has a deadline. One request is on the wire at a time (a `Command not
 * recognized.` carries no id, so it can only be told apart this way); replies whose id is not the
 * current one (late, after a timeout) are dropped. A `login:` prompt while ready means the codec
 * logged us out (an RS-232 codec rebooting): the session logs in again and says so.
 */
import { abandon, watchAbort } from "../abort.js";
import type { Clock, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import { ECHO_OFF, OUTPUT_JSON } from "./commands.js";
import { XapiFramer } from "./frames.js";
import { interpret, type ResultBody, type XapiMessage } from "./replies.js";
import { TelnetFilter } from "../telnet.js";
import { classify, promptIn } from "./terminal.js";

export type SessionState = "down" | "login" | "auth-wait" | "welcome" | "echo" | "ready";

export interface SessionHandlers {
  /** JSON mode is on: register feedback and read everything. */
  onReady(): void;
  /** A console login was refused (`Login incorrect` after our password). */
  onAuthFailed(): void;
  /** A `login:` prompt while ready: the codec logged us out (reboot on RS-232). */
  onLoggedOut(): void;
  /** A set-up step went unanswered: the link is dead or the codec hung. */
  onStall(step: string): void;
  onFeedback(msg: Extract<XapiMessage, { kind: "feedback" }>): void;
  onSoftware(version: string): void;
  /** Input that is not for anyone: garbled documents, late replies, stray lines (counted, logged). */
  onNoise(kind: "garbled" | "late" | "dropped" | "ignored", detail: string): void;
}

export interface SessionOptions {
  clock: Clock;
  write(bytes: Buffer): Promise<void>;
  handlers: SessionHandlers;
  timeoutMs: number;
  loginPromptMs: number;
  authRetryMs: number;
  maxFrameChars: number;
  /** Console login credentials, asked at each login (a rotated password file is read again). */
  credentials(): Promise<{ username: string; password: string | undefined }>;
}

interface Pending {
  id: string;
  line: string;
  timeoutMs: number;
  resolve(body: ResultBody): void;
  reject(err: DeviceError): void;
  timer?: TimerHandle;
  detachAbort?: () => void;
}

export class XapiSession {
  state: SessionState = "down";
  private framer: XapiFramer;
  private telnet: TelnetFilter | undefined;
  private stepTimer: TimerHandle | undefined;
  private readonly queue: Pending[] = [];
  private current: Pending | null = null;
  private seq = 0;
  private sentUser = false;
  private sentPassword = false;
  private console = false;
  private nudged = false;
  private probed = false;

  constructor(private readonly o: SessionOptions) {
    this.framer = new XapiFramer(o.maxFrameChars);
  }

  get ready(): boolean {
    return this.state === "ready";
  }

  /** The link opened. `login`: answer the console's prompts; `telnet`: refuse its options too. */
  linkUp(opts: { login: boolean; telnet: boolean }): void {
    this.framer.reset();
    this.telnet = opts.telnet ? new TelnetFilter() : undefined;
    this.console = opts.login;
    this.nudged = false;
    this.probed = false;
    this.sentUser = false;
    this.sentPassword = false;
    // Telnet shows `login:` by itself; a console shows it only when asked (a carriage return).
    if (opts.login && !opts.telnet) this.nudge();
    else if (opts.login) this.step("login", this.o.loginPromptMs, "");
    else this.step("welcome", this.o.timeoutMs, "no welcome text with OK after the SSH login");
  }

  linkDown(err: DeviceError): void {
    this.state = "down";
    this.clearStep();
    this.framer.reset();
    this.failAll(err);
  }

  dispose(err: DeviceError): void {
    this.linkDown(err);
  }

  receive(chunk: Buffer): void {
    let data = chunk;
    if (this.telnet) {
      const r = this.telnet.push(chunk);
      if (r.reply) this.o.write(r.reply).catch(() => undefined); // a dead link shows in transport status
      data = r.data;
    }
    for (const f of this.framer.push(data)) {
      if (f.type === "json") this.onDocument(f.value);
      else if (f.type === "line") this.onLine(f.text);
      else if (f.type === "garbled") this.o.handlers.onNoise("garbled", `${f.reason}: ${f.raw.slice(0, 80)}`);
      else this.o.handlers.onNoise("dropped", `${f.chars} characters`);
    }
    const prompt = promptIn(this.framer.pending);
    if (prompt) {
      this.framer.consumePending();
      this.onPrompt(prompt);
    }
  }

  /** Sends `build(resultId)` and resolves with its reply; rejects `timeout`, `not_connected`, `device_error`. */
  request(build: (resultId: string) => string, timeoutMs: number, signal?: AbortSignal): Promise<ResultBody> {
    if (!this.ready) return Promise.reject(new DeviceError("not_connected", `the xAPI session is not ready (${this.state})`));
    return new Promise<ResultBody>((resolve, reject) => {
      const id = `rg${++this.seq}`;
      const p: Pending = { id, line: build(id), timeoutMs, resolve, reject };
      if (!watchAbort(p, signal, (err) => abandon(this.queue, p, err))) return;
      this.queue.push(p);
      this.pump();
    });
  }

  // ---- set-up ----

  private nudge(): void {
    this.nudged = true;
    this.sentUser = false;
    this.sentPassword = false;
    this.send("\r\n");
    this.step("login", this.o.loginPromptMs, "");
  }

  private step(state: SessionState, ms: number, stall: string): void {
    this.clearStep();
    this.state = state;
    this.stepTimer = this.o.clock.setTimeout(() => {
      this.stepTimer = undefined;
      if (this.state === "login") {
        if (!this.nudged) return this.nudge();
        // No prompt: the console session is still logged in (it outlived the cable) [A].
        this.echoOff();
        return;
      }
      if (this.state === "auth-wait") return this.nudge();
      if (this.state === "welcome" && !this.probed) {
        // The welcome may have been printed before we listened: `echo off` is answered OK either way.
        this.probed = true;
        return this.echoOff();
      }
      this.o.handlers.onStall(stall);
    }, ms);
  }

  private clearStep(): void {
    if (this.stepTimer !== undefined) this.o.clock.clearTimeout(this.stepTimer);
    this.stepTimer = undefined;
  }

  private echoOff(): void {
    this.send(`${ECHO_OFF}\r\n`);
    this.step("echo", this.o.timeoutMs, "no OK to `echo off`");
  }

  private onPrompt(prompt: "login" | "password"): void {
    if (this.state === "auth-wait" || this.state === "down") return;
    if (prompt === "login") {
      if (this.state === "ready") {
        this.failAll(new DeviceError("not_connected", "the codec logged the session out"));
        this.framer.json = false;
        this.o.handlers.onLoggedOut();
      }
      // A second prompt before our name was answered (the one we asked for and the one already
      // shown) must not be answered twice: the second name would be taken for the password.
      if (this.state === "login" && this.sentUser && !this.sentPassword) return;
      this.sentPassword = false;
      this.sentUser = true;
      this.clearStep();
      this.state = "login";
      void this.o.credentials().then(
        (c) => {
          if (this.state !== "login") return;
          this.send(`${c.username}\r\n`);
          this.step("login", this.o.timeoutMs, "");
        },
        (e: unknown) => this.o.handlers.onStall(`cannot read the console password: ${(e as Error).message}`),
      );
      return;
    }
    if (this.state !== "login") return;
    void this.o.credentials().then((c) => {
      if (this.state !== "login") return;
      this.sentPassword = true;
      this.send(`${c.password ?? ""}\r\n`); // never logged
      this.step("welcome", this.o.timeoutMs, "no answer to the console login");
    });
  }

  private onLine(line: string): void {
    const s = classify(line);
    switch (s.type) {
      case "login-prompt":
        return this.onPrompt("login");
      case "password-prompt":
        return this.onPrompt("password");
      case "release":
        return this.o.handlers.onSoftware(s.software);
      case "login-incorrect":
        if (this.console && this.sentPassword) {
          this.sentPassword = false;
          this.sentUser = false;
          this.o.handlers.onAuthFailed();
          this.step("auth-wait", this.o.authRetryMs, "");
        }
        return;
      case "login-ok":
        if (this.state === "login" || this.state === "welcome") this.step("welcome", this.o.timeoutMs, "no OK after `*r Login successful`");
        return;
      case "ok":
        if (this.state === "welcome") return this.echoOff();
        if (this.state === "echo") return this.toJson();
        return;
      case "not-recognized":
      case "error":
        if (this.current) return this.settle(this.current, new DeviceError("device_error", `the codec refused \`${this.current.line}\`: ${line.trim()}`));
        return this.o.handlers.onNoise("ignored", line);
      default:
        if (s.type === "other" && s.text !== "") this.o.handlers.onNoise("ignored", s.text);
    }
  }

  private toJson(): void {
    this.send(`${OUTPUT_JSON}\r\n`);
    this.framer.json = true; // nothing is printed in reply: the next output is JSON
    this.clearStep();
    this.state = "ready";
    this.o.handlers.onReady();
  }

  // ---- requests ----

  private onDocument(doc: unknown): void {
    const msg = interpret(doc);
    if (msg.kind === "feedback") return this.o.handlers.onFeedback(msg);
    if (msg.kind === "unknown") return this.o.handlers.onNoise("ignored", msg.reason);
    const p = this.current;
    if (!p || p.id !== msg.resultId) return this.o.handlers.onNoise("late", `reply ${msg.resultId} with nothing waiting for it`);
    this.settle(p, undefined, msg.body);
  }

  private pump(): void {
    if (this.current || !this.ready) return;
    const p = this.queue.shift();
    if (!p) return;
    this.current = p;
    p.timer = this.o.clock.setTimeout(() => {
      if (this.current !== p) return;
      this.settle(p, new DeviceError("timeout", `no answer to \`${p.line}\` within ${p.timeoutMs} ms`, { command: p.line }));
    }, p.timeoutMs);
    this.o.write(Buffer.from(`${p.line}\r\n`, "utf8")).catch((e: unknown) => {
      if (this.current === p) this.settle(p, new DeviceError("not_connected", `write failed: ${(e as Error).message}`));
    });
  }

  private settle(p: Pending, err: DeviceError | undefined, body?: ResultBody): void {
    if (p.timer !== undefined) this.o.clock.clearTimeout(p.timer);
    p.detachAbort?.();
    if (this.current === p) this.current = null;
    if (err) p.reject(err);
    else p.resolve(body!);
    this.pump();
  }

  private failAll(err: DeviceError): void {
    const all = [...(this.current ? [this.current] : []), ...this.queue.splice(0)];
    this.current = null;
    for (const p of all) {
      if (p.timer !== undefined) this.o.clock.clearTimeout(p.timer);
      p.detachAbort?.();
      p.reject(err);
    }
  }

  private send(text: string): void {
    this.o.write(Buffer.from(text, "utf8")).catch(() => undefined); // a dead link shows in transport status
  }
}
