/**
 * Displays on one RS-232 daisy chain (or behind one TCP port): a request reaches every display,
 * only the addressed one answers; ID FE (broadcast) is obeyed by all and answered by none (MDC
 * protocol v13.7c). Chain-wide faults live here; endpoints (tcp.ts, serial.ts) frame the bytes
 * and deliver the answers.
 */
import type { Clock, Logger, TimerHandle } from "../../drivers/types.js";
import { BROADCAST_ID, MdcCodecError, decodeFrame } from "../../drivers/samsung-mdc/codec.js";
import type { CommonFaults } from "../types.js";
import { MdcDisplay, type MdcDisplayOptions } from "./display.js";

/** Faults of the whole chain: the common ones plus a NAK storm. */
export interface MdcFaults extends CommonFaults {
  /** Every display NAKs every command. */
  nakstorm: boolean;
}

/** Faults with checked setters (a typo at `roomgate sim` is refused, not stored). */
export class FaultControls implements MdcFaults {
  silent = false;
  garbage = false;
  nakstorm = false;
  #slowMs = 0;

  get slowMs(): number {
    return this.#slowMs;
  }
  set slowMs(ms: number) {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`slowMs must be a number >= 0, got ${ms}`);
    this.#slowMs = ms;
  }

  toJSON(): MdcFaults {
    return { silent: this.silent, garbage: this.garbage, slowMs: this.slowMs, nakstorm: this.nakstorm };
  }
}

/**
 * Junk the garbage fault puts before every answer: two stray bytes and a frame with a wrong
 * checksum (a driver must count it and still find the good answer behind it).
 */
export const DEFAULT_GARBAGE = Buffer.from("1337AAFF010341110000", "hex");

export interface ChainOptions {
  displays: Omit<MdcDisplayOptions, "clock" | "bootMs">[];
  clock: Clock;
  bootMs?: number;
  garbageBytes?: Buffer;
  logger?: Logger;
}

export class MdcChain {
  readonly displays = new Map<number, MdcDisplay>();
  readonly faults = new FaultControls();
  /** Request frames that reached the chain (for tests), bounded. */
  readonly heard: Buffer[] = [];
  private readonly garbageBytes: Buffer;
  private readonly timers = new Set<TimerHandle>();

  constructor(private readonly opts: ChainOptions) {
    for (const d of opts.displays) {
      if (this.displays.has(d.id)) throw new Error(`two simulated displays share id ${d.id}`);
      this.displays.set(d.id, new MdcDisplay({ ...d, clock: opts.clock, ...(opts.bootMs === undefined ? {} : { bootMs: opts.bootMs }) }));
    }
    this.garbageBytes = opts.garbageBytes ?? DEFAULT_GARBAGE;
  }

  display(id: number): MdcDisplay {
    const d = this.displays.get(id);
    if (!d) throw new RangeError(`no simulated display with id ${id}; have ${[...this.displays.keys()].join(", ")}`);
    return d;
  }

  /**
   * One request frame from the controller. The answer (if any) goes to `write` after the slow
   * fault's delay; `silent` obeys but answers nothing (a dead transmit line).
   */
  request(frame: Buffer, write: (bytes: Buffer) => void): void {
    let req;
    try {
      req = decodeFrame(frame);
    } catch (e) {
      if (e instanceof MdcCodecError) return; // a display ignores what it cannot read
      throw e;
    }
    this.heard.push(frame);
    if (this.heard.length > 200) this.heard.shift();
    if (req.id === BROADCAST_ID) {
      for (const d of this.displays.values()) d.obey(req);
      return;
    }
    const d = this.displays.get(req.id);
    if (!d) return; // nobody with that id on the chain: silence
    const answer = d.handle(req, this.faults.nakstorm);
    if (this.faults.silent) return;
    const out = this.faults.garbage ? Buffer.concat([this.garbageBytes, answer]) : answer;
    this.after(this.faults.slowMs, () => write(out));
  }

  /** Runs `fn` after `ms` on the chain's clock (at once for 0); cancelled by `cancelPending`. */
  after(ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const t = this.opts.clock.setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** Drops answers still on their way (the cable was pulled). */
  cancelPending(): void {
    for (const t of this.timers) this.opts.clock.clearTimeout(t);
    this.timers.clear();
  }

  close(): void {
    this.cancelPending();
    for (const d of this.displays.values()) d.close();
  }
}
