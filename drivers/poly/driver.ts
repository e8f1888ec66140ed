/**
 * The Poly Group Series / HDX codec driver (kind `codec`): the command-line API over telnet (TCP,
 * port 24 by default on the codec), SSH, or RS-232.
 *
 * Wiring: transport bytes -> (telnet filter on tcp) -> PolyFramer -> lines and prompts. Each line's
 * meaning goes to the state and the call book whoever asked; then it is offered to the command on
 * the wire (PolySession); lines nobody claims go to the login (PolyLink: prompts, banner, refused
 * passwords). After every login (a new link, a reboot's NUL and prompt, a banner again) the
 * registrations are made again on this port and session, then everything is read.
 *
 * Health: `fault`/`auth_failed` (password refused: retried only after authRetryMs; over SSH the
 * transport's own refusal), `unreachable`/`transport_closed`, `rebooting`, `timeout` (a command
 * unanswered: a silent codec), `degraded`/`not_registered` (a registration this site uses is
 * offline, in the codec's words), else `ok`.
 */
import { CODEC_STATE_FIELDS, type CodecState } from "../codec/vocabulary.js";
import { DriverBase, leftOpen, notOpen, timeLeft } from "../lifecycle.js";
import { TelnetFilter } from "../telnet.js";
import type { TransportStatus } from "../transport/types.js";
import type { ActionContext, ActionTable, Clock, Driver, DriverContext, Logger } from "../types.js";
import { DeviceError } from "../types.js";
import { buildActions } from "./actions.js";
import { CallBook } from "./calls.js";
import { Calling } from "./calling.js";
import * as cmd from "./codec.js";
import { PolyFramer, type FrameToken } from "./framer.js";
import { parseLine, type PolyLine } from "./lines.js";
import { PolyLink, type Banner } from "./link.js";
import { parsePolyOptions, readPassword, type PolyOptions } from "./options.js";
import { Reader } from "./reader.js";
import { PolySession } from "./session.js";
import { applyLine, cloneState, initialState } from "./state.js";
import { Upkeep } from "./upkeep.js";

/** At most one `garbled_line` / `dropped_line` event per this many ms; the rest are only logged at debug. */
export const REPORT_INTERVAL_MS = 10_000;

interface Running {
  ctx: DriverContext;
  options: PolyOptions;
  log: Logger;
  clock: Clock;
  framer: PolyFramer;
  telnet: TelnetFilter | null;
  session: PolySession;
  link: PolyLink;
  calls: CallBook;
  reader: Reader;
  calling: Calling;
  setup: Promise<void> | null;
  upkeep: Upkeep;
  detach(): void;
}

export class PolyDriver extends DriverBase<CodecState, Running> implements Driver<CodecState> {
  readonly kind = "codec" as const;
  readonly protocol = "poly";
  readonly actions: ActionTable;
  readonly stateFields: readonly string[] = CODEC_STATE_FIELDS;
  private state: CodecState = initialState();
  private linkOpen = false;
  private authError: { code: string; message: string } | null = null;
  private timedOut: string | null = null;
  private rebooting = false;
  private emitQueued = false;
  private lastReport: Record<string, number> = {};

  constructor() {
    super({ message: true });
    this.actions = buildActions({
      command: (c, actx) => this.command(c, actx),
      dial: (a, actx) => this.requireCalling().dial(a, actx),
      hangup: (id, actx) => this.requireCalling().hangup(id, actx),
      answer: (id, actx) => this.requireCalling().answer(id, actx),
      patch: (p) => this.patch(p),
      dialBudgetMs: () => {
        const o = this.run?.options ?? parsePolyOptions({});
        return o.dialTimeoutMs + 2 * (o.timeoutMs + o.commandGapMs) + 1000;
      },
    });
  }

