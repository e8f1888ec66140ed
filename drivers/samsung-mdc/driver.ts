/**
 * The Samsung MDC display driver: one device entry = one RS-232 chain or one TCP connection with
 * one or more displays (a daisy chain, or a video wall driven as a group).
 *
 * Wiring: transport bytes -> MdcLink (greeting check on TCP, framing, one command at a time,
 * matching by display id + rCMD) -> poll (poll.ts) / actions (per display, in turn).
 * Health (emitted on change): `fault`/`bad_config` for options that can never work;
 * `fault`/`unsupported_protocol` when a TCP peer speaks the secured protocol (sticky until a plain
 * MDC answer is seen); `unreachable`/`transport_closed` while the link is down; otherwise the
 * worst display: `unreachable`/`timeout`, `degraded`/`nak`, `degraded`/`overtemperature`,
 * `degraded`/`fan_fault`, `ok`.
 * NAKs while booting: for `bootMs` after an ACKed power-on/reboot (or after a poll found the
 * display booting) a NAKed command is retried every `nakRetryMs` until the action's deadline.
 */
import { DriverBase } from "../lifecycle.js";
import type { ActionContext, ActionTable, Driver, DriverContext, DriverEvent, Health, Logger } from "../types.js";
import { DeviceError } from "../types.js";
import type { TransportStatus } from "../transport/types.js";
import { buildActions, groupOutcome, type GroupResult } from "./actions.js";
import { MDC_CMD } from "./codec-tables.js";
import { MdcCodecError, encodeGet, encodeSet, setCommand, type MdcGet, type MdcReply, type MdcSet } from "./codec.js";
import { MdcLink } from "./link.js";
import { parseMdcOptions, type MdcOptions } from "./options.js";
import { pollDisplay, type ReadResult } from "./poll.js";
import { SECURED_MESSAGE } from "./secured.js";
import {
  STATE_FIELDS, displayHealth, initialDisplay, initialLinkErrors, patchForSet, summarize, worstHealth,
  type DisplayState, type LinkErrorCounts, type MdcState,
} from "./state.js";
import { Waits, errMessage } from "./waits.js";

/** At most one event of each kind (`garbled_frame`, `wrong_display_id`, ...) per this many ms. */
export const EVENT_INTERVAL_MS = 10_000;

/** Which counter of `linkErrors` a dropped run of bytes goes to (default `junk`). */
const JUNK_COUNTER: Record<string, keyof LinkErrorCounts> = { bad_checksum: "badChecksum", short: "short" };

interface DisplayRuntime {
  name: string;
  state: DisplayState;
  /** Link-level problem of this display (timeout, NAK on every read), or null. */
  comm: Health | null;
  /** Clock time until which NAKs count as booting. */
  bootUntil: number;
  identityRead: boolean;
}

interface Running {
  ctx: DriverContext;
  options: MdcOptions;
  log: Logger;
  link: MdcLink;
  detach: () => void;
}

export class MdcDriver extends DriverBase<MdcState, Running> implements Driver<MdcState> {
  readonly kind = "display" as const;
  readonly protocol = "mdc";
  readonly actions: ActionTable;
  readonly stateFields: readonly string[] = STATE_FIELDS;
  private displays = new Map<string, DisplayRuntime>();
  private linkErrors: LinkErrorCounts = initialLinkErrors();
  private waits: Waits | null = null;
  private linkOpen = false;
  private linkDown: Health | null = null;
  private secured = false;
  private badConfig: Health | null = null;
  private lastEmitted = "";
  private lastEventAt = new Map<string, number>();

  constructor() {
    super();
    this.actions = buildActions({ runOnDisplays: (d, set, ctx) => this.runOnDisplays(d, set, ctx) });
  }

  async start(ctx: DriverContext): Promise<void> {
    if (this.run) throw new DeviceError("internal", "driver already started");
    let options: MdcOptions;
    try {
      options = parseMdcOptions(ctx.options);
    } catch (e) {
      this.badConfig = { status: "fault", code: "bad_config", message: (e as Error).message };
      this.refreshHealth();
      throw e;
    }
    const log = ctx.logger.child({ driver: "mdc", transport: ctx.transport.description });
    this.displays = new Map(
      Object.entries(options.displays).map(([name, id]) => [
        name,
        { name, state: initialDisplay(id), comm: null, bootUntil: -Infinity, identityRead: false },
      ]),
    );
    this.linkErrors = initialLinkErrors();
    this.waits = new Waits(ctx.clock);
    const link = new MdcLink(ctx.transport, {
      clock: ctx.clock,
      detectSecured: ctx.transport.kind === "tcp",
      handlers: {
        onContact: () => this.onContact(),
        onJunk: (bytes, reason) => this.onLinkError(JUNK_COUNTER[reason] ?? "junk", "garbled_frame", { reason, bytes: hexOf(bytes) }),
        onWrongId: (r, expected) => this.onLinkError("wrongId", "wrong_display_id", { expected, got: r.id, rcmd: r.rcmd }),
        onUnmatched: (r) => this.onLinkError("unmatched", "unmatched_reply", { id: r.id, rcmd: r.rcmd, type: r.type }),
        onSecured: (first) => this.onSecured(first),
      },
    });
    const detach = this.listen(ctx, (chunk) => link.receive(chunk), (s) => this.onStatus(s));
    this.run = { ctx, options, log, link, detach };
    this.stopping = null;

    const opened = await this.waits.race(ctx.transport.open(), options.connectTimeoutMs).catch(async (e: unknown) => {
      const message = errMessage(e);
      log.error({ err: message }, "transport cannot open");
      this.badConfig = { status: "fault", code: "bad_config", message };
      this.refreshHealth();
      await this.stop();
      throw new DeviceError("invalid_args", `transport cannot open: ${message}`);
    });
    if (opened === "done" || ctx.transport.state === "open") {
      this.markLinkOpen();
      await this.linkUp();
    } else {
      this.linkDown = { status: "unreachable", code: "transport_closed", message: `${ctx.transport.description} not open` };
      this.refreshHealth();
      log.warn({ state: ctx.transport.state }, "transport not open yet; the driver waits for it");
    }
  }

