/**
 * The X32 driver's state and its rate-limited `state` event.
 *
 * Pushes (/xremote changes, meters at ~20 Hz) land here as they come; the `state` event fires at
 * most once per `pushIntervalMs` with the latest values (a trailing emit carries whatever changed
 * meanwhile), and only when something changed, so meters never flood MQTT.
 */
import type { Clock, TimerHandle } from "../types.js";

export type ChannelState = {
  /** true = muted (the desk's `mix/on` is 0). */
  muted: boolean | null;
  /** Fader in dB (-90 = -inf), 0.1 dB resolution. */
  levelDb: number | null;
  /** Input level in dBFS from /meters/1 (only /ch/NN strips, only with `meters: true`); -120 = silence. */
  signalDb: number | null;
};

/** A type alias (not an interface) so that it is assignable to the agent's `Record<string, unknown>`. */
export type X32State = {
  channels: Record<string, ChannelState>;
  /** From /xinfo. */
  ip: string | null;
  name: string | null;
  model: string | null;
  firmware: string | null;
  /** The last scene this driver loaded (the desk does not tell us about scenes loaded elsewhere). */
  lastPreset: number | null;
  /** Datagrams that were not valid OSC (bad padding, unknown type tags, truncated) or bad meter blobs. */
  garbledPackets: number;
};

export const STATE_FIELDS = ["channels", "ip", "name", "model", "firmware", "lastPreset", "garbledPackets"] as const;

export function initialState(channelNames: readonly string[] = []): X32State {
  const channels: Record<string, ChannelState> = {};
  for (const n of channelNames) channels[n] = { muted: null, levelDb: null, signalDb: null };
  return { channels, ip: null, name: null, model: null, firmware: null, lastPreset: null, garbledPackets: 0 };
}

export class ThrottledState {
  private state: X32State;
  private lastEmitted = "";
  private lastEmitAt = -Infinity;
  private timer: TimerHandle | null = null;

  constructor(
    channelNames: readonly string[],
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly emit: (s: X32State) => void,
  ) {
    this.state = initialState(channelNames);
  }

  snapshot(): X32State {
    const channels: Record<string, ChannelState> = {};
    for (const [n, c] of Object.entries(this.state.channels)) channels[n] = { ...c };
    return { ...this.state, channels };
  }

  get(): Readonly<X32State> {
    return this.state;
  }

  update(patch: Partial<Omit<X32State, "channels">>): void {
    Object.assign(this.state, patch);
    this.changed();
  }

  updateChannel(name: string, patch: Partial<ChannelState>): void {
    const c = this.state.channels[name];
    if (!c) return;
    Object.assign(c, patch);
    this.changed();
  }

  countGarbled(): number {
    this.state.garbledPackets++;
    this.changed();
    return this.state.garbledPackets;
  }

  /** Cancels a pending trailing emit (driver stopped). */
  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private changed(): void {
    if (this.timer !== null) return; // the pending emit will carry the latest values
    const wait = this.lastEmitAt + this.intervalMs - this.clock.now();
    if (wait <= 0) {
      this.flush();
      return;
    }
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }

  private flush(): void {
    const json = JSON.stringify(this.state);
    if (json === this.lastEmitted) return;
    this.lastEmitted = json;
    this.lastEmitAt = this.clock.now();
    this.emit(this.snapshot());
  }
}