  async start(ctx: DriverContext): Promise<void> {
    const options = this.startOptions(ctx, parsePolyOptions);
    const log = ctx.logger.child({ driver: "poly", transport: ctx.transport.description });
    const clock = ctx.clock;
    const transport = ctx.transport;
    const lineEnding = options.lineEnding === "crlf" ? "\r\n" : "\r";
    const write = (b: Buffer) => transport.write(b);
    this.state = initialState();
    const session = new PolySession({ clock, write, lineEnding, gapMs: options.commandGapMs });
    const link = new PolyLink(
      { clock, username: options.username, lineEnding, promptWaitMs: options.promptWaitMs, authRetryMs: options.authRetryMs },
      {
        writeRaw: (text) => transport.write(Buffer.from(text, "utf8")),
        password: () => readPassword(options),
        onReady: (b, again) => this.onReady(b, again),
        onLoggedOut: (why) => this.onLoggedOut(why),
        onAuthFailed: (message) => this.onAuthFailed("auth_failed", message),
        log: (level, msg, data) => log[level](data ?? {}, msg),
      },
    );
    const calls = new CallBook(
      () => clock.now(),
      (ended) => {
        log.info({ call: ended }, "call ended");
        this.emit("event", { type: "call.ended", message: `call ${ended.callId} with ${ended.remote} ended (${ended.reason}${ended.local ? ", hung up here" : ""})`, data: { ...ended } });
      },
      () => this.changed(),
    );
    const send = (c: cmd.PolyCommand) => this.send(c, options.timeoutMs);
    const reader = new Reader({ send, options, calls, state: this.state, now: () => clock.now(), changed: () => this.changed(), log });
    const calling = new Calling({ clock, options, calls, log, send: (c, actx) => this.command(c, actx), registration: () => this.state.registration, readRegistration: () => reader.readRegistration() });
    const detach = this.listen(ctx, (chunk) => this.onData(chunk), (s) => this.onStatus(s));
    const telnet = transport.kind === "tcp" ? new TelnetFilter() : null;
    const upkeep = new Upkeep(clock, options, {
      keepalive: () => this.keepalive(),
      reregister: () =>
        reader.register().then(
          () => this.run?.upkeep.registered(),
          (e: unknown) => log.warn({ err: (e as Error).message }, "registering again failed; the next login registers"),
        ),
    });
    this.run = { ctx, options, log, clock, framer: new PolyFramer(options.maxLineLength), telnet, session, link, calls, reader, calling, setup: null, upkeep, detach };
    this.stopping = null;

    const t0 = clock.now();
    const left = () => options.connectTimeoutMs - (clock.now() - t0);
    if ((await this.waitOpen(options.connectTimeoutMs)) !== "open") {
      if (!this.authError) this.setHealth(notOpen(transport));
      log.warn({ state: transport.state }, "transport not open yet; the driver waits for it");
      return;
    }
    if (!(await link.whenReady(left()))) {
      if (!this.authError) this.setHealth({ status: "unreachable", code: "no_banner", message: `no login prompt or banner within ${options.connectTimeoutMs} ms` });
      return;
    }
    await this.within(this.run?.setup ?? Promise.resolve(), left());
  }

  protected release(r: Running): void {
    this.linkOpen = false;
    r.upkeep.stop();
    r.link.dispose();
    r.calling.dispose(new DeviceError("cancelled", "driver stopped"));
    r.session.clear(new DeviceError("cancelled", "driver stopped"));
  }

  poll(): Promise<CodecState> {
    return this.pollOnce(() => this.doPoll());
  }

  // ---- internals ----

  private async doPoll(): Promise<CodecState> {
    const r = this.requireOpen();
    // The API guide: no commands during call establishment (P4). The call's progress arrives pushed.
    if (r.link.ready && r.calls.inSetup()) return cloneState(this.withCalls());
    await r.reader.readAll();
    return cloneState(this.withCalls());
  }

  private withCalls(): CodecState {
    this.state.calls = this.run?.calls.list() ?? this.state.calls;
    return this.state;
  }

  /** One command from an action, bounded by the action's deadline. */
  private async command(c: cmd.PolyCommand, actx: ActionContext): Promise<PolyLine[]> {
    const r = this.requireOpen();
    return this.send(c, Math.min(r.options.timeoutMs, timeLeft(r.clock, actx)), actx.signal);
  }

