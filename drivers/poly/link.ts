/**
 * The login side of a Poly API link, from a fresh transport to a session that takes commands
 * (PROTOCOLS-CONFERENCE-NETWORK.md, part A, "Login"):
 *
 * - `Username:` (some units, P3) is answered with the user name; `Password:` (sent without a line
 *   end) with the password, read afresh at every login and written straight to the transport, never
 *   through anything that logs;
 * - the banner `Hi, my name is : <name>` ... `SNMP Enabled: <..>` means logged in (P1, P5): ready;
 * - `password failed` after our password: `onAuthFailed`, and no password is sent again before
 *   `authRetryMs` has passed, whatever the codec prompts meanwhile (a lockout is never provoked);
 *   a `password failed` that follows no password of ours (a wake-up line met the prompt) is ignored;
 * - a fresh link that says nothing for `promptWaitMs` (an RS-232 port whose prompt was printed long
 *   ago, a session already logged in) is woken [A]: first a bare line end, which makes a waiting
 *   codec prompt again; then `whoami`, whose answer is the banner; and so on while silent;
 * - a NUL byte means the codec is rebooting (P5), a prompt while ready that the session was logged
 *   out: `onLoggedOut`, then the login starts again; a banner while ready (a reboot whose NUL was
 *   lost, no password set) is `onReady` again, so registrations are made again.
 */
import type { Clock, TimerHandle } from "../types.js";
import type { FrameToken } from "./framer.js";
import type { PolyLine } from "./lines.js";

export interface Banner {
  name: string;
  fields: Record<string, string>;
}

export interface LinkHandlers {
  writeRaw(text: string): Promise<void>;
  password(): Promise<string | undefined>;
  onReady(banner: Banner, again: boolean): void;
  onLoggedOut(reason: "reboot" | "prompt"): void;
  onAuthFailed(message: string): void;
  log(level: "debug" | "info" | "warn", msg: string, data?: Record<string, unknown>): void;
}

export interface LinkOptions {
  clock: Clock;
  username: string;
  lineEnding: string;
  promptWaitMs: number;
  authRetryMs: number;
}

type State = "down" | "waiting" | "login" | "ready";

export class PolyLink {
  private state: State = "down";
  private banner: Banner | null = null;
  private passwordSent = false;
  private blockedUntil = -Infinity;
  private blockTimer: TimerHandle | undefined;
  /** A prompt that came while blocked, answered when the block ends. */
  private heldPrompt: "password" | "username" | null = null;
  private wakeTimer: TimerHandle | undefined;
  private nextWake: "line" | "whoami" = "line";
  private readonly waiters = new Set<{ done: (ok: boolean) => void; timer: TimerHandle }>();

  constructor(
    private readonly o: LinkOptions,
    private readonly h: LinkHandlers,
  ) {}

  get ready(): boolean {
    return this.state === "ready";
  }

  /** Refusing passwords until this time after `password failed` (clock ms). */
  get authBlocked(): boolean {
    return this.o.clock.now() < this.blockedUntil;
  }

  /** The transport opened: a new session starts (a block from a refused password stays). */
  opened(): void {
    this.state = "waiting";
    this.banner = null;
    this.passwordSent = false;
    this.heldPrompt = null;
    this.nextWake = "line";
    this.armWake();
  }

  /** The transport left open. */
  closed(): void {
    this.state = "down";
    this.banner = null;
    this.clearWake();
  }

  /** Stop: nothing may stay scheduled, every waiter is released. */
  dispose(): void {
    this.closed();
    if (this.blockTimer !== undefined) this.o.clock.clearTimeout(this.blockTimer);
    this.blockTimer = undefined;
    this.releaseWaiters(false);
  }

