/**
 * Stand-ins for the codec module's tests, while the real Poly and Cisco drivers are being written:
 *
 * - a codec driver that speaks the codec vocabulary (drivers/codec/vocabulary.ts) over the simulated
 *   MCU (simulators/codec-mcu: far ends that answer, reject, never answer or hang up; loss and jitter
 *   storms), with no transport, on the agent's clock. It reads its call statistics every `statsMs`,
 *   as a real driver polls them, and emits `call.ended` with `local` as the vocabulary says;
 * - an encryptor whose security state a test sets (for the secure-session interlock);
 * - a lamp whose action notes how many calls the codecs have when it runs (to prove an order).
 *
 * Every action any of them runs is noted in the loader's `log` (`codec-1 call.hangup *`). Injected
 * with `AgentOptions.loadDriver`, as test/faults/ticker-driver.ts is.
 */
import { EventEmitter } from "node:events";
import { z } from "zod";
import type { DriverModule } from "../../agent/drivers.js";
import { DeviceError, type ActionTable, type Clock, type Driver, type DriverContext, type DriverEvents, type Health, type TimerHandle } from "../../drivers/types.js";
import {
  CODEC_STATE_FIELDS, codecActionArgs, isRegistered, type CallEnded, type CallQuality, type CodecState, type Registration,
} from "../../drivers/codec/vocabulary.js";
import { readiness as codecReadiness } from "../../drivers/codec/readiness.js";
import { SimulatedMcu, type McuCall, type McuEvent, type NumberBehaviour } from "../../simulators/codec-mcu/mcu.js";

const optionsSchema = z.object({
  /** Dial string -> how the far end behaves (default: answers after 300 ms). */
  numbers: z.record(z.string(), z.custom<NumberBehaviour>()).default({}),
  /** How often the call statistics are read. */
  statsMs: z.number().int().positive().default(1000),
  /** How long the codec rings before it gives up (`no_answer`). */
  giveUpMs: z.number().int().positive().default(20_000),
  registered: z.boolean().default(true),
  standby: z.boolean().default(false),
  muted: z.boolean().default(false),
});

export class StandInCodec extends EventEmitter<DriverEvents<CodecState>> implements Driver<CodecState> {
  readonly kind = "codec" as const;
  readonly protocol = "standin-codec";
  readonly stateFields = CODEC_STATE_FIELDS;
  readonly actions: ActionTable;
  id = "";
  mcu!: SimulatedMcu;
  private clock!: Clock;
  private opts!: z.output<typeof optionsSchema>;
  private statsTimer: TimerHandle | undefined;
  private readonly readings = new Map<number, CallQuality>();
  private readonly givenUp = new Set<number>();
  private muted = false;
  private standby = false;
  private volume = 50;
  private current: Health = { status: "unknown" };

  constructor(private readonly log: string[]) {
    super();
    const note = (line: string) => this.log.push(`${this.id} ${line}`);
    this.actions = {
      "call.dial": {
        description: "Dials.",
        args: codecActionArgs["call.dial"],
        run: async (raw: unknown, actx) => {
          const a = codecActionArgs["call.dial"].parse(raw);
          note(`call.dial ${a.number}`);
          return this.dial(a.number, a.protocol === "h323" ? "h323" : "sip", a.rateKbps ?? 1920, actx.signal);
        },
      },
      "call.hangup": {
        description: "Hangs up.",
        args: codecActionArgs["call.hangup"],
        run: async (raw: unknown) => {
          const a = codecActionArgs["call.hangup"].parse(raw);
          note(`call.hangup ${a.callId ?? "*"}`);
          for (const c of this.mcu.active()) if (a.callId === undefined || String(c.id) === a.callId) this.mcu.hangup(c.id);
          return {};
        },
      },
      "mic.mute": {
        description: "Mutes the microphones.",
        args: codecActionArgs["mic.mute"],
        run: async (raw: unknown) => {
          this.muted = codecActionArgs["mic.mute"].parse(raw).on;
          note(`mic.mute ${this.muted}`);
          this.emitState();
          return {};
        },
      },
      "standby.set": {
        description: "Standby or wake.",
        args: codecActionArgs["standby.set"],
        run: async (raw: unknown) => {
          this.standby = codecActionArgs["standby.set"].parse(raw).on;
          note(`standby.set ${this.standby}`);
          this.emitState();
          return {};
        },
      },
      "volume.set": {
        description: "Volume.",
        args: codecActionArgs["volume.set"],
        run: async (raw: unknown) => {
          this.volume = codecActionArgs["volume.set"].parse(raw).percent;
          this.emitState();
          return {};
        },
      },
    };
  }