  protected release(r: Running): void {
    const stopped = new DeviceError("cancelled", "driver stopped");
    r.link.failAll(stopped);
    this.waits?.cancelAll(stopped);
    this.linkOpen = false;
  }

  poll(): Promise<MdcState> {
    return this.pollOnce(() => this.doPoll());
  }

  // ---- polling ----

  private async doPoll(): Promise<MdcState> {
    const r = this.requireOpen();
    const errors: DeviceError[] = [];
    for (const d of this.displays.values()) {
      try {
        const result = await pollDisplay(d.name, (what) => this.read(d, what), r.options.readIdentity && !d.identityRead);
        if (result.booting) d.bootUntil = Math.max(d.bootUntil, r.ctx.clock.now() + r.options.bootMs);
        if (result.identityRead) d.identityRead = true;
        d.comm = result.comm;
        Object.assign(d.state, result.patch);
      } catch (e) {
        const err = asDeviceError(e, d.name);
        errors.push(err);
        // The same for every display: no point asking the others.
        if (err.details?.["mdc"] === "unsupported_protocol") {
          this.refreshHealth();
          throw err;
        }
      }
    }
    this.refreshHealth();
    if (errors.length === this.displays.size) throw errors[0]!;
    return this.snapshot();
  }

  private async read(d: DisplayRuntime, what: MdcGet): Promise<ReadResult> {
    const r = this.requireOpen();
    const reply = await this.ask(d, encodeGet(d.state.id, what), MDC_CMD[what], r.options.timeoutMs);
    return reply.type === "ack" ? { ok: true, values: reply.values } : { ok: false, error: reply.error };
  }

  /** One request to one display; a timeout marks the display unreachable, any answer clears it. */
  private async ask(d: DisplayRuntime, frame: Buffer, cmd: number, timeoutMs: number, signal?: AbortSignal): Promise<MdcReply> {
    const r = this.requireOpen();
    try {
      const reply = await r.link.request({ frame, id: d.state.id, cmd, timeoutMs, ...(signal ? { signal } : {}) });
      if (d.comm?.code === "timeout") {
        d.comm = null;
        this.refreshHealth();
      }
      return reply;
    } catch (e) {
      if (e instanceof DeviceError && e.code === "timeout") {
        d.comm = { status: "unreachable", code: "timeout", message: `${d.name}: ${e.message}` };
        this.refreshHealth();
      }
      throw e;
    }
  }

  // ---- actions ----

  private async runOnDisplays(display: string | undefined, set: MdcSet, actx: ActionContext): Promise<GroupResult> {
    const names = this.resolveDisplays(display);
    this.requireOpen();
    const outcomes = new Map<string, DeviceError | null>();
    // MDC is one command at a time: the wall is driven display by display.
    for (const name of names) {
      const err = await this.command(this.displays.get(name)!, set, actx).then(() => null, (e: unknown) => asDeviceError(e, name));
      outcomes.set(name, err);
    }
    this.emitState();
    return groupOutcome(outcomes);
  }

  private async command(d: DisplayRuntime, set: MdcSet, actx: ActionContext): Promise<void> {
    const r = this.requireOpen();
    const clock = r.ctx.clock;
    for (;;) {
      const left = actx.deadline - clock.now();
      if (left <= 0) throw new DeviceError("timeout", `${d.name}: the action's deadline passed before it was sent`, { stage: "deadline" });
      const reply = await this.ask(d, encodeSet(d.state.id, set), setCommand(set), Math.min(r.options.timeoutMs, left), actx.signal)
        .catch((e: unknown) => {
          if (e instanceof DeviceError && e.code === "cancelled" && clock.now() >= actx.deadline) {
            throw new DeviceError("timeout", `${d.name}: the action's deadline passed`, { stage: "deadline" });
          }
          throw e;
        });
      if (reply.type === "ack") {
        Object.assign(d.state, patchForSet(set, d.state));
        if (set.type === "power") d.bootUntil = set.value === "off" ? -Infinity : clock.now() + r.options.bootMs;
        return;
      }
      const booting = clock.now() < d.bootUntil;
      if (booting && clock.now() + r.options.nakRetryMs < actx.deadline) {
        await this.waits!.sleep(r.options.nakRetryMs, actx.signal);
        continue;
      }
      const code = `0x${reply.error.toString(16).padStart(2, "0")}`;
      throw new DeviceError(
        "device_error",
        `${d.name} refused ${set.type} (NAK error ${code})${booting ? " while still booting" : ""}`,
        { nak: reply.error, display: d.name, booting },
      );
    }
  }