  /** Resolves true once ready; false when `ms` pass first, a password is refused, or the driver stops. */
  whenReady(ms: number): Promise<boolean> {
    if (this.state === "ready") return Promise.resolve(true);
    if (ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const w = {
        done: (ok: boolean) => resolve(ok),
        timer: this.o.clock.setTimeout(() => {
          this.waiters.delete(w);
          resolve(false);
        }, ms),
      };
      this.waiters.add(w);
    });
  }

  /** A prompt or a NUL from the framer. */
  token(t: FrameToken): void {
    if (this.state === "down") return;
    this.armWake();
    if (t.type === "nul") {
      this.banner = null;
      if (this.state === "ready" || this.state === "login") this.loggedOut("reboot");
      return;
    }
    if (t.type !== "prompt") return;
    if (this.state === "ready") this.loggedOut("prompt");
    void this.answer(t.which);
  }

  /**
   * A line no command claimed. Returns true when the link used it (a banner line, a refused
   * password); the driver handles the rest.
   */
  line(l: PolyLine): boolean {
    if (this.state === "down") return false;
    this.armWake();
    if (l.kind === "passwordFailed") {
      if (!this.passwordSent) {
        this.h.log("debug", "password failed after a wake-up line, not after our password: ignored");
        return true;
      }
      this.passwordSent = false;
      this.blockedUntil = this.o.clock.now() + this.o.authRetryMs;
      this.state = "waiting";
      this.h.onAuthFailed(`the codec answered \`password failed\`; the next attempt in ${Math.round(this.o.authRetryMs / 1000)} s`);
      this.releaseWaiters(false);
      this.armBlockEnd();
      return true;
    }
    if (l.kind === "bannerStart") {
      this.banner = { name: l.name, fields: {} };
      return true;
    }
    if (this.banner && l.kind === "field") {
      this.banner.fields[l.key] = l.value;
      if (/^SNMP Enabled$/i.test(l.key)) this.bannerDone();
      return true;
    }
    if (this.banner) this.bannerDone(); // a banner without its SNMP line ends at the first other line
    return l.kind === "other" && l.text === "whoami"; // an SSH shell's echo of our wake-up
  }

  private bannerDone(): void {
    const b = this.banner!;
    this.banner = null;
    const again = this.state === "ready";
    this.state = "ready";
    this.passwordSent = false;
    this.clearWake();
    this.releaseWaiters(true);
    this.h.onReady(b, again);
  }

  private loggedOut(reason: "reboot" | "prompt"): void {
    this.state = "waiting";
    this.passwordSent = false;
    this.h.onLoggedOut(reason);
  }

  private async answer(which: "password" | "username"): Promise<void> {
    if (this.authBlocked) {
      this.heldPrompt = which;
      return;
    }
    this.state = "login";
    if (which === "username") {
      await this.write(`${this.o.username}${this.o.lineEnding}`, "user name");
      return;
    }
    let password: string | undefined;
    try {
      password = await this.h.password();
    } catch (e) {
      this.refuseLocally((e as Error).message);
      return;
    }
    if (password === undefined) {
      this.refuseLocally("the codec asks for a password and neither options.password nor options.passwordFile is set");
      return;
    }
    if (this.state !== "login") return; // the link went down while the file was read
    this.passwordSent = true;
    await this.write(`${password}${this.o.lineEnding}`, "password");
  }

  /** No password to give: reported like a refused one, and looked at again after authRetryMs. */
  private refuseLocally(message: string): void {
    this.state = this.state === "down" ? "down" : "waiting";
    this.blockedUntil = this.o.clock.now() + this.o.authRetryMs;
    this.heldPrompt = "password";
    this.h.onAuthFailed(message);
    this.releaseWaiters(false);
    this.armBlockEnd();
  }

  /** Waiters learn at once: logged in, or not (a refused password will not turn into a login soon). */
  private releaseWaiters(ok: boolean): void {
    for (const w of this.waiters) {
      this.o.clock.clearTimeout(w.timer);
      w.done(ok);
    }
    this.waiters.clear();
  }

  private armBlockEnd(): void {
    if (this.blockTimer !== undefined) this.o.clock.clearTimeout(this.blockTimer);
    this.blockTimer = this.o.clock.setTimeout(() => {
      this.blockTimer = undefined;
      this.blockedUntil = -Infinity; // the timer decides: a clock read may still be a millisecond short
      if (this.state === "down" || this.state === "ready") return;
      const held = this.heldPrompt;
      this.heldPrompt = null;
      if (held) void this.answer(held);
      else this.armWake(0);
    }, Math.max(0, this.blockedUntil - this.o.clock.now()));
  }

  /** (Re)starts the silence timer of a link not yet ready. */
  private armWake(ms = this.o.promptWaitMs): void {
    this.clearWake();
    if (this.state === "down" || this.state === "ready") return;
    this.wakeTimer = this.o.clock.setTimeout(() => {
      this.wakeTimer = undefined;
      if (this.state === "down" || this.state === "ready" || this.authBlocked) return;
      const what = this.nextWake;
      this.nextWake = what === "line" ? "whoami" : "line";
      this.h.log("debug", `nothing heard for ${this.o.promptWaitMs} ms: waking the codec with ${what === "line" ? "a bare line end" : "whoami"}`);
      void this.write(what === "line" ? this.o.lineEnding : `whoami${this.o.lineEnding}`, "wake-up");
      this.armWake();
    }, ms);
  }

  private clearWake(): void {
    if (this.wakeTimer !== undefined) this.o.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
  }

  private async write(text: string, what: string): Promise<void> {
    try {
      await this.h.writeRaw(text);
    } catch (e) {
      // A dead link shows in the transport's status; the text itself is never logged (it may be the password).
      this.h.log("debug", `could not write the ${what}`, { err: (e as Error).message });
    }
  }
}