  /** Waits (bounded) for a logged-in session, then sends; an answer clears a `timeout` health. */
  private async send(c: cmd.PolyCommand, timeoutMs: number, signal?: AbortSignal): Promise<PolyLine[]> {
    const r = this.requireOpen();
    if (!r.link.ready && !(await r.link.whenReady(timeoutMs))) {
      this.requireOpen();
      throw new DeviceError("timeout", `the codec's session is not logged in within ${timeoutMs} ms`, { stage: "login" });
    }
    r.upkeep.busy();
    try {
      const lines = await r.session.request(c, signal ? { timeoutMs, signal } : { timeoutMs });
      if (this.timedOut !== null) {
        this.timedOut = null;
        this.recomputeHealth();
      }
      return lines;
    } catch (e) {
      if (e instanceof DeviceError && e.code === "timeout") {
        this.timedOut = e.message;
        this.recomputeHealth();
      } else if (e instanceof DeviceError && e.code === "device_error" && this.timedOut !== null) {
        this.timedOut = null; // an error line is an answer too
        this.recomputeHealth();
      }
      throw e;
    } finally {
      if (this.run === r && r.session.pending === 0 && r.link.ready) r.upkeep.idle();
    }
  }

  private onData(chunk: Buffer): void {
    const r = this.run;
    if (!r) return;
    let data = chunk;
    if (r.telnet) {
      const t = r.telnet.push(chunk);
      if (t.reply) r.ctx.transport.write(t.reply).catch(() => undefined); // a dead link shows in transport status
      data = t.data;
    }
    for (const token of r.framer.push(data)) this.onToken(r, token);
  }

  private onToken(r: Running, t: FrameToken): void {
    if (t.type === "line") return this.onLine(r, t.text);
    if (t.type === "dropped") return this.report("dropped_line", `a line over ${r.options.maxLineLength} bytes was dropped`, { bytes: t.bytes });
    r.link.token(t);
  }

  private onLine(r: Running, text: string): void {
    const l = parseLine(text);
    this.mean(r, l);
    if (r.session.offer(l, text)) return;
    if (r.link.line(l)) return;
    if (l.kind === "other") this.report("garbled_line", "a line the driver cannot read", { line: text.slice(0, 120) });
  }

  /** What a line says, whoever asked: state and calls. */
  private mean(r: Running, l: PolyLine): void {
    if (applyLine(this.state, l)) this.changed();
    r.calls.apply(l);
  }

  private onReady(b: Banner, again: boolean): void {
    const r = this.run;
    if (!r) return;
    this.rebooting = false;
    this.timedOut = null;
    if (this.authError) {
      this.authError = null;
      r.log.info({}, "logged in");
    }
    this.state.model = b.fields["Model"] ?? this.state.model;
    this.state.software = b.fields["Software Version"] ?? this.state.software;
    this.changed();
    if (again) r.log.warn({ name: b.name }, "the banner came again while logged in: the codec restarted; registering again");
    r.setup = this.setupSession(r);
  }

  /** After every login: every registration again (they are per port and session), then a full read. */
  private async setupSession(r: Running): Promise<void> {
    try {
      const made = await r.reader.register();
      r.log.info({ made, refused: r.reader.refused }, "registrations made");
      await r.reader.readServers();
      await r.reader.readAll();
    } catch (e) {
      r.log.warn({ err: (e as Error).message }, "setting up the session failed; the next poll reads again");
    }
    if (this.run !== r) return;
    this.recomputeHealth();
    r.upkeep.registered();
  }

  private onLoggedOut(why: "reboot" | "prompt"): void {
    const r = this.run;
    if (!r) return;
    r.upkeep.stop();
    r.session.clear(new DeviceError("not_connected", why === "reboot" ? "the codec is rebooting" : "the codec logged the session out"));
    if (why === "reboot") {
      this.rebooting = true;
      r.calls.endAll("codec rebooted");
      r.log.warn({}, "NUL on the line: the codec is rebooting; logging in again when it prompts");
      this.emit("event", { type: "codec_rebooted", message: "the codec rebooted; the driver logs in and registers again" });
    } else {
      r.log.warn({}, "the codec prompts for a password again: logging in again");
    }
    this.recomputeHealth();
  }

  private onAuthFailed(code: string, message: string): void {
    const r = this.run;
    if (!r) return;
    const first = this.authError?.code !== code;
    this.authError = { code, message };
    if (first) {
      r.log.warn({ code }, message);
      this.emit("event", { type: code, message });
    }
    this.recomputeHealth();
  }