  private resolveDisplays(display: string | undefined): string[] {
    if (display === undefined) return [...this.displays.keys()];
    if (!this.displays.has(display)) {
      const known = [...this.displays.keys()].join(", ") || "(driver not started)";
      throw new DeviceError("invalid_args", `unknown display "${display}"; this device has: ${known}`);
    }
    return [display];
  }

  // ---- link events ----

  /** Handshake-free MDC: first contact is the first poll after the link opens. Never rejects. */
  private linkUp(): Promise<void> {
    return this.firstPoll("the display(s)");
  }

  private onStatus(s: TransportStatus): void {
    const r = this.run;
    if (!r) return;
    if (s.state === "open") {
      if (this.markLinkOpen()) void this.linkUp();
      return;
    }
    if (!this.linkOpen) return;
    this.linkOpen = false;
    r.link.reset(new DeviceError("not_connected", `transport ${s.state}`));
    const message = s.error ? `${s.error.code}: ${s.error.message}` : `transport ${s.state}`;
    r.log.warn({ state: s.state, error: s.error }, "transport left open");
    this.linkDown = { status: "unreachable", code: "transport_closed", message };
    this.refreshHealth();
  }

  /** Returns true when the link was not open before: a new connection, so a fresh greeting and identity. */
  private markLinkOpen(): boolean {
    if (this.linkOpen) return false;
    this.linkOpen = true;
    this.linkDown = null;
    this.run?.link.reset(new DeviceError("not_connected", "link reopened"));
    for (const d of this.displays.values()) d.identityRead = false;
    this.refreshHealth();
    return true;
  }

  private onContact(): void {
    if (!this.secured) return;
    this.secured = false; // the display speaks plain MDC again (setting changed)
    this.refreshHealth();
  }

  private onSecured(first: Buffer): void {
    this.secured = true;
    this.run?.log.error({ greeting: hexOf(first) }, "display demands the MDC secured protocol");
    this.report("secured_protocol", { greeting: hexOf(first) }, SECURED_MESSAGE, true);
    this.refreshHealth();
  }

  private onLinkError(counter: keyof LinkErrorCounts, type: string, data: Record<string, unknown>): void {
    this.linkErrors[counter]++;
    this.run?.log.debug({ ...data, counter }, "MDC link error");
    this.report(type, { ...data, total: this.linkErrors[counter] });
    this.emitState();
  }

  // ---- health, state, events ----

  private refreshHealth(): void {
    const opts = this.run?.options;
    let h: Health;
    if (this.badConfig) h = this.badConfig;
    else if (this.secured) h = { status: "fault", code: "unsupported_protocol", message: SECURED_MESSAGE };
    else if (this.linkDown) h = this.linkDown;
    else {
      for (const d of this.displays.values()) d.state.health = opts ? displayHealth(d.name, d.state, d.comm, opts) : { status: "unknown" };
      h = worstHealth([...this.displays.values()].map((d) => d.state.health));
    }
    this.emitState();
    const c = this.currentHealth;
    if (h.status === c.status && h.code === c.code && h.message === c.message) return;
    this.currentHealth = { ...h };
    this.emit("health", { ...h });
  }

  private emitState(): void {
    const s = this.snapshot();
    const json = JSON.stringify(s);
    if (json === this.lastEmitted) return;
    this.lastEmitted = json;
    this.emit("state", s);
  }

  private snapshot(): MdcState {
    return summarize(Object.fromEntries([...this.displays].map(([n, d]) => [n, d.state])), this.linkErrors);
  }

  /** An event, at most one of a type per EVENT_INTERVAL_MS unless `always`. */
  private report(type: string, data: Record<string, unknown>, message?: string, always = false): void {
    const now = this.run?.ctx.clock.now() ?? 0;
    if (!always && now - (this.lastEventAt.get(type) ?? -Infinity) < EVENT_INTERVAL_MS) return;
    this.lastEventAt.set(type, now);
    const ev: DriverEvent = message === undefined ? { type, data } : { type, message, data };
    this.emit("event", ev);
  }
}

function asDeviceError(e: unknown, display: string): DeviceError {
  if (e instanceof DeviceError) return e;
  if (e instanceof MdcCodecError) {
    return new DeviceError("device_error", `${display}: unreadable answer (${e.message})`, { mdc: e.code, display });
  }
  return new DeviceError("internal", `${display}: ${errMessage(e)}`);
}

function hexOf(b: Buffer): string {
  return b.subarray(0, 32).toString("hex");
}
