/**
 * The NovaStar LED controller driver (MCTRL / VX series) over TCP (5200) or serial (115200 8N1).
 *
 * Wiring: transport bytes -> NovaFrameSplitter (framing, checksums) -> NovaRequester (one request
 * at a time, serial-number matching, deadlines) -> actions / poll, with registers from registers.ts.
 *
 * Health (emitted on change only):
 * - `ok` after a clean poll (or any reply after being unreachable);
 * - `unreachable`/`timeout` when a request gets no reply in time; `unreachable`/`transport_closed`
 *   when the transport leaves `open`;
 * - `degraded` with `device_timeout` (status 01), `check_error` (02/03) or `bad_command` (04) when
 *   the controller answers with an error status, until the next clean poll;
 * - `degraded`/`unknown_model` when `model: auto` meets a model id that is in no table;
 * - `fault`/`bad_config` for options that can never work.
 */
import { DriverBase } from "../lifecycle.js";
import type { ActionContext, ActionTable, Clock, Driver, DriverContext, Health, Logger } from "../types.js";
import { DeviceError } from "../types.js";
import type { TransportStatus } from "../transport/types.js";
import { buildActions, type LedwallStatePatch } from "./actions.js";
import { hexRegister, statusName, type NovaFrame } from "./codec.js";
import { NovaFrameSplitter, type BadBytesReason } from "./framer.js";
import { ModelResolver } from "./model.js";
import { parseNovastarOptions, testPatternsOf, type NovastarOptions } from "./options.js";
import { COMMON, nameOf, rawToPercent, type ModelSpec, type RegisterRef } from "./registers.js";
import { NovaRequester, type DiscardReason } from "./requester.js";

/** A type alias (not an interface) so that it is assignable to the agent's `Record<string, unknown>`. */
export type NovastarState = {
  /** 0..100 % (from the 0..255 register). */
  brightness: number | null;
  /** Input name from the model's table, `0xNN` for a value without a name. */
  input: string | null;
  blackout: boolean | null;
  frozen: boolean | null;
  /** Test pattern name (`off` = normal picture), `0xNN` for a value without a name. */
  testPattern: string | null;
  /** Model name in use (`mctrl4k`, `vx4s`, custom), null when unknown. */
  model: string | null;
  /** Model id read from the controller, hex of the two bytes, e.g. `0311`. */
  modelId: string | null;
  /** Replies dropped for a bad checksum since start. */
  checksumErrors: number;
  /** Replies dropped because they matched no request (wrong serial, late, other register). */
  discardedReplies: number;
};

/** At most one `garbled_frame` / `discarded_reply` event per this many ms; the rest are counted. */
export const REPORT_INTERVAL_MS = 10_000;

const initialState = (): NovastarState => ({
  brightness: null, input: null, blackout: null, frozen: null, testPattern: null, model: null, modelId: null,
  checksumErrors: 0, discardedReplies: 0,
});

const STATUS_HEALTH: Record<string, string> = { timeout: "device_timeout", check_error: "check_error", bad_command: "bad_command" };

interface Running {
  ctx: DriverContext;
  options: NovastarOptions;
  models: ModelResolver;
  log: Logger;
  clock: Clock;
  framer: NovaFrameSplitter;
  requester: NovaRequester;
  detach: () => void;
}

export class NovastarDriver extends DriverBase<NovastarState, Running> implements Driver<NovastarState> {
  readonly kind = "ledwall" as const;
  readonly protocol = "novastar";
  readonly actions: ActionTable;
  readonly stateFields = Object.keys(initialState()) as readonly (keyof NovastarState)[];
  private state: NovastarState = initialState();
  private lastEmitted = "";
  private linkOpen = false;
  private lastReport = { garbled: -Infinity, discarded: -Infinity };

  constructor() {
    super();
    this.actions = buildActions({
      model: (ctx) => this.ensureModel(ctx),
      display: async (ctx) => this.requireOpen().models.display(await this.ensureModel(ctx)),
      write: async (ref, data, ctx) => {
        await this.exec(ref, { op: "write", data }, ctx);
      },
      testPatterns: () => (this.run ? testPatternsOf(this.run.options) : {}),
      update: (p) => this.update(p),
    });
  }

