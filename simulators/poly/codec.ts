/**
 * The simulated Poly Group Series codec: its API sessions (one per telnet connection, SSH shell, or
 * the RS-232 port), the login, what it prints, and the province's MCU as its far side. It answers
 * as PROTOCOLS-CONFERENCE-NETWORK.md part A writes the transcripts, written out here by hand (it
 * shares no code with the driver, so a driver bug cannot hide behind it):
 *
 *   `Password:` with no line end; `password failed`; the banner `Hi, my name is : <name>` ...
 *   `SNMP Enabled: True`; every line ending `\r\r\n`; over SSH a `-> ` prompt and the command
 *   echoed after it (P1's sample `-> status`); a NUL byte when it reboots, then the prompt again.
 *
 * Registrations (`notify <type>`, `<topic> register`) belong to the session that made them: pushes
 * go to each session that registered for them, and only to those. A reboot forgets them (unless
 * `registrationsSurviveReboot`, P4's "written to flash"). Commands are in commands.ts.
 */
import type { Clock, TimerHandle } from "../../drivers/types.js";
import type { McuCall, McuEvent, SimulatedMcu } from "../codec-mcu/mcu.js";
import type { CommonFaults } from "../types.js";
import { runCommand } from "./commands.js";
import { MediaCounters } from "./media.js";

/** Every line the codec prints ends so (P1, P3). */
export const EOL = "\r\r\n";
export const SSH_PROMPT = "-> ";

export interface CodecSettings {
  name: string;
  model: string;
  software: string;
  serialNumber: string;
  /** "" : no password (the banner comes at once). */
  password: string;
  askUsername: boolean;
  username: string;
  bootMs: number;
  /** Wrong passwords before a telnet connection is closed ([A]). */
  maxLoginAttempts: number;
  defaultRate: number;
  defaultProtocol: "sip" | "h323";
  gatekeeperIp: string;
  sipRegistrar: string;
  registrationsSurviveReboot: boolean;
  garbage: string;
}

export type SessionKind = "tcp" | "serial" | "ssh";

/** How a session reaches its client. */
export interface SessionLink {
  readonly kind: SessionKind;
  write(text: string): void;
  /** Ends the connection (telnet, SSH); the serial port cannot be ended. */
  close(): void;
}

/** One API session, with its own registrations. */
export class ApiSession {
  loggedIn = false;
  awaiting: "username" | "password" | null = null;
  user = "";
  failures = 0;
  readonly notify = new Set<string>();
  readonly registered = new Set<string>();
  private held = "";
  private afterCr = false;

  constructor(
    readonly codec: PolyCodec,
    readonly link: SessionLink,
  ) {}

  /** Bytes from the client: lines end with CR, LF or CRLF. */
  input(chunk: Buffer): void {
    for (const ch of chunk.toString("latin1")) {
      if (ch === "\n" && this.afterCr) {
        this.afterCr = false;
        continue;
      }
      this.afterCr = ch === "\r";
      if (ch === "\r" || ch === "\n") {
        const text = this.held;
        this.held = "";
        this.codec.line(this, text);
      } else if (this.held.length < 65_536) {
        this.held += ch;
      }
    }
  }

  /** The cable came out: a half-typed line is gone. */
  dropInput(): void {
    this.held = "";
    this.afterCr = false;
  }

  /** Lines, each ending `\r\r\n`; over SSH the prompt follows a reply. */
  print(lines: string[], reply = false): void {
    const text = lines.map((l) => `${l}${EOL}`).join("") + (reply && this.link.kind === "ssh" ? SSH_PROMPT : "");
    if (text !== "") this.link.write(text);
  }
}

export class PolyCodec {
  readonly sessions = new Set<ApiSession>();
  readonly faults: CommonFaults = { silent: false, garbage: false, slowMs: 0 };
  /** Commands received from logged-in sessions (never a password), for tests. */
  readonly received: { at: number; kind: SessionKind; text: string }[] = [];
  failedLogins = 0;
  logins = 0;
  booting = false;
  password: string;
  maxSessions: number;
  mic = false;
  volume = 25;
  camera = 1;
  content: { active: boolean; source?: number } = { active: false };
  asleep = false;
  readonly media: MediaCounters;
  private readonly timers = new Set<TimerHandle>();
  private readonly offMcu: () => void;