  get health(): Health {
    return { ...this.current };
  }

  async start(ctx: DriverContext): Promise<void> {
    this.id = ctx.deviceId;
    this.clock = ctx.clock;
    this.opts = optionsSchema.parse(ctx.options);
    this.muted = this.opts.muted;
    this.standby = this.opts.standby;
    this.mcu = new SimulatedMcu({ clock: ctx.clock, numbers: this.opts.numbers, registered: { sip: this.opts.registered, h323: false } });
    this.mcu.on((e) => this.onMcu(e));
    this.statsTimer = ctx.clock.setInterval(() => this.readStats(), this.opts.statsMs);
    this.setHealth();
  }

  async stop(): Promise<void> {
    if (this.statsTimer !== undefined) this.clock.clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    this.mcu?.close();
  }

  async poll(): Promise<CodecState> {
    return this.state();
  }

  /** Calls not yet ended (the test's view of the far side). */
  get activeCalls(): McuCall[] {
    return this.mcu.active();
  }

  private dial(number: string, protocol: "sip" | "h323", rateKbps: number, signal: AbortSignal): Promise<Record<string, unknown>> {
    const call = this.mcu.dial(number, protocol, rateKbps);
    this.emitState();
    return new Promise((resolve, reject) => {
      const giveUp = this.clock.setTimeout(() => {
        this.givenUp.add(call.id);
        this.mcu.hangup(call.id);
      }, this.opts.giveUpMs);
      const done = () => {
        off();
        this.clock.clearTimeout(giveUp);
        signal.removeEventListener("abort", onAbort);
      };
      // The command's deadline: the answer is the runner's `timeout`; the call rings on, as a codec's would.
      const onAbort = () => done();
      signal.addEventListener("abort", onAbort, { once: true });
      const off = this.mcu.on((e) => {
        if (e.type !== "call" || e.call.id !== call.id) return;
        if (e.call.state === "connected") {
          done();
          resolve({}); // like Poly's dial: the call's id is in the state, not in the answer
        } else if (e.call.state === "ended") {
          done();
          reject(endError(e.call, this.givenUp.has(call.id)));
        }
      });
    });
  }

  private onMcu(e: McuEvent): void {
    if (e.type === "registration") {
      this.setHealth();
    } else if (e.call.state === "ended") {
      this.readings.delete(e.call.id);
      this.emit("event", { type: "call.ended", data: { ...this.ended(e.call) } });
    }
    this.emitState();
  }

  private ended(c: McuCall): CallEnded {
    const noAnswer = this.givenUp.has(c.id);
    const reason = noAnswer ? "no_answer" : c.endReason === "local" ? "local" : c.endReason === "rejected" ? "rejected" : c.endReason === "network" ? "network" : "remote";
    return {
      callId: String(c.id), remote: c.number, direction: c.direction, local: c.endReason === "local",
      cause: c.endCause ?? "unknown", reason, connectedMs: c.connectedAt === undefined ? 0 : c.since - c.connectedAt,
    };
  }

  /** The statistics of every connected call, read now (as a driver's periodic stats poll). */
  private readStats(): void {
    for (const c of this.mcu.active()) {
      const m = this.mcu.media(c.id);
      if (m) this.readings.set(c.id, { audio: m.audio, video: m.video, at: this.clock.now() });
    }
    this.emitState();
  }

  private state(): CodecState {
    const reg = (on: boolean): Registration => (on ? { status: "registered", detail: "Registered" } : { status: "failed", detail: "Failed: 408 Request Timeout" });
    const registration = { sip: reg(this.mcu.registration.sip), h323: { status: "disabled" as const, detail: "Off" } };
    return {
      model: "Stand-in codec",
      software: "1.0",
      registration,
      registered: isRegistered(registration),
      calls: this.mcu.active().map((c) => {
        const q = this.readings.get(c.id);
        return {
          id: String(c.id), direction: c.direction, remote: c.number, remoteName: c.name,
          state: c.state === "connected" ? "connected" : "ringing", protocol: c.protocol, rateKbps: c.rateKbps, since: c.since,
          ...(q ? { quality: q } : {}),
        };
      }),
      mic: { muted: this.muted },
      volume: this.volume,
      standby: this.standby,
      content: { active: false },
      camera: { source: 1 },
    };
  }

