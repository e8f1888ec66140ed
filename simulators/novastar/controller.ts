/**
 * A simulated NovaStar sending controller with its receiving cards: register memory, replies and
 * fault controls. Transport-free: an endpoint (tcp.ts, serial.ts) feeds it decoded requests and
 * writes its replies.
 *
 * The register map is written here from PROTOCOLS.md, on purpose NOT imported from the driver's
 * registers.ts: a wrong driver table must show up as a `bad command` (status 04) from the
 * simulator, not hide behind a shared table. Registers the model does not have answer status 04.
 */
import { systemClock } from "../../drivers/clock.js";
import { encodeReply, STATUS, type NovaFrame } from "../../drivers/novastar/codec.js";
import type { Clock, TimerHandle } from "../../drivers/types.js";
import type { CommonFaults } from "../types.js";

/** One simulated model: id, input register and values, and how it blacks out / freezes. */
export interface SimModel {
  modelId: string;
  inputRegister: number;
  inputs: Record<string, number>;
}

/** From PROTOCOLS.md (inputs) and the Companion module's model ids. */
export const SIM_MODELS: Readonly<Record<string, SimModel>> = {
  mctrl4k: { modelId: "0311", inputRegister: 0x02000023, inputs: { dvi: 0x61, hdmi: 0x05, dp: 0x5f } },
  vx4s: {
    modelId: "0661",
    inputRegister: 0x0220002d,
    inputs: { dvi: 0x10, hdmi: 0xa0, dp: 0x90, vga1: 0x01, vga2: 0x02, cvbs1: 0x71, cvbs2: 0x72, sdi: 0x40 },
  },
};

const REG = {
  modelId: 0x00000002,
  brightness: 0x02000001,
  blackout: 0x02000100,
  testPattern: 0x02000101,
  freeze: 0x02000102,
  displayMode: 0x02200050,
} as const;

export interface NovastarFaults extends CommonFaults {
  /** Answer every request with this status byte (1 timeout, 2/3 check error, 4 bad command); null = off. */
  status: number | null;
  /** Send replies with a wrong checksum. */
  badChecksum: boolean;
  /** Send replies with serial + 1 instead of the request's serial. */
  wrongSerial: boolean;
}

/** Setters check their value, so a typo at `roomgate sim` is refused there, not later. */
export class FaultControls implements NovastarFaults {
  silent = false;
  garbage = false;
  badChecksum = false;
  wrongSerial = false;
  #slowMs = 0;
  #status: number | null = null;

  get slowMs(): number {
    return this.#slowMs;
  }
  set slowMs(ms: number) {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`slowMs must be a number >= 0, got ${ms}`);
    this.#slowMs = ms;
  }
  get status(): number | null {
    return this.#status;
  }
  set status(code: number | null) {
    if (code !== null && (!Number.isInteger(code) || code < 1 || code > 4)) {
      throw new RangeError(`status must be 1..4 (1 timeout, 2/3 check error, 4 bad command) or off, got ${code}`);
    }
    this.#status = code;
  }
  toJSON(): NovastarFaults {
    return {
      silent: this.silent, garbage: this.garbage, slowMs: this.slowMs, status: this.status,
      badChecksum: this.badChecksum, wrongSerial: this.wrongSerial,
    };
  }
}

export interface ControllerOptions {
  /** `mctrl4k` (default) or `vx4s`. */
  model?: string;
  /** Model id to report (4 hex digits), instead of the model's own. */
  modelId?: string;
  /** `receiver` (default): blackout/freeze bytes on the receiving cards; `controller`: display-mode register 0x02200050. */
  display?: "receiver" | "controller";
  /** Brightness register at start, 0..255 (default 0xFF). */
  brightness?: number;
  /** Input at start (default the model's first). */
  input?: string;
  /** Echo the written data in write replies (default false, as MCTRL300 captures show). */
  echoWriteData?: boolean;
  /** Junk the garbage fault puts before each reply (default `AA 55 13 00 FE`: a fake reply header). */
  garbageBytes?: Buffer;
  clock?: Clock;
}

/** Sends bytes back to whoever asked. */
export type ReplyFn = (bytes: Buffer) => void;

export class NovastarController {
  readonly faults = new FaultControls();
  readonly model: SimModel;
  readonly display: "receiver" | "controller";
  /** Requests received (latest 100), for tests to assert what the driver sent. */
  readonly requests: NovaFrame[] = [];
  readonly counters = { requests: 0, replies: 0, badCommands: 0 };
  private readonly memory: [Map<number, number>, Map<number, number>] = [new Map(), new Map()];
  private readonly clock: Clock;
  private readonly echoWriteData: boolean;
  private readonly garbageBytes: Buffer;
  private readonly timers = new Set<TimerHandle>();