  private onStatus(s: TransportStatus): void {
    const r = this.run;
    if (!r) return;
    if (s.state === "open") {
      if (!this.linkOpen) this.linkUp(r);
      return;
    }
    if (s.state === "backoff" && (s.error?.code === "auth_failed" || s.error?.code === "host_key_mismatch")) {
      this.onAuthFailed(s.error.code, s.error.message);
    }
    if (!this.linkOpen) return;
    this.linkOpen = false;
    r.upkeep.stop();
    r.link.closed();
    r.session.clear(new DeviceError("not_connected", `transport ${s.state}`));
    r.log.warn({ state: s.state, error: s.error }, "transport left open");
    this.recomputeHealth(leftOpen(s));
  }

  /** A new link: a new session on the codec, to log in to. */
  private linkUp(r: Running): void {
    this.linkOpen = true;
    if (this.authError && r.ctx.transport.kind === "ssh") this.authError = null; // the transport logged in
    r.framer.reset();
    r.telnet?.reset();
    r.link.opened();
  }

  /** The one place health is decided, from what is known now. */
  private recomputeHealth(closedMessage?: string): void {
    const r = this.run;
    if (!r) return;
    if (this.authError) return this.setHealth({ status: "fault", code: this.authError.code, message: this.authError.message });
    if (!this.linkOpen) return this.setHealth({ status: "unreachable", code: "transport_closed", message: closedMessage ?? `${r.ctx.transport.description} not open` });
    if (this.rebooting) return this.setHealth({ status: "unreachable", code: "rebooting", message: "the codec is rebooting" });
    if (this.timedOut !== null) return this.setHealth({ status: "unreachable", code: "timeout", message: this.timedOut });
    if (!r.link.ready) return;
    const reg = this.state.registration;
    const down = (["sip", "h323"] as const).filter((p) => reg[p].status === "unregistered" || reg[p].status === "failed");
    if (down.length > 0) {
      return this.setHealth({ status: "degraded", code: "not_registered", message: down.map((p) => `${p}: ${reg[p].detail}`).join("; ") });
    }
    this.setHealth({ status: "ok" });
  }

  private patch(p: Partial<CodecState>): void {
    Object.assign(this.state, p);
    this.changed();
  }

  /** State events are coalesced to one per turn of the event loop (a poll changes many fields). */
  private changed(): void {
    if (this.emitQueued) return;
    this.emitQueued = true;
    queueMicrotask(() => {
      this.emitQueued = false;
      if (!this.run) return;
      this.emit("state", cloneState(this.withCalls()));
      this.recomputeHealth();
    });
  }

  /** An idle session: `callinfo all` (P2); unanswered, the link is reset (a half-open TCP session is dropped and reopened). */
  private async keepalive(): Promise<void> {
    const r = this.run;
    if (!r || !r.link.ready) return;
    try {
      await this.send(cmd.callinfoAll, r.options.timeoutMs);
    } catch (e) {
      if (!(e instanceof DeviceError) || e.code !== "timeout" || this.run !== r) return;
      r.log.warn({ err: e.message }, "keepalive unanswered; resetting the link");
      r.ctx.transport.reset?.("keepalive unanswered");
    }
  }

  /** Events about bad input, at most one per type per REPORT_INTERVAL_MS. */
  private report(type: string, message: string, data: Record<string, unknown>): void {
    const r = this.run;
    if (!r) return;
    const now = r.clock.now();
    if (now - (this.lastReport[type] ?? -Infinity) < REPORT_INTERVAL_MS) {
      r.log.debug(data, message);
      return;
    }
    this.lastReport[type] = now;
    r.log.warn(data, message);
    this.emit("event", { type, message, data });
  }

  /** Resolves when `p` settles or `ms` pass, whichever is first (never rejects). */
  private within(p: Promise<unknown>, ms: number): Promise<void> {
    const r = this.run;
    if (!r || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = r.clock.setTimeout(resolve, ms);
      p.finally(() => {
        r.clock.clearTimeout(timer);
        resolve();
      }).catch(() => undefined);
    });
  }

  private requireCalling(): Calling {
    this.requireOpen();
    return this.run!.calling;
  }
}

