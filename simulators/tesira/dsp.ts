/**
 * The simulated Tesira DSP: blocks, presets, sessions with their subscriptions, boot and faults.
 * Endpoints (telnet over TCP, a serial pty) feed it command lines per session and write back what
 * the session prints. It answers as PROTOCOLS.md and the Biamp TTP pages describe, written out
 * here by hand (it shares no code with the driver, so a driver bug cannot hide behind it):
 * echo of each command, `+OK "value":-10.000000`, `-ERR address not found: {...}`,
 * `! "publishToken":"X" "value":V` pushes (first one before the subscribe's `+OK`).
 */
import type { Clock, TimerHandle } from "../../drivers/types.js";
import type { CommonFaults } from "../types.js";
import { Block, formatLevel, type BlockSpec, type PresetSpec } from "./blocks.js";
import { runCommand } from "./commands.js";

export const BANNER = "Welcome to the Tesira Text Protocol Server...";

export interface TesiraFaults extends CommonFaults {
  /** Echo every command this many times over, and stray echoes between answers. */
  echostorm: boolean;
}

export interface DspOptions {
  clock: Clock;
  blocks: BlockSpec[];
  presets: PresetSpec[];
  firmware: string;
  /** Reboot to banner (ms). */
  bootMs: number;
  /** Push subscribed levels every subscription interval even when unchanged (meters do). */
  periodicPushes: boolean;
  /** What the garbage fault puts before answers. */
  garbage: string;
}

export interface Subscription {
  block: Block;
  attribute: "level" | "mute";
  index: number;
  token: string;
  timer?: TimerHandle;
}

/** One TTP session (a telnet connection, or the serial port). */
export class DspSession {
  readonly subs = new Map<string, Subscription>();
  verbose = true;
  constructor(
    readonly dsp: TesiraDsp,
    private readonly out: (text: string) => void,
  ) {}

  /** One command line as typed. */
  line(text: string): void {
    this.dsp.handle(this, text);
  }

  print(lines: string[]): void {
    if (lines.length > 0) this.out(lines.map((l) => `${l}\r\n`).join(""));
  }

  dropSubscriptions(): void {
    for (const s of this.subs.values()) if (s.timer !== undefined) this.dsp.clock.clearInterval(s.timer);
    this.subs.clear();
  }

  close(): void {
    this.dropSubscriptions();
    this.dsp.sessions.delete(this);
  }
}

export class TesiraDsp {
  readonly clock: Clock;
  readonly blocks = new Map<string, Block>();
  readonly presets: Map<number, PresetSpec>;
  readonly sessions = new Set<DspSession>();
  readonly faults: TesiraFaults = { silent: false, garbage: false, slowMs: 0, echostorm: false };
  readonly firmware: string;
  /** Every command line received (answered or not: silent, booting), for tests. */
  readonly received: string[] = [];
  booting = false;
  private readonly opts: DspOptions;
  private readonly timers = new Set<TimerHandle>();

  constructor(opts: DspOptions) {
    this.opts = opts;
    this.clock = opts.clock;
    this.firmware = opts.firmware;
    this.presets = new Map(opts.presets.map((p) => [p.id, p]));
    this.loadDesign();
  }

  openSession(out: (text: string) => void): DspSession {
    const s = new DspSession(this, out);
    this.sessions.add(s);
    return s;
  }

  block(tag: string): Block {
    const b = this.blocks.get(tag);
    if (!b) throw new Error(`no block ${tag}`);
    return b;
  }

  /** Handles one line of a session: echo, then the answer (unless a fault says otherwise). */
  handle(session: DspSession, text: string): void {
    const line = text.trim();
    if (line === "") return;
    this.received.push(line);
    if (this.faults.silent || this.booting) return;
    const echoes = this.faults.echostorm ? 25 : 1;
    session.print(Array.from({ length: echoes }, () => line));
    const answer = runCommand(this, session, line);
    if (this.faults.garbage) answer.unshift(this.opts.garbage);
    if (this.faults.echostorm) answer.push(...Array.from({ length: 10 }, () => line));
    this.later(this.faults.slowMs, () => session.print(answer));
  }

  /** Sets a value the way the DSP does (clamped), pushing it to every subscribed session. */
  setValue(block: Block, attribute: "level" | "mute", index: number, value: number | boolean): void {
    const i = index - 1;
    if (attribute === "level") {
      const v = block.clamp(value as number);
      if (block.levels[i] === v) return;
      block.levels[i] = v;
    } else {
      if (block.mutes[i] === value) return;
      block.mutes[i] = value as boolean;
    }
    for (const s of this.sessions) {
      for (const sub of s.subs.values()) {
        if (sub.block === block && sub.attribute === attribute && sub.index === index) this.push(s, sub);
      }
    }
  }

  pushLine(sub: Subscription): string {
    const i = sub.index - 1;
    const v = sub.attribute === "level" ? formatLevel(sub.block.levels[i]!) : String(sub.block.mutes[i]);
    return `! "publishToken":"${sub.token}" "value":${v}`;
  }

  push(session: DspSession, sub: Subscription): void {
    if (this.booting || this.faults.silent) return;
    session.print([this.pushLine(sub)]);
  }

  /** Periodic pushes of a level subscription (`ms` > 0). */
  startPeriodic(session: DspSession, sub: Subscription, ms: number): void {
    if (!this.opts.periodicPushes || sub.attribute !== "level" || ms <= 0) return;
    sub.timer = this.clock.setInterval(() => this.push(session, sub), Math.max(ms, 50));
  }

  recallPreset(id: number): boolean {
    const p = this.presets.get(id);
    if (!p) return false;
    for (const s of p.set) {
      const b = this.blocks.get(s.tag);
      if (b) this.setValue(b, s.attribute, s.index, s.value);
    }
    return true;
  }

  /**
   * Reboots: every session loses its subscriptions, the design's boot values come back, nothing is
   * answered for `bootMs`, then each session prints the Welcome banner again.
   */
  reboot(bootMs = this.opts.bootMs): void {
    this.booting = true;
    for (const s of this.sessions) s.dropSubscriptions();
    this.loadDesign();
    this.later(bootMs, () => {
      this.booting = false;
      for (const s of this.sessions) s.print([BANNER]);
    });
  }

  close(): void {
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    for (const s of [...this.sessions]) s.close();
  }

  private later(ms: number, fn: () => void): void {
    if (ms <= 0) return fn();
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private loadDesign(): void {
    this.blocks.clear();
    for (const spec of this.opts.blocks) this.blocks.set(spec.tag, new Block(spec));
  }
}
