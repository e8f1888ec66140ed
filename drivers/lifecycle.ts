/**
 * What every transport-backed driver does the same way, written once (DESIGN.md, "The driver
 * contract"): health published on change only, options that can never work reported as
 * `fault`/`bad_config`, a bounded first open, listeners that belong to the run and leave with it, a
 * stop that is idempotent and closes the transport, one poll in flight, `unreachable`/
 * `transport_closed` when the link drops, and a request's deadline taken from the action's.
 *
 * A driver extends `DriverBase` and keeps only what is its own: its protocol, its state, its
 * `release()` (what it tears down in stop()), and what its health means. The base holds no timers
 * and writes nothing to the device.
 */
import { EventEmitter } from "node:events";
import { openWithin } from "./transport/open-within.js";
import type { Transport, TransportStatus } from "./transport/types.js";
import { DeviceError, type ActionContext, type Clock, type DriverContext, type DriverEvent, type DriverEvents, type Health, type Logger } from "./types.js";

/** What a started driver holds; each driver's own `Running` adds its parts. */
export interface RunBase {
  ctx: DriverContext;
  log: Logger;
  /** Removes the listeners start() added (`listen()`); stop() calls it first. */
  detach: () => void;
}

/** When a new health is published. */
export interface HealthRule {
  /** A new message alone is published too (default: only a new status or code). */
  message?: boolean;
  /**
   * `fault`/`bad_config` is replaced only by another fault (default true): a config that can never
   * work does not heal by itself. Off for a driver whose own rules decide when it is over.
   */
  stickyBadConfig?: boolean;
}

export abstract class DriverBase<State extends object, R extends RunBase> extends EventEmitter<DriverEvents<State>> {
  protected currentHealth: Health = { status: "unknown" };
  protected run: R | null = null;
  protected stopping: Promise<void> | null = null;
  private readonly rule: Required<HealthRule>;
  private readonly pollFlight = new SingleFlight<State>();
  private readonly contactFlight = new SingleFlight<void>();

  constructor(rule: HealthRule = {}) {
    super();
    this.rule = { message: false, stickyBadConfig: true, ...rule };
  }

  abstract poll(): Promise<State>;

  /** What stop() tears down that is the driver's own, after the listeners are gone and before the transport closes. */
  protected abstract release(r: R): void;

  get health(): Health {
    return { ...this.currentHealth };
  }