  async start(ctx: DriverContext): Promise<void> {
    const options = this.startOptions(ctx, parseNovastarOptions);
    const log = ctx.logger.child({ driver: "novastar", transport: ctx.transport.description });
    const clock = ctx.clock;
    const framer = new NovaFrameSplitter("reply");
    framer.onBad = (bytes, reason) => this.onBadBytes(bytes, reason);
    const requester = new NovaRequester({
      clock,
      write: (frame) => ctx.transport.write(frame),
      onDiscard: (frame, reason) => this.onDiscard(frame, reason),
      onReplyTimeout: () => {
        const partial = framer.reset();
        if (partial.length > 0) log.debug({ bytes: partial.subarray(0, 32).toString("hex") }, "dropped a partial reply after a timeout");
      },
    });
    const onData = (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) requester.handle(frame);
    };
    const detach = this.listen(ctx, onData, (s) => this.onStatus(s));
    const models = new ModelResolver(options, (m) => {
      log.warn(m, "controller model id differs from the configured model");
      this.emitEvent({ type: "model_mismatch", message: `configured ${m.configured}, controller reports model id ${m.modelId}`, data: { ...m } });
    });
    this.run = { ctx, options, models, log, clock, framer, requester, detach };
    this.stopping = null;

    if ((await this.waitOpen(options.connectTimeoutMs)) === "open" && ctx.transport.state === "open") {
      this.markLinkOpen();
      await this.linkUp();
    } else {
      this.waitForTransport();
    }
  }

  protected release(r: Running): void {
    r.requester.clear(new DeviceError("cancelled", "driver stopped"));
    r.framer.reset();
    this.linkOpen = false;
  }

  poll(): Promise<NovastarState> {
    return this.pollOnce(() => this.doPoll());
  }

  // ---- internals ----

  private async doPoll(): Promise<NovastarState> {
    let problem: Health | null = null;
    /** Reads one field; a controller that answers with an error status leaves it null (and degrades health). */
    const field = async <T>(read: () => Promise<T>): Promise<T | null> => {
      try {
        return await read();
      } catch (e) {
        const status = e instanceof DeviceError ? e.details?.["status"] : undefined;
        if (typeof status !== "string") throw e;
        problem ??= { status: "degraded", code: STATUS_HEALTH[status] ?? "device_error", message: (e as Error).message };
        return null;
      }
    };
    const idData = await field(() => this.readRegister(COMMON.modelId));
    const model = this.resolveModel(idData ? idData.toString("hex") : null);
    const patch: Partial<NovastarState> = {};
    patch.modelId = idData ? idData.toString("hex") : this.state.modelId;
    patch.model = model?.name ?? null;
    patch.brightness = await field(async () => rawToPercent((await this.readRegister(COMMON.brightness))[0]!));
    const patterns = testPatternsOf(this.requireOpen().options);
    patch.testPattern = await field(async () => nameOf(patterns, (await this.readRegister(COMMON.testPattern))[0]!));
    const display = this.requireOpen().models.display(model);
    if (display.kind === "receiver") {
      patch.blackout = await field(async () => (await this.readRegister(display.blackout))[0] !== display.off);
      patch.frozen = await field(async () => (await this.readRegister(display.freeze))[0] !== display.off);
    } else {
      const mode = await field(async () => (await this.readRegister(display.mode))[0]!);
      patch.blackout = mode === null ? null : mode === display.blackout;
      patch.frozen = mode === null ? null : mode === display.freeze;
    }
    patch.input = model ? await field(async () => nameOf(model.input.values, (await this.readRegister(model.input.ref))[0]!)) : null;
    this.update(patch);
    this.setHealth(problem ?? this.requireOpen().models.problem ?? { status: "ok" });
    return this.snapshot();
  }

  private async readRegister(ref: RegisterRef): Promise<Buffer> {
    return (await this.exec(ref, { op: "read" })).data;
  }

  /** One request with the driver's timeout (and the action's deadline); health follows the outcome. */
  private async exec(ref: RegisterRef, what: { op: "read" } | { op: "write"; data: Buffer }, actx?: ActionContext): Promise<NovaFrame> {
    const r = this.requireOpen();
    const spec =
      what.op === "read"
        ? { op: "read" as const, target: ref.readTarget, register: ref.register, length: ref.length }
        : { op: "write" as const, target: ref.target, register: ref.register, data: what.data };
    const opts = { timeoutMs: r.options.timeoutMs, ...(actx ? { deadline: actx.deadline, signal: actx.signal } : {}) };
    try {
      const frame = await r.requester.request(spec, opts);
      // Contact is back; the status of a degraded controller is settled by the next clean poll.
      if (this.currentHealth.status === "unreachable") {
        this.setHealth(r.models.problem ?? { status: "ok" });
      }
      return frame;
    } catch (e) {
      if (e instanceof DeviceError) {
        if (e.details?.["stage"] === "reply") this.setHealth({ status: "unreachable", code: "timeout", message: e.message });
        const status = e.details?.["status"];
        if (typeof status === "string") this.setHealth({ status: "degraded", code: STATUS_HEALTH[status] ?? "device_error", message: e.message });
      }
      throw e;
    }
  }

  /** The model for this link: read its id once (unless the options name the model). */
  private async ensureModel(actx: ActionContext): Promise<ModelSpec | null> {
    const { models } = this.requireOpen();
    if (!models.needsId) return this.resolveModel(null);
    const frame = await this.exec(COMMON.modelId, { op: "read" }, actx);
    return this.resolveModel(frame.data.toString("hex"));
  }

  private resolveModel(id: string | null): ModelSpec | null {
    const model = this.requireOpen().models.resolve(id);
    this.update({ ...(id === null ? {} : { modelId: id }), model: model?.name ?? null });
    return model;
  }

  /** First poll after the link opens. Never rejects: the outcome lands in health. */
  private linkUp(): Promise<void> {
    return this.firstPoll("the controller");
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
    r.requester.clear(new DeviceError("not_connected", `transport ${s.state}`));
    r.framer.reset();
    r.models.forget(); // another controller may be on the other end when it comes back
    this.linkLost(s);
  }

  private markLinkOpen(): boolean {
    if (this.linkOpen) return false;
    this.linkOpen = true;
    return true;
  }

  private onBadBytes(bytes: Buffer, reason: BadBytesReason): void {
    const r = this.run;
    if (!r) return;
    if (reason === "checksum") this.state.checksumErrors++;
    const now = r.clock.now();
    const data = { reason, bytes: bytes.subarray(0, 32).toString("hex"), length: bytes.length, checksumErrors: this.state.checksumErrors };
    r.log.debug(data, "bad bytes from the controller link");
    if (now - this.lastReport.garbled < REPORT_INTERVAL_MS) return;
    this.lastReport.garbled = now;
    r.log.warn(data, "garbled bytes from the controller link");
    this.emitEvent({ type: "garbled_frame", message: reason === "checksum" ? "reply with a bad checksum dropped" : "junk bytes dropped", data });
  }

  private onDiscard(frame: NovaFrame, reason: DiscardReason): void {
    const r = this.run;
    if (!r) return;
    this.state.discardedReplies++;
    const data = { reason, serial: frame.serial, register: hexRegister(frame.register), status: statusName(frame.status), total: this.state.discardedReplies };
    r.log.debug(data, "reply matched no request");
    const now = r.clock.now();
    if (now - this.lastReport.discarded < REPORT_INTERVAL_MS) return;
    this.lastReport.discarded = now;
    this.emitEvent({ type: "discarded_reply", message: `reply discarded (${reason.replace("_", " ")})`, data });
  }

  private update(patch: Partial<LedwallStatePatch> | Partial<NovastarState>): void {
    Object.assign(this.state, patch);
    const now = JSON.stringify(this.state);
    if (now === this.lastEmitted) return;
    this.lastEmitted = now;
    this.emit("state", this.snapshot());
  }

  private snapshot(): NovastarState {
    return { ...this.state };
  }
}