  constructor(
    readonly clock: Clock,
    readonly mcu: SimulatedMcu,
    readonly settings: CodecSettings,
    maxSessions: number,
  ) {
    this.password = settings.password;
    this.maxSessions = maxSessions;
    this.media = new MediaCounters(clock, mcu);
    this.offMcu = mcu.on((e) => this.onMcu(e));
  }

  openSession(link: SessionLink): ApiSession {
    const s = new ApiSession(this, link);
    this.sessions.add(s);
    return s;
  }

  closeSession(s: ApiSession): void {
    this.sessions.delete(s);
  }

  /** A new connection: the prompt, or the banner when no password is set (or SSH, which logged in). */
  greet(s: ApiSession): void {
    if (this.booting || this.faults.silent) return;
    if (s.link.kind === "ssh" || this.password === "") {
      s.loggedIn = true;
      s.print(this.banner(), true);
      return;
    }
    this.prompt(s);
  }

  /** One line typed on a session. */
  line(s: ApiSession, text: string): void {
    if (this.booting) return;
    if (!s.loggedIn) return this.login(s, text);
    if (s.link.kind === "ssh" && !this.faults.silent) s.link.write(`${text}\r\n`); // the shell echoes what is typed
    const command = text.trim();
    if (command === "") {
      if (s.link.kind === "ssh" && !this.faults.silent) s.link.write(SSH_PROMPT);
      return;
    }
    this.received.push({ at: this.clock.now(), kind: s.link.kind, text: command });
    if (this.faults.silent) return;
    if (command === "exit") return this.logout(s);
    const reply = runCommand(this, s, command);
    if (this.faults.garbage) reply.unshift(this.settings.garbage);
    this.later(this.faults.slowMs, () => s.print(reply, true));
  }

  banner(): string[] {
    const st = this.settings;
    return [
      `Hi, my name is : ${st.name}`,
      `Model: ${st.model}`,
      `Serial Number: ${st.serialNumber}`,
      `Software Version: ${st.software}`,
      "Build Information: sim",
      `Time In Last Call: 0:00:00`,
      `Total Time In Calls: 0:00:00`,
      `Total Calls: 0`,
      "SNMP Enabled: True",
    ];
  }

  /** Pushes `lines` to every logged-in session registered for `topic` (a notify type or a register topic). */
  broadcast(topic: { notify?: string; register?: string }, lines: string[]): void {
    if (this.booting || this.faults.silent) return;
    for (const s of this.sessions) {
      if (!s.loggedIn) continue;
      if ((topic.notify !== undefined && s.notify.has(topic.notify)) || (topic.register !== undefined && s.registered.has(topic.register))) s.print(lines);
    }
  }

  setMic(on: boolean): void {
    if (this.mic === on) return;
    this.mic = on;
    this.broadcast({ register: "mute" }, [`mute near ${on ? "on" : "off"}`]);
    this.broadcast({ notify: "mutestatus" }, [`notification:mutestatus:near:0:::${on ? "muted" : "notmuted"}`]);
  }

  setVolume(level: number): void {
    if (this.volume === level) return;
    this.volume = level;
    this.broadcast({ register: "volume" }, [`volume ${level}`]);
  }

  setAsleep(on: boolean): void {
    if (this.asleep === on) return;
    this.asleep = on;
    this.broadcast({ register: "sleep" }, [on ? "listen going to sleep" : "listen waking up"]);
  }

  /** The far end starts or stops sending content. */
  farContent(on: boolean): void {
    this.broadcast({ register: "vcbutton" }, [`Control event: vcbutton ${on ? "farplay" : "farstop"}`]);
  }