  /** Closes everything the run opened; idempotent, and a second call waits for the first. */
  async stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    const r = this.run;
    if (!r) return;
    this.stopping = (async () => {
      r.detach();
      this.release(r);
      try {
        await r.ctx.transport.close();
      } catch (e) {
        r.log.warn({ err: errMessage(e) }, "transport close failed");
      }
      this.run = null;
    })();
    return this.stopping;
  }

  /** Publishes `h` when it differs from the current health (see HealthRule). */
  protected setHealth(h: Health): void {
    const c = this.currentHealth;
    if (this.rule.stickyBadConfig && c.status === "fault" && c.code === "bad_config" && h.status !== "fault") return;
    if (h.status === c.status && h.code === c.code && (!this.rule.message || h.message === c.message)) return;
    this.currentHealth = { ...h };
    this.emit("health", { ...h });
  }

  protected emitEvent(ev: DriverEvent): void {
    this.emit("event", ev);
  }

  /**
   * The first lines of every start(): a second start is a bug, and options that can never work make
   * health `fault`/`bad_config` before start() rejects with the parser's error.
   */
  protected startOptions<O>(ctx: DriverContext, parse: (raw: Record<string, unknown>) => O): O {
    if (this.run) throw new DeviceError("internal", "driver already started");
    try {
      return parse(ctx.options);
    } catch (e) {
      this.setHealth({ status: "fault", code: "bad_config", message: (e as Error).message });
      throw e;
    }
  }

  /** Hooks a run to its transport and to the agent's abort signal (which stops the driver); returns the undo. */
  protected listen(ctx: DriverContext, onData: (chunk: Buffer) => void, onStatus: (s: TransportStatus) => void): () => void {
    const onAbort = (): void => void this.stop();
    ctx.transport.on("data", onData);
    ctx.transport.on("status", onStatus);
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    return () => {
      ctx.transport.off("data", onData);
      ctx.transport.off("status", onStatus);
      ctx.signal.removeEventListener("abort", onAbort);
    };
  }

  /**
   * The transport's first open, bounded (transport/open-within.ts). One that can never open is
   * `fault`/`bad_config`: logged, the driver stopped, and the promise rejects with `invalid_args`.
   */
  protected waitOpen(timeoutMs: number): Promise<"open" | "timeout"> {
    const r = this.run!;
    return openWithin(r.ctx.transport, r.ctx.clock, timeoutMs, async (message) => {
      r.log.error({ err: message }, "transport cannot open");
      this.setHealth({ status: "fault", code: "bad_config", message });
      await this.stop();
    });
  }

  /** start() found the transport not open: unreachable until it opens (it keeps reconnecting by itself). */
  protected waitForTransport(what = "transport"): void {
    const r = this.run;
    if (!r) return; // stopped (the agent aborted) while start() waited: nothing is waiting any more
    this.setHealth(notOpen(r.ctx.transport));
    r.log.warn({ state: r.ctx.transport.state }, `${what} not open yet; the driver waits for it`);
  }

  /** The transport left `open`: logged, and health `unreachable`/`transport_closed` with its reason. */
  protected linkLost(s: TransportStatus, what = "transport left open"): void {
    this.run?.log.warn({ state: s.state, error: s.error }, what);
    this.setHealth({ status: "unreachable", code: "transport_closed", message: leftOpen(s) });
  }

  /** One read at a time: a poll asked for while one runs gets that one's answer. */
  protected pollOnce(read: () => Promise<State>): Promise<State> {
    return this.pollFlight.run(read);
  }

  /**
   * First contact for a protocol with no session of its own to set up: a poll after the link opens,
   * one at a time. Never rejects: the outcome lands in health, and the log names `device`.
   */
  protected firstPoll(device: string): Promise<void> {
    return this.contactFlight.run(() =>
      this.poll().then(
        () => undefined,
        (e: unknown) => {
          this.run?.log.warn({ err: errMessage(e), code: (e as DeviceError).code }, `no contact with ${device}`);
        },
      ),
    );
  }

  /** The run, when the driver is started, not stopping, and its transport is open; else `not_connected`. */
  protected requireOpen(): R {
    const r = this.run;
    if (!r || this.stopping) throw new DeviceError("not_connected", "driver not started");
    if (r.ctx.transport.state !== "open") {
      throw new DeviceError("not_connected", `${r.ctx.transport.description} is ${r.ctx.transport.state}`);
    }
    return r;
  }
}

/** Runs one task at a time: a call while one runs shares its promise; the next call starts afresh. */
export class SingleFlight<T> {
  private running: Promise<T> | null = null;

  run(task: () => Promise<T>): Promise<T> {
    this.running ??= task().finally(() => {
      this.running = null;
    });
    return this.running;
  }
}

/** Health while the transport has not opened yet. */
export function notOpen(transport: Transport): Health {
  return { status: "unreachable", code: "transport_closed", message: `${transport.description} not open` };
}

/** Why a transport left `open`: its error, or its new state. */
export function leftOpen(s: TransportStatus): string {
  return s.error ? `${s.error.code}: ${s.error.message}` : `transport ${s.state}`;
}

/**
 * What is left of an action's deadline for the request it sends now; `timeout` when nothing is
 * (the request is never sent). Callers take the smaller of this and their own timeout.
 */
export function timeLeft(clock: Clock, actx: ActionContext): number {
  const left = actx.deadline - clock.now();
  if (left <= 0) throw new DeviceError("timeout", "the action's deadline passed before it was sent");
  return left;
}

export function errMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
