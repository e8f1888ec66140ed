/**
 * One firmata-io board on one open link: the handshake (bounded by our clock), the pin setup, and
 * the reads and writes the driver needs. A reopened link gets a new session; `close()` releases
 * everything (firmata-io's own version timer included, it is a global setTimeout).
 */
import firmataIo, { type FirmataBoard } from "firmata-io";
import type { Clock, Logger, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import type { Transport } from "../transport/types.js";
import { encodePinMode, MODE, type BoardMessage } from "./codec.js";
import type { FirmataOptions } from "./options.js";
import { PinConfigError, resolvePins, type ResolvedPin } from "./pins.js";
import { TransportPort, type GarbageReason } from "./port.js";

export interface SessionEvents {
  onDigital(pin: ResolvedPin & { kind: "switch" }, level: number): void;
  onAnalog(pin: ResolvedPin & { kind: "thermometer" }, raw: number): void;
  onContact(): void;
  onGarbage(bytes: Buffer, reason: GarbageReason, detail?: string): void;
  /** A version report after the handshake: the board may have reset and lost its pin setup. */
  onBoardReset(unsolicited: boolean): void;
}

export interface SessionInfo {
  firmware: string;
  pins: ResolvedPin[];
}

/** Repeated version queries are at least this far apart. */
const MIN_REQUERY_MS = 250;

/** Thrown by `handshake()` when the board's pins cannot serve the config (health fault/bad_config). */
export class SessionConfigError extends DeviceError {}

export class BoardSession {
  private readonly io: FirmataBoard;
  private readonly port: TransportPort;
  private readonly timers = new Set<TimerHandle>();
  private readonly pending = new Set<(err: unknown) => void>();
  private ready = false;
  private versionSeen = false;
  /** When we last asked for the version: an answer within `timeoutMs` of it is not a board reset. */
  private lastQueryAt = -Infinity;
  /** Version then firmware name seen: firmata-io's handshake moves on to the capability query. */
  private announced = false;
  private closed = false;
  pins: ResolvedPin[] = [];

  constructor(
    transport: Transport,
    private readonly options: FirmataOptions,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly events: SessionEvents,
  ) {
    this.port = new TransportPort(
      transport,
      {
        onMessage: (m) => this.onMessage(m),
        onGarbage: (b, r, d) => this.events.onGarbage(b, r, d),
        onWriteError: (err) => this.log.debug({ err: String(err) }, "write to the board failed"),
      },
      () => this.io.pins.length,
      () => {
        this.io.buffer.length = 0;
      },
    );
    this.io = new firmataIo.Firmata(this.port);
    // firmata-io asks for the version after its own global 5 s timer; ours runs on the injected clock.
    clearTimeout(this.io.reportVersionTimeoutId);
    this.io.on("error", (err: unknown) => this.log.warn({ err: String(err) }, "firmata-io error"));
  }

  receive(chunk: Buffer): void {
    this.port.receive(chunk);
  }

  /**
   * Waits for the board's version, firmware, capabilities and analog mapping (asking for the
   * version if the board has not announced itself after `versionQueryMs`), then sets the pins up.
   * Rejects with DeviceError `timeout` (details.code `handshake_timeout`) or SessionConfigError.
   */
  async handshake(): Promise<SessionInfo> {
    await this.bounded<void>((resolve, reject) => {
      const deadline = this.timer(() => {
        this.io.off("ready", onReady);
        reject(new DeviceError("timeout", `the board did not complete the Firmata handshake within ${this.options.handshakeTimeoutMs} ms`, { code: "handshake_timeout" }));
      }, this.options.handshakeTimeoutMs);
      const onReady = (): void => {
        this.clear(deadline);
        resolve();
      };
      this.io.once("ready", onReady);
      // A board announces itself after its reset, but the host may miss all or part of that
      // banner (a pty keeps stale bytes, a real board may still be in its bootloader): ask, and
      // ask again, until firmata-io has both the version and the firmware name that follows it.
      const ask = (): void => {
        if (this.announced || this.closed) return;
        this.lastQueryAt = this.clock.now();
        this.io.reportVersion(() => undefined);
        this.io.queryFirmware(() => undefined);
        this.timer(ask, Math.max(this.options.versionQueryMs, MIN_REQUERY_MS));
      };
      this.timer(ask, this.options.versionQueryMs);
    });
    try {
      this.pins = resolvePins(this.options.pins, {
        supportedModes: this.io.pins.map((p) => p.supportedModes),
        analogPins: this.io.analogPins,
      });
    } catch (err) {
      if (err instanceof PinConfigError) throw new SessionConfigError("invalid_args", err.message, { code: "bad_config" });
      throw err;
    }
    this.ready = true;
    return { firmware: this.firmware(), pins: this.pins };
  }

  /** Pin modes, reporting and sampling; `levels` gives each output's level (pin -> 0|1). */
  configure(levels: ReadonlyMap<number, number>): void {
    this.io.setSamplingInterval(this.options.samplingMs);
    for (const p of this.pins) {
      switch (p.kind) {
        case "relay":
        case "led":
          this.io.pinMode(p.pin, MODE.OUTPUT);
          this.io.digitalWrite(p.pin, levels.get(p.pin) ?? 0);
          break;
        case "switch":
          this.io.pinMode(p.pin, p.pullup ? MODE.PULLUP : MODE.INPUT);
          this.io.removeAllListeners(`digital-read-${p.pin}`);
          this.io.digitalRead(p.pin, (v) => this.events.onDigital(p, v));
          break;
        case "thermometer":
          // firmata-io's pinMode(ANALOG) only books the mode; the board needs `F4 pin 02`.
          this.io.pinMode(p.channel, MODE.ANALOG);
          this.port.write(encodePinMode(p.pin, MODE.ANALOG));
          this.io.removeAllListeners(`analog-read-${p.channel}`);
          this.io.analogRead(p.channel, (raw) => this.events.onAnalog(p, raw));
          break;
      }
    }
  }

  write(pin: number, level: 0 | 1): void {
    this.io.digitalWrite(pin, level);
  }

  /** The board's own view of a pin (`F0 6D pin F7`): its mode and, for outputs, the level written. */
  queryPinState(pin: number, timeoutMs: number): Promise<{ mode: number; state: number }> {
    if (this.closed) return Promise.reject(new DeviceError("not_connected", "the link to the board is closed"));
    return this.bounded((resolve, reject) => {
      const event = `pin-state-${pin}`;
      const onState = (): void => {
        this.clear(t);
        const rec = this.io.pins[pin];
        resolve({ mode: rec?.mode ?? -1, state: rec?.state ?? 0 });
      };
      const t = this.timer(() => {
        this.io.off(event, onState);
        reject(new DeviceError("timeout", `the board did not answer a pin state query for pin ${pin} within ${timeoutMs} ms`, { code: "timeout" }));
      }, timeoutMs);
      this.io.queryPinState(pin, onState);
    });
  }

  firmware(): string {
    const f = this.io.firmware;
    const v = f.version ? ` ${f.version.major}.${f.version.minor}` : "";
    return `${f.name ?? "unknown"}${v}`;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    // Their deadlines are gone with the timers: settle them now, or they would hang.
    for (const reject of this.pending) reject(new DeviceError("not_connected", "the link to the board was lost"));
    this.pending.clear();
    clearTimeout(this.io.reportVersionTimeoutId);
    this.port.close();
    this.io.removeAllListeners();
    this.io.on("error", () => undefined); // a late emit on a dead instance must not throw
  }

  private onMessage(m: BoardMessage): void {
    if (m.type === "version") this.versionSeen = true;
    if (m.type === "firmware" && this.versionSeen) this.announced = true;
    this.events.onContact();
    if (m.type !== "version" || !this.ready) return;
    // Setting the pins up again is idempotent (no output glitch), so do it on any version report;
    // only one well after our last query is called a reset.
    this.events.onBoardReset(this.clock.now() - this.lastQueryAt > this.options.timeoutMs);
  }

  /** A promise that `close()` rejects if it is still pending then. */
  private bounded<T>(executor: (resolve: (v: T) => void, reject: (e: unknown) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const settle = (e: unknown): void => {
        this.pending.delete(settle);
        reject(e);
      };
      this.pending.add(settle);
      executor(
        (v) => {
          this.pending.delete(settle);
          resolve(v);
        },
        settle,
      );
    });
  }

  private timer(fn: () => void, ms: number): TimerHandle {
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  private clear(t: TimerHandle): void {
    this.clock.clearTimeout(t);
    this.timers.delete(t);
  }
}
