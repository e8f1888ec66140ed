/**
 * The Cisco RoomOS / CE codec driver: the xAPI in JSON mode over SSH (the codec's default), RS-232
 * (console login) or telnet (TC / old CE), as kind `codec` (drivers/codec/vocabulary.ts).
 *
 * Wiring: transport bytes -> XapiSession (login, JSON mode, requests by resultId) -> this driver:
 * after every (re)connect, register as a control system (heartbeat keepalive), register feedback
 * (calls, audio, standby, presentation, main source, SIP/H.323 registration, call events: 10 of the
 * 38 expressions a session may hold; never /Status) and read everything; feedback keeps the state
 * live, a poll reads it all again, MediaChannels are read for connected calls.
 * Health: ok; degraded/not_registered while a registration the codec uses is not up;
 * unreachable/transport_closed|timeout|no_session|session_limit when the codec cannot be talked to
 * (a keepalive or two requests unanswered reset the link); fault/auth_failed when the login is
 * refused, fault/bad_config for options or a transport that can never work.
 */
import { CODEC_STATE_FIELDS, type CallEnded, type CodecState } from "../codec/vocabulary.js";
import { DriverBase, leftOpen, notOpen, timeLeft } from "../lifecycle.js";
import { RateLimitedEmitter } from "../state-emitter.js";
import type { TransportStatus } from "../transport/types.js";
import type { ActionContext, ActionTable, Clock, Driver, DriverContext, Health, Logger, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import { buildActions } from "./actions.js";
import { CallBook } from "./calls.js";
import { xCommand, xFeedback, xStatus, XapiCommandError, type XValue } from "./commands.js";
import type { DialDeps } from "./dial.js";
import { consolePassword, parseCiscoOptions, type CiscoOptions } from "./options.js";
import { list, type ResultBody, type Tree } from "./replies.js";
import { XapiSession } from "./session.js";
import { applyStatus, cloneState, initialState } from "./state.js";
import { qualityFrom } from "./status.js";

/** What the driver registers after every (re)connect (≤ 38, C1; never /Status). */
export const FEEDBACK = [
  "/Status/Call",
  "/Status/Audio/Microphones/Mute",
  "/Status/Audio/Volume",
  "/Status/Standby",
  "/Status/Conference/Presentation",
  "/Status/Video/Input/MainVideoSource",
  "/Status/SIP/Registration",
  "/Status/H323/Gatekeeper",
  "/Event/CallSuccessful",
  "/Event/CallDisconnect",
] as const;

/** What a full read asks, in order (a poll, and after every (re)connect). */
const READS: (string | number)[][] = [["SystemUnit"], ["Audio"], ["Standby"], ["Conference", "Presentation"], ["Video", "Input", "MainVideoSource"], ["SIP", "Registration"], ["H323", "Gatekeeper"], ["Call"]];

interface Running {
  ctx: DriverContext;
  o: CiscoOptions;
  log: Logger;
  clock: Clock;
  session: XapiSession;
  book: CallBook;
  emitter: RateLimitedEmitter;
  peripheralId: string;
  timers: TimerHandle[];
  detach(): void;
}

export class CiscoDriver extends DriverBase<CodecState, Running> implements Driver<CodecState> {
  readonly kind = "codec" as const;
  readonly protocol = "cisco";
  readonly stateFields: readonly string[] = CODEC_STATE_FIELDS;
  readonly actions: ActionTable;
  private state: CodecState = initialState();
  private linkOpen = false;
  private synced = false;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private syncWaiters = new Set<() => void>();
  /** Why the codec cannot be talked to (null: it can); registration decides the rest. */
  private problem: Health | null = null;
  private timeouts = 0;

  constructor() {
    super();
    this.actions = buildActions({
      calls: () => this.run?.book.list() ?? [],
      endingByUs: (id) => this.run?.book.endingByUs(id, "hangup"),
      command: (path, args, actx) => this.command(path, args, actx),
      patch: (p) => this.patch(p),
      current: () => cloneState(this.state),
      dialDeps: () => this.dialDeps(),
      dialMs: () => (this.run?.o.dialTimeoutMs ?? 45_000) + (this.run?.o.connectedHoldMs ?? 500) + (this.run?.o.timeoutMs ?? 3000) * 2,
    });
  }

  async start(ctx: DriverContext): Promise<void> {
    const o = this.startOptions(ctx, parseCiscoOptions);
    const log = ctx.logger.child({ driver: "cisco", transport: ctx.transport.description });
    const clock = ctx.clock;
    const kind = ctx.transport.kind;
    const telnet = o.link === "telnet" || (o.link === "auto" && kind === "tcp");
    const session: XapiSession = new XapiSession({
      clock,
      write: (b) => ctx.transport.write(b),
      timeoutMs: o.timeoutMs,
      loginPromptMs: o.loginPromptMs,
      authRetryMs: o.authRetryMs,
      maxFrameChars: o.maxFrameChars,
      credentials: async () => ({ username: o.username, password: await consolePassword(o) }),
      handlers: {
        onReady: () => this.startSync("session ready"),
        onAuthFailed: () => {
          log.error({ username: o.username }, `the codec refused the console login; next try in ${o.authRetryMs} ms`);
          this.setProblem({ status: "fault", code: "auth_failed", message: `the codec refused the login of ${o.username} (Login incorrect); retried in ${o.authRetryMs} ms` });
        },
        onLoggedOut: () => {
          log.warn({}, "the codec logged the session out (rebooted?): logging in again");
          this.synced = false;
          this.setProblem({ status: "unreachable", code: "no_session", message: "the codec logged the session out (reboot?); logging in again" });
          this.emit("event", { type: "session_reset", message: "the codec logged the session out (reboot?); logging in and registering feedback again" });
        },
        onStall: (step) => {
          log.warn({ step }, "xAPI session set-up stalled; resetting the link");
          this.setProblem({ status: "unreachable", code: "no_session", message: `the xAPI session did not start: ${step}` });
          ctx.transport.reset?.(step);
        },
        onFeedback: (msg) => this.onFeedback(msg.status, msg.event),
        onSoftware: (v) => this.patch({ software: this.state.software || v }),
        onNoise: (kind, detail) => log.debug({ kind, detail }, "input for no one"),
      },
    });
    const book = new CallBook({
      clock,
      graceMs: o.disconnectGraceMs,
      changed: () => this.changed(),
      ended: (e) => this.onEnded(e),
      connected: (id) => void this.readQuality(id),
    });
    const emitter = new RateLimitedEmitter(clock, o.pushIntervalMs, () => this.emit("state", this.snapshot()));
    const detach = this.listen(ctx, (chunk) => session.receive(chunk), (s) => this.onStatus(s, telnet));
    this.run = { ctx, o, log, clock, session, book, emitter, peripheralId: o.peripheralId ?? `roomgate-${ctx.deviceId}`, timers: [], detach };
    this.stopping = null;
    if (o.keepaliveMs > 0) this.run.timers.push(clock.setInterval(() => void this.keepalive(), o.keepaliveMs));
    if (o.qualityIntervalMs > 0) this.run.timers.push(clock.setInterval(() => this.pollQuality(), o.qualityIntervalMs));

    const t0 = clock.now();
    if ((await this.waitOpen(o.connectTimeoutMs)) === "open") await this.waitSynced(o.connectTimeoutMs - (clock.now() - t0));
    if (!this.synced && this.currentHealth.status === "unknown") this.setProblem(notOpen(ctx.transport));
  }

  protected release(r: Running): void {
    for (const t of r.timers) r.clock.clearInterval(t);
    this.linkOpen = false;
    this.synced = false;
    r.session.dispose(new DeviceError("cancelled", "driver stopped"));
    r.book.dispose();
    r.emitter.cancel();
    for (const w of [...this.syncWaiters]) w();
  }

  poll(): Promise<CodecState> {
    return this.pollOnce(() => this.readAll().then(() => this.snapshot()));
  }

  // ---- requests ----

  /** One xAPI request, bounded; success clears a timeout problem, a timeout may reset the link. */
  private async request(line: (id: string) => string, timeoutMs?: number, signal?: AbortSignal, internal = false): Promise<ResultBody> {
    const r = this.requireOpen();
    const ms = timeoutMs ?? r.o.timeoutMs;
    // The set-up's own requests need only the session; everyone else waits (bounded) for the set-up.
    if (internal ? !r.session.ready : !(this.synced && r.session.ready) && !(await this.waitReady(ms))) {
      throw new DeviceError("timeout", `the xAPI session is not ready within ${ms} ms`, { stage: "session" });
    }
    try {
      const body = await r.session.request(line, ms, signal);
      this.timeouts = 0;
      if (this.problem?.code === "timeout") this.setProblem(null);
      return body;
    } catch (e) {
      if (e instanceof DeviceError && e.code === "timeout") this.onTimeout(e, false);
      throw e;
    }
  }

  /** `xCommand`: the result's fields; an Error or ParameterError result is a `device_error`. */
  private async command(path: string[], args: Record<string, XValue | undefined>, actx?: ActionContext, internal = false): Promise<Tree> {
    const r = this.requireOpen();
    const left = actx ? timeLeft(r.clock, actx) : r.o.timeoutMs;
    let build: (id: string) => string;
    try {
      xCommand(path, args, "rg0");
      build = (id) => xCommand(path, args, id);
    } catch (e) {
      if (e instanceof XapiCommandError) throw new DeviceError("invalid_args", e.message);
      throw e;
    }
    const body = await this.request(build, Math.min(r.o.timeoutMs, left), actx?.signal, internal);
    if (body.type !== "command") return {};
    if (body.status !== "OK") {
      const why = body.status === "ParameterError" ? "invalid or missing parameters" : (body.reason ?? body.status);
      throw new DeviceError("device_error", `the codec refused \`xCommand ${path.join(" ")}\`: ${why}`, { status: body.status, ...(body.reason ? { reason: body.reason } : {}), ...(body.xpath ? { xpath: body.xpath } : {}) });
    }
    return body.fields;
  }

  private async status(path: (string | number)[], internal = false): Promise<Tree | undefined> {
    const body = await this.request((id) => xStatus(path, id), undefined, undefined, internal);
    return body.type === "status" ? body.tree : undefined; // an Error: the codec has no such path
  }

  private async readAll(internal = false): Promise<void> {
    const r = this.requireOpen();
    for (const path of READS) {
      const tree = await this.status(path, internal);
      if (path[0] === "Call") r.book.apply(list(tree ?? {}, "Call"), true);
      else if (tree) this.applyTree(tree);
      else if (path[0] === "H323") this.patch({ registration: { ...this.state.registration, h323: { status: "disabled", detail: "no H323 in this codec's status" } } });
    }
    this.recompute();
  }

  // ---- session life ----

  private startSync(reason: string): void {
    const r = this.run;
    if (!r) return;
    r.log.info({ reason }, "registering feedback and reading the codec");
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    this.syncing = (async () => {
      do {
        this.syncAgain = false;
        this.synced = false;
        try {
          await this.sync(r);
          this.synced = true;
          this.timeouts = 0;
          this.setProblem(null); // logged in, answering, fed back: whatever was wrong with the link is over
          for (const w of [...this.syncWaiters]) w();
        } catch (e) {
          r.log.warn({ err: (e as Error).message, code: (e as DeviceError).code }, "set-up cut short; retried after the next (re)connect or keepalive");
        }
      } while (this.syncAgain && this.run === r);
    })().finally(() => {
      this.syncing = null;
    });
  }

  private async sync(r: Running): Promise<void> {
    // A refusal (an older codec without an expression or without Peripherals) costs that feature, not the session.
    const refusedOk = (what: string) => (e: unknown) => {
      if (!(e instanceof DeviceError) || e.code !== "device_error") throw e;
      r.log.warn({ what, err: e.message }, "the codec refused part of the set-up; going on without it");
    };
    if (r.o.keepalive === "heartbeat") await this.command(["Peripherals", "Connect"], { ID: r.peripheralId, Name: "roomgate", Type: "ControlSystem" }, undefined, true).catch(refusedOk("Peripherals Connect"));
    for (const expr of FEEDBACK) {
      const body = await this.request((id) => xFeedback("register", expr, id), undefined, undefined, true);
      if (body.type === "command" && body.status !== "OK") refusedOk(expr)(new DeviceError("device_error", body.reason ?? body.status));
    }
    await this.readAll(true);
  }

  private async keepalive(): Promise<void> {
    const r = this.run;
    if (!r || !this.synced || !r.session.ready) return;
    try {
      if (r.o.keepalive === "heartbeat") {
        const timeout = Math.max(10, Math.ceil((r.o.keepaliveMs * 3) / 1000));
        await this.command(["Peripherals", "HeartBeat"], { ID: r.peripheralId, Timeout: timeout }, undefined, true);
      } else await this.status(["Standby", "State"], true);
    } catch (e) {
      const err = e as DeviceError;
      if (err.code === "timeout") return this.onTimeout(err, true);
      if (err.code === "device_error") this.startSync("heartbeat refused: the codec forgot us (C8: re-init)");
    }
  }

  private pollQuality(): void {
    const r = this.run;
    if (!r || !this.synced) return;
    for (const id of r.book.connectedIds()) void this.readQuality(id);
  }

  private async readQuality(id: string): Promise<void> {
    const r = this.run;
    if (!r) return;
    try {
      const tree = await this.status(["MediaChannels", "Call", Number(id)], true);
      r.book.setQuality(id, tree ? qualityFrom(tree, id, r.clock.now(), r.o) : undefined);
    } catch (e) {
      r.log.debug({ err: (e as Error).message, callId: id }, "media channels not read");
    }
  }

  private onFeedback(status: Tree | undefined, event: Tree | undefined): void {
    const r = this.run;
    if (!r) return;
    if (status) this.applyTree(status);
    if (event) for (const [name, fields] of Object.entries(event)) if (typeof fields === "object" && !Array.isArray(fields)) r.book.event(name, fields);
    this.recompute();
  }

  private applyTree(tree: Tree): void {
    const r = this.run;
    if (!r) return;
    const { changed, calls } = applyStatus(this.state, tree, r.o);
    if (calls) r.book.apply(calls, false);
    if (changed) this.changed();
  }

  private onEnded(e: CallEnded): void {
    this.run?.log.info({ ...e }, "call ended");
    this.emit("event", { type: "call.ended", message: `call ${e.callId} with ${e.remote || "?"} ended: ${e.cause}`, data: { ...e } });
  }

  private onStatus(s: TransportStatus, telnet: boolean): void {
    const r = this.run;
    if (!r) return;
    if (s.state === "open") {
      this.linkOpen = true;
      r.session.linkUp({ login: r.ctx.transport.kind !== "ssh", telnet });
      return;
    }
    const code = s.error?.code;
    if (code === "auth_failed") {
      r.log.error({}, "the codec refused the SSH login; the transport retries with growing backoff");
      this.setProblem({ status: "fault", code: "auth_failed", message: "the codec refused the SSH user name or password" });
    } else if (code === "host_key_mismatch") {
      this.setProblem({ status: "fault", code: "host_key_mismatch", message: "the codec's SSH host key is not transport.hostFingerprint" });
    } else if (code === "shell_refused") {
      this.setProblem({ status: "unreachable", code: "session_limit", message: "the codec refused a shell: its sessions are all taken (Security Session MaxTotalSessions)" });
    } else if (this.linkOpen || (this.problem === null && s.state !== "connecting")) {
      // The first `connecting`, before any link, is no problem yet: reporting it made every agent
      // start raise a major {codec}-health alarm for the moment an SSH handshake takes. A link that
      // does not come up is reported by its closing status, or by start() at its deadline.
      this.setProblem({ status: "unreachable", code: "transport_closed", message: leftOpen(s) });
    }
    if (!this.linkOpen) return;
    this.linkOpen = false;
    this.synced = false;
    r.session.linkDown(new DeviceError("not_connected", `transport ${s.state}`));
  }

  private onTimeout(err: DeviceError, keepalive: boolean): void {
    const r = this.run;
    if (!r) return;
    this.timeouts++;
    this.setProblem({ status: "unreachable", code: "timeout", message: err.message });
    if (keepalive || this.timeouts >= 2) {
      r.log.warn({ timeouts: this.timeouts, keepalive }, "the codec does not answer: resetting the link");
      this.timeouts = 0;
      r.ctx.transport.reset?.(keepalive ? "keepalive unanswered" : "requests unanswered");
    }
  }

  // ---- state and health ----

  private dialDeps(): DialDeps {
    const r = this.requireOpen();
    return {
      book: r.book,
      clock: r.clock,
      dialTimeoutMs: r.o.dialTimeoutMs,
      connectedHoldMs: r.o.connectedHoldMs,
      command: (path, args, actx) => this.command(path, args, actx),
      disconnect: (id) => void this.command(["Call", "Disconnect"], { CallId: Number(id) }).catch((e: unknown) => r.log.warn({ err: (e as Error).message, callId: id }, "disconnecting the attempt failed")),
      registered: (p) => {
        const reg = this.state.registration;
        if (p === "auto") return this.state.registered;
        return reg[p].status === "registered";
      },
    };
  }

  private patch(p: Partial<CodecState>): void {
    Object.assign(this.state, p);
    this.changed();
  }

  private changed(): void {
    this.run?.emitter.changed();
  }

  private snapshot(): CodecState {
    return cloneState({ ...this.state, calls: this.run?.book.list() ?? [] });
  }

  private setProblem(h: Health | null): void {
    this.problem = h;
    this.recompute();
  }

  /** The problem if there is one; else degraded while not registered; else ok. */
  private recompute(): void {
    if (this.problem) return this.setHealth(this.problem);
    if (!this.synced) return;
    if (!this.state.registered) {
      const r = this.state.registration;
      return this.setHealth({ status: "degraded", code: "not_registered", message: `not registered: SIP ${r.sip.detail}; H.323 ${r.h323.detail}` });
    }
    this.setHealth({ status: "ok" });
  }

  private waitSynced(ms: number): Promise<boolean> {
    return this.waitFor(() => this.synced, ms);
  }

  private waitReady(ms: number): Promise<boolean> {
    return this.waitFor(() => this.synced && !!this.run?.session.ready, ms);
  }

  private waitFor(ok: () => boolean, ms: number): Promise<boolean> {
    const r = this.run;
    if (ok() || !r || ms <= 0) return Promise.resolve(ok());
    return new Promise((resolve) => {
      const done = () => {
        r.clock.clearTimeout(timer);
        this.syncWaiters.delete(done);
        resolve(ok());
      };
      const timer = r.clock.setTimeout(done, ms);
      this.syncWaiters.add(done);
    });
  }
}