  constructor(opts: ControllerOptions = {}) {
    const name = opts.model ?? "mctrl4k";
    const model = SIM_MODELS[name];
    if (!model) throw new RangeError(`unknown simulated model "${name}"; one of ${Object.keys(SIM_MODELS).join(", ")}`);
    this.model = model;
    this.display = opts.display ?? "receiver";
    this.clock = opts.clock ?? systemClock;
    this.echoWriteData = opts.echoWriteData ?? false;
    this.garbageBytes = opts.garbageBytes ?? Buffer.from([0xaa, 0x55, 0x13, 0x00, 0xfe]);
    const id = Buffer.from(opts.modelId ?? model.modelId, "hex");
    if (id.length !== 2) throw new RangeError(`modelId must be 4 hex digits, got "${opts.modelId}"`);
    const [ctrl, recv] = this.memory;
    ctrl.set(REG.modelId, id[0]!).set(REG.modelId + 1, id[1]!);
    const input = opts.input ?? Object.keys(model.inputs)[0]!;
    const inputValue = model.inputs[input];
    if (inputValue === undefined) throw new RangeError(`unknown input "${input}"; one of ${Object.keys(model.inputs).join(", ")}`);
    ctrl.set(model.inputRegister, inputValue);
    recv.set(REG.brightness, opts.brightness ?? 0xff).set(REG.testPattern, 0);
    if (this.display === "receiver") recv.set(REG.blackout, 0).set(REG.freeze, 0);
    else ctrl.set(REG.displayMode, 0);
  }

  /** Answers one request (after the faults have had their say). */
  handle(req: NovaFrame, reply: ReplyFn): void {
    this.counters.requests++;
    this.requests.push(req);
    if (this.requests.length > 100) this.requests.shift();
    if (this.faults.silent) return;
    const bytes = this.answer(req);
    let out = bytes;
    if (this.faults.badChecksum) {
      out = Buffer.from(bytes);
      out[out.length - 2] = out[out.length - 2]! ^ 0x5a;
    }
    if (this.faults.garbage) out = Buffer.concat([this.garbageBytes, out]);
    const send = () => {
      this.counters.replies++;
      reply(out);
    };
    if (this.faults.slowMs <= 0) return send();
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t);
      send();
    }, this.faults.slowMs);
    this.timers.add(t);
  }

  // ---- what a technician (or a test) would see on the wall ----

  /** Raw brightness register 0..255. */
  get brightness(): number {
    return this.byte(1, REG.brightness);
  }
  get blackout(): boolean {
    return this.display === "receiver" ? this.byte(1, REG.blackout) !== 0 : this.byte(0, REG.displayMode) === 2;
  }
  get frozen(): boolean {
    return this.display === "receiver" ? this.byte(1, REG.freeze) !== 0 : this.byte(0, REG.displayMode) === 1;
  }
  /** Raw test pattern register (0 = off). */
  get testPattern(): number {
    return this.byte(1, REG.testPattern);
  }
  /** Input name, or `0xNN` for a value the model has no name for. */
  get input(): string {
    const v = this.byte(0, this.model.inputRegister);
    const name = Object.entries(this.model.inputs).find(([, x]) => x === v)?.[0];
    return name ?? `0x${v.toString(16).padStart(2, "0")}`;
  }

  /** Cancels pending (slow) replies. */
  close(): void {
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
  }

  private byte(deviceType: 0 | 1, register: number): number {
    return this.memory[deviceType].get(register) ?? 0;
  }

  private answer(req: NovaFrame): Buffer {
    const serial = this.faults.wrongSerial ? (req.serial + 1) & 0xff : req.serial;
    const asked = { ...req, serial };
    if (this.faults.status !== null) return encodeReply(asked, { status: this.faults.status });
    const mem = req.deviceType === 0 || req.deviceType === 1 ? this.memory[req.deviceType] : undefined;
    const count = req.op === "read" ? req.length : req.data.length;
    const known = mem !== undefined && count > 0 && Array.from({ length: count }, (_, i) => mem.has(req.register + i)).every(Boolean);
    if (!mem || !known) {
      this.counters.badCommands++;
      return encodeReply(asked, { status: STATUS.badCommand });
    }
    if (req.op === "read") {
      const data = Buffer.from(Array.from({ length: count }, (_, i) => mem.get(req.register + i)!));
      return encodeReply(asked, { data });
    }
    req.data.forEach((b, i) => mem.set(req.register + i, b));
    return encodeReply(asked, { echoWriteData: this.echoWriteData });
  }
}