  /**
   * Reboots: NUL on every session, every session logged out and (unless they survive) its
   * registrations gone, every call dropped; nothing answered for `ms`; then each session is
   * greeted again (the prompt, or the banner).
   */
  reboot(ms = this.settings.bootMs): void {
    for (const s of this.sessions) {
      s.link.write("\x00");
      s.loggedIn = false;
      s.awaiting = null;
      s.failures = 0;
      if (!this.settings.registrationsSurviveReboot) {
        s.notify.clear();
        s.registered.clear();
      }
    }
    this.booting = true;
    for (const c of this.mcu.active()) this.mcu.hangup(c.id);
    this.content = { active: false };
    this.asleep = false;
    this.later(ms, () => {
      this.booting = false;
      for (const s of this.sessions) this.greet(s);
    });
  }

  close(): void {
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    this.offMcu();
    this.sessions.clear();
  }

  private prompt(s: ApiSession): void {
    s.awaiting = this.settings.askUsername && s.awaiting !== "password" ? "username" : "password";
    s.link.write(s.awaiting === "username" ? "Username:" : "Password:");
  }

  private login(s: ApiSession, text: string): void {
    if (this.faults.silent) return;
    if (this.password === "") return this.greet(s);
    if (s.awaiting === "username") {
      s.user = text.trim();
      s.awaiting = "password";
      s.link.write("Password:");
      return;
    }
    if (text === "") {
      s.awaiting = null;
      return this.prompt(s); // a bare line end shows the prompt again
    }
    const userOk = !this.settings.askUsername || s.user === this.settings.username;
    if (text === this.password && userOk) {
      s.loggedIn = true;
      s.awaiting = null;
      s.failures = 0;
      this.logins++;
      s.print(this.banner(), true);
      return;
    }
    this.failedLogins++;
    s.failures++;
    s.print(["password failed"]);
    s.awaiting = null;
    if (s.link.kind === "tcp" && s.failures >= this.settings.maxLoginAttempts) return s.link.close();
    this.prompt(s);
  }

  private logout(s: ApiSession): void {
    s.loggedIn = false;
    if (s.link.kind === "serial") return this.greet(s);
    s.link.close();
  }

  /** A call's progress, pushed as callstatus / linestatus notifications and callstate lines. */
  private onMcu(e: McuEvent): void {
    if (e.type !== "call") return;
    const c = e.call;
    this.media.track(c);
    const conn = c.state === "ended" ? "disconnected" : c.state;
    const cause = c.state === "ended" ? causeCode(c) : 0;
    this.broadcast({ notify: "callstatus" }, [`notification:callstatus:${c.direction}:${c.id}:${c.name}:${c.number}:${conn}:${c.rateKbps}:${cause}:videocall`]);
    this.broadcast({ notify: "linestatus" }, [`notification:linestatus:${c.direction}:${c.id}:0:0:${conn}`]);
    this.broadcast({ register: "callstate" }, callstateLines(c));
  }

  private later(ms: number, fn: () => void): void {
    if (ms <= 0) return fn();
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}

/** The MCU's end as a Q.850 cause value ([A]: the API's `<causecode>`; the values are the ITU's). */
export function causeCode(c: McuCall): number {
  switch (c.endCause) {
    case "busy":
      return 17;
    case "declined":
      return 21;
    case "not-found":
      return 1;
    case "not-registered":
      return 3;
    case "network failure":
      return 38;
    default:
      return 16; // normal clearing: either end hung up
  }
}

function callstateLines(c: McuCall): string[] {
  switch (c.state) {
    case "ringing":
      return c.direction === "incoming"
        ? [`incoming: call[${c.id}] name[${c.name}]`, `cs: call[${c.id}] chan[0] dialstr[${c.number}] state[RINGING]`]
        : [`cs: call[${c.id}] chan[0] dialstr[${c.number}] state[RINGING]`];
    case "connected":
      return [`cs: call[${c.id}] chan[0] dialstr[${c.number}] state[CONNECTED]`, `active: call[${c.id}] speed[${c.rateKbps}]`];
    case "ended":
      return [`cleared: call[${c.id}]`, `ended: call[${c.id}]`];
  }
}
