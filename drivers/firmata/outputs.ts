/**
 * Relays and lamps: what the operator asked for (kept across link losses and board resets, so a
 * re-handshake restores it), writes confirmed by a pin state query, power-cycle pulses and blinking.
 * Timers run on the injected clock and are all released by `close()`.
 */
import type { ActionContext, Clock, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import type { FirmataOptions } from "./options.js";
import type { ResolvedPin } from "./pins.js";
import type { BoardSession } from "./session.js";
import type { FirmataState } from "./state.js";

type LedWish = { on: boolean } | { blinkMs: number };
type OutputPin = ResolvedPin & { kind: "relay" | "led" };

export interface OutputsHost {
  /** The ready session, or null while the board is not ready. */
  session(): BoardSession | null;
  /** Passes a request through the driver's health tracking. */
  track<T>(p: Promise<T>): Promise<T>;
  update(patch: Partial<FirmataState>): void;
}

export class Outputs {
  private readonly relays = new Map<string, boolean>();
  private readonly leds = new Map<string, LedWish>();
  private readonly blinkers = new Map<string, TimerHandle>();
  private readonly pulsing = new Set<string>();
  private readonly sleeps = new Map<TimerHandle, (err: DeviceError) => void>();

  constructor(
    private readonly options: FirmataOptions,
    private readonly clock: Clock,
    private readonly host: OutputsHost,
  ) {
    for (const [name, role] of Object.entries(options.pins)) {
      if ("relay" in role) this.relays.set(name, role.initialOn);
      if ("led" in role) this.leds.set(name, { on: role.initialOn });
    }
  }

  /** After a handshake or a board reset: pin modes, reporting and the wished-for outputs. */
  configure(session: BoardSession): void {
    this.stopBlinkers();
    const levels = new Map<number, number>();
    for (const p of outputPins(session)) levels.set(p.pin, this.wishedLevel(p));
    session.configure(levels);
    for (const [name, wish] of this.leds) if ("blinkMs" in wish) this.startBlinker(session, name, wish.blinkMs);
    this.publishWishes();
  }

  linkDown(): void {
    this.stopBlinkers();
  }

  close(): void {
    this.stopBlinkers();
    for (const [t, reject] of this.sleeps) {
      this.clock.clearTimeout(t);
      reject(new DeviceError("cancelled", "driver stopped"));
    }
    this.sleeps.clear();
  }

  async setRelay(name: string, on: boolean, ctx: ActionContext): Promise<void> {
    const p = this.pin(name, "relay");
    if (this.pulsing.has(name)) throw new DeviceError("busy", `relay "${name}" is being power-cycled`);
    this.relays.set(name, on);
    await this.writeConfirmed(p, ctx);
    this.host.update({ relays: { [name]: on } });
  }

  /** Off for `ms`, then on; resolves once the board reports the relay on again. */
  async pulseRelay(name: string, ms: number, ctx: ActionContext): Promise<void> {
    const p = this.pin(name, "relay");
    if (this.pulsing.has(name)) throw new DeviceError("busy", `relay "${name}" is already being power-cycled`);
    const left = ctx.deadline - this.clock.now();
    if (ms + 2 * this.options.timeoutMs > left) {
      throw new DeviceError("invalid_args", `a ${ms} ms power-cycle cannot finish before the command's deadline (${left} ms left)`);
    }
    this.pulsing.add(name);
    try {
      this.relays.set(name, false);
      await this.writeConfirmed(p, ctx);
      this.host.update({ relays: { [name]: false } });
      await this.sleep(ms, ctx);
      this.relays.set(name, true);
      await this.writeConfirmed(p, ctx);
      this.host.update({ relays: { [name]: true } });
    } finally {
      // Power comes back even when the pulse failed half-way: the next handshake writes it.
      this.relays.set(name, true);
      this.pulsing.delete(name);
    }
  }

  async setLed(name: string, on: boolean, ctx: ActionContext): Promise<void> {
    const p = this.pin(name, "led");
    this.stopBlinker(name);
    this.leds.set(name, { on });
    await this.writeConfirmed(p, ctx);
    this.host.update({ leds: { [name]: on ? "on" : "off" } });
  }

  async blinkLed(name: string, ms: number, ctx: ActionContext): Promise<void> {
    const p = this.pin(name, "led");
    this.stopBlinker(name);
    this.leds.set(name, { on: true });
    await this.writeConfirmed(p, ctx);
    this.leds.set(name, { blinkMs: ms });
    this.startBlinker(this.requireSession(), name, ms);
    this.host.update({ leds: { [name]: "blinking" } });
  }

  /** The board's own view of every output (one pin state query each). */
  async readBack(): Promise<Partial<FirmataState>> {
    const session = this.requireSession();
    const pins = outputPins(session);
    const relays: FirmataState["relays"] = {};
    const leds: FirmataState["leds"] = {};
    if (pins.length === 0 && session.pins[0]) {
      // Nothing to read back, but the poll must still prove the board answers.
      await this.host.track(session.queryPinState(session.pins[0].pin, this.options.timeoutMs));
    }
    for (const p of pins) {
      const st = await this.host.track(session.queryPinState(p.pin, this.options.timeoutMs));
      if (p.kind === "relay") relays[p.name] = st.state === (p.activeHigh ? 1 : 0);
      else leds[p.name] = this.blinkers.has(p.name) ? "blinking" : st.state ? "on" : "off";
    }
    return { relays, leds };
  }

  private async writeConfirmed(p: OutputPin, ctx: ActionContext): Promise<void> {
    const session = this.requireSession();
    const left = ctx.deadline - this.clock.now();
    if (left <= 0) throw new DeviceError("timeout", "the action's deadline passed before it was sent");
    const level = this.wishedLevel(p);
    session.write(p.pin, level);
    const st = await this.host.track(session.queryPinState(p.pin, Math.min(this.options.timeoutMs, left)));
    if (st.state !== level) {
      throw new DeviceError("device_error", `the board reports pin ${p.pin} (${p.name}) ${st.state ? "high" : "low"} after it was set ${level ? "high" : "low"}`);
    }
  }

  private wishedLevel(p: OutputPin): 0 | 1 {
    if (p.kind === "relay") return (this.relays.get(p.name) ?? false) === p.activeHigh ? 1 : 0;
    const wish = this.leds.get(p.name);
    if (wish === undefined) return 0;
    return "blinkMs" in wish || wish.on ? 1 : 0;
  }

  private publishWishes(): void {
    const relays: FirmataState["relays"] = Object.fromEntries(this.relays);
    const leds: FirmataState["leds"] = {};
    for (const [name, wish] of this.leds) leds[name] = "blinkMs" in wish ? "blinking" : wish.on ? "on" : "off";
    this.host.update({ relays, leds });
  }

  private startBlinker(session: BoardSession, name: string, ms: number): void {
    const p = session.pins.find((x) => x.name === name);
    if (!p) return;
    let level: 0 | 1 = 1;
    this.blinkers.set(
      name,
      this.clock.setInterval(() => {
        level = level ? 0 : 1;
        session.write(p.pin, level);
      }, ms),
    );
  }

  private stopBlinker(name: string): void {
    const t = this.blinkers.get(name);
    if (t === undefined) return;
    this.clock.clearInterval(t);
    this.blinkers.delete(name);
  }

  private stopBlinkers(): void {
    for (const name of [...this.blinkers.keys()]) this.stopBlinker(name);
  }

  private sleep(ms: number, ctx: ActionContext): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.clock.clearTimeout(t);
        this.sleeps.delete(t);
        reject(new DeviceError("cancelled", "the power-cycle was cancelled"));
      };
      const t = this.clock.setTimeout(() => {
        this.sleeps.delete(t);
        ctx.signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      this.sleeps.set(t, (err) => {
        ctx.signal.removeEventListener("abort", onAbort);
        reject(err);
      });
      ctx.signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private pin(name: string, kind: "relay" | "led"): OutputPin {
    const role = this.options.pins[name];
    if (!role || !(kind in role)) {
      const names = Object.entries(this.options.pins).filter(([, r]) => kind in r).map(([n]) => n);
      throw new DeviceError("invalid_args", `no ${kind} named "${name}"; ${kind}s: ${names.join(", ") || "none"}`);
    }
    const p = this.requireSession().pins.find((x) => x.name === name);
    if (!p || (p.kind !== "relay" && p.kind !== "led")) throw new DeviceError("internal", `pin "${name}" not resolved`);
    return p;
  }

  private requireSession(): BoardSession {
    const s = this.host.session();
    if (!s) throw new DeviceError("not_connected", "the Firmata board is not connected (or its handshake is not done)");
    return s;
  }
}

function outputPins(session: BoardSession): OutputPin[] {
  return session.pins.filter((p): p is OutputPin => p.kind === "relay" || p.kind === "led");
}