  private emitState(): void {
    this.emit("state", this.state());
  }

  private setHealth(): void {
    this.current = this.mcu.registration.sip ? { status: "ok" } : { status: "degraded", code: "not_registered", message: "SIP: Failed: 408 Request Timeout" };
    this.emit("health", this.health);
  }
}

function endError(c: McuCall, gaveUp: boolean): DeviceError {
  if (gaveUp) return new DeviceError("no_answer", `${c.number} did not answer`);
  if (c.endCause === "not-registered") return new DeviceError("not_registered", "the codec is not registered");
  if (c.endReason === "rejected") return new DeviceError("call_rejected", `${c.number} refused the call: ${c.endCause}`);
  return new DeviceError("call_dropped", `the call to ${c.number} ended before it connected: ${c.endCause}`);
}

type EncState = { state: string; secure: boolean };

/** A read-only encryptor whose state the test sets (`set("BYPASS")`). */
export class StandInEncryptor extends EventEmitter<DriverEvents<EncState>> implements Driver<EncState> {
  readonly kind = "crypto" as const;
  readonly protocol = "standin-enc";
  readonly actions: ActionTable = {};
  readonly stateFields = ["state", "secure"] as const;
  readonly health: Health = { status: "ok" };
  private word = "SECURE";
  async start(): Promise<void> {
    this.emit("health", this.health);
  }
  async stop(): Promise<void> {}
  async poll(): Promise<EncState> {
    return { state: this.word, secure: this.word === "SECURE" };
  }
  set(word: string): void {
    this.word = word;
    this.emit("state", { state: word, secure: word === "SECURE" });
  }
}

/** A lamp whose `lamp.set` notes the codecs' active calls at the moment it runs. */
class StandInLamp extends EventEmitter<DriverEvents<{ on: boolean }>> implements Driver<{ on: boolean }> {
  readonly kind = "gpio" as const;
  readonly protocol = "standin-lamp";
  readonly stateFields = ["on"] as const;
  readonly health: Health = { status: "ok" };
  readonly actions: ActionTable;
  private id = "";
  private lit = false;
  constructor(log: string[], calls: () => number) {
    super();
    this.actions = {
      "lamp.set": {
        description: "On-air lamp.",
        args: z.strictObject({ on: z.boolean() }),
        run: async (raw: unknown) => {
          this.lit = (raw as { on: boolean }).on;
          log.push(`${this.id} lamp.set ${this.lit} (calls up: ${calls()})`);
          return {};
        },
      },
    };
  }
  async start(ctx: DriverContext): Promise<void> {
    this.id = ctx.deviceId;
    this.emit("health", this.health);
  }
  async stop(): Promise<void> {}
  async poll(): Promise<{ on: boolean }> {
    return { on: this.lit };
  }
}

/** A driver loader for `Agent({ loadDriver })` knowing the three stand-ins; what each made, by device id. */
export function standInLoader(): {
  loadDriver: (protocol: string) => Promise<DriverModule>;
  codecs: Map<string, StandInCodec>;
  encryptors: StandInEncryptor[];
  log: string[];
} {
  const log: string[] = [];
  const codecs = new Map<string, StandInCodec>();
  const encryptors: StandInEncryptor[] = [];
  const calls = () => [...codecs.values()].reduce((n, c) => n + c.activeCalls.length, 0);
  const modules: Record<string, DriverModule> = {
    "standin-codec": {
      readiness: codecReadiness,
      createDriver: () => {
        const d = new StandInCodec(log);
        // Known by its id once started (the agent hands the id in start()).
        const start = d.start.bind(d);
        d.start = async (ctx) => {
          codecs.set(ctx.deviceId, d);
          return start(ctx);
        };
        return d as unknown as Driver;
      },
    },
    "standin-enc": {
      createDriver: () => {
        const d = new StandInEncryptor();
        encryptors.push(d);
        return d;
      },
    },
    "standin-lamp": { createDriver: () => new StandInLamp(log, calls) as unknown as Driver },
  };
  return {
    codecs,
    encryptors,
    log,
    loadDriver: async (protocol) => {
      const m = modules[protocol];
      if (!m) throw new Error(`the stand-in loader knows ${Object.keys(modules).join(", ")}, not "${protocol}"`);
      return m;
    },
  };
}
