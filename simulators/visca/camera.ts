/**
 * The simulated Sony VISCA camera: power, pan/tilt/zoom with motion time, presets, focus mode,
 * two command sockets, and fault controls. Pure over an injected Clock: `handle()` takes a decoded
 * request and the camera writes encoded reply frames to its `output` when they are due.
 * The endpoints (serial.ts, udp.ts) own bytes on the wire; this file owns behaviour.
 *
 * Timing values not found in a primary source are options (marked "verify" in PROTOCOLS.md).
 */
import { systemClock } from "../../drivers/clock.js";
import type { Clock, TimerHandle } from "../../drivers/types.js";
import {
  encodeInquiryValue, encodeReply, PAN_SPEED_MAX, ZOOM_MAX,
  type PanTiltDirection, type ViscaCommand, type ViscaErrorCode, type ViscaInquiry, type ViscaInquiryValues, type ViscaReply, type ViscaRequest,
} from "../../drivers/visca/codec.js";
import { Axis } from "./axis.js";
import { FaultControls } from "./faults.js";

export type { ViscaFaults } from "./faults.js";

export interface ViscaCameraOptions {
  /** 1..7. On a serial line this is also the camera's place in the chain: AddressSet `88 30 01 FF` gives it this address again and it answers with the next one. Default 1. */
  address?: number;
  clock?: Clock;
  /** Power at start. Default "on". */
  power?: "on" | "standby";
  /** Time from power on to ready (verify per model). Default 3000 ms. */
  bootMs?: number;
  /** Time a preset recall takes (PROTOCOLS.md: 0.5..3 s, verify). Default 1500 ms. */
  recallMs?: number;
  /** Time a pan-tilt reset (calibration) takes. Default 3000 ms. */
  resetMs?: number;
  /** Time a one-push focus takes. Default 500 ms. */
  onePushMs?: number;
  /** Pan/tilt travel per second for each step of speed (speed 0x18 -> 24x). Default 100 units/s. */
  unitsPerSpeedStep?: number;
  /** Zoom travel per second at standard speed (tele/wide, zoom direct). Default 0x4000 / 3 s. */
  zoomUnitsPerSecond?: number;
  panLimits?: [number, number];
  tiltLimits?: [number, number];
  /** Send `y0 38 FF` once booted (the serial endpoint does; VISCA over IP does not). Default false. */
  announceNetworkChange?: boolean;
  /** The junk the `garbage` fault puts in front of every reply. Default `00 7E 13`. */
  garbageBytes?: Buffer;
}

/** Where the camera writes frames; `origin` is what was handed to `handle()` with the request. */
export type CameraOutput = (frame: Buffer, origin: unknown) => void;

export interface CameraPosition { pan: number; tilt: number; zoom: number }

interface Running {
  id: number;
  origin: unknown;
  /** Completion timer; undefined for power on, which the boot timer completes. */
  timer: TimerHandle | undefined;
  quiet: boolean;
}

type Socket = 1 | 2;

const DEFAULT_GARBAGE = Buffer.from([0x00, 0x7e, 0x13]);

export class ViscaCamera {
  readonly faults = new FaultControls();
  output: CameraOutput;
  private readonly clock: Clock;
  private readonly opts: Required<Omit<ViscaCameraOptions, "clock" | "address" | "power">>;
  private readonly chainPosition: number;
  private addr: number;
  private powerState: "on" | "standby" | "booting";
  private focus: "auto" | "manual" = "auto";
  private readonly pan: Axis;
  private readonly tilt: Axis;
  private readonly zoom: Axis;
  private readonly presets = new Map<number, CameraPosition>();
  private readonly sockets = new Map<Socket, Running>();
  private readonly pendingOutput = new Set<TimerHandle>();
  private bootTimer: TimerHandle | undefined;
  private nextId = 1;

  constructor(options: ViscaCameraOptions = {}, output: CameraOutput = () => undefined) {
    this.output = output;
    this.clock = options.clock ?? systemClock;
    this.chainPosition = options.address ?? 1;
    if (!Number.isInteger(this.chainPosition) || this.chainPosition < 1 || this.chainPosition > 7) {
      throw new RangeError(`camera address ${this.chainPosition} out of range 1..7`);
    }
    this.addr = this.chainPosition;
    this.powerState = options.power ?? "on";
    this.opts = {
      bootMs: options.bootMs ?? 3000,
      recallMs: options.recallMs ?? 1500,
      resetMs: options.resetMs ?? 3000,
      onePushMs: options.onePushMs ?? 500,
      unitsPerSpeedStep: options.unitsPerSpeedStep ?? 100,
      zoomUnitsPerSecond: options.zoomUnitsPerSecond ?? ZOOM_MAX / 3,
      panLimits: options.panLimits ?? [-2448, 2448],
      tiltLimits: options.tiltLimits ?? [-432, 1296],
      announceNetworkChange: options.announceNetworkChange ?? false,
      garbageBytes: options.garbageBytes ?? DEFAULT_GARBAGE,
    };
    this.pan = new Axis(0, ...this.opts.panLimits);
    this.tilt = new Axis(0, ...this.opts.tiltLimits);
    this.zoom = new Axis(0, 0, ZOOM_MAX);
  }

  // ---- state, for tests and `describe()` ----

  get address(): number {
    return this.addr;
  }
  get power(): "on" | "standby" | "booting" {
    return this.powerState;
  }
  get focusMode(): "auto" | "manual" {
    return this.focus;
  }
  position(): CameraPosition {
    const now = this.clock.now();
    return { pan: this.pan.at(now), tilt: this.tilt.at(now), zoom: this.zoom.at(now) };
  }
  moving(): boolean {
    const now = this.clock.now();
    return this.pan.moving(now) || this.tilt.moving(now) || this.zoom.moving(now);
  }
  preset(n: number): CameraPosition | undefined {
    return this.presets.get(n);
  }
  busySockets(): number[] {
    return [...this.sockets.keys()].sort();
  }

  /** State flip: as if someone pressed the power button on the remote (no reply, no boot time). */
  flipPower(on: boolean): void {
    if (!on) this.enterStandby();
    else this.powerState = "on";
  }

  /** Writes bytes that are no reply at all (the `garbage` fault's "random junk" on demand). */
  sendJunk(bytes: Buffer = this.opts.garbageBytes): void {
    this.write(bytes, undefined);
  }

  /** Stops every timer (motion completions, delayed replies). The camera answers nothing afterwards. */
  close(): void {
    for (const r of this.sockets.values()) this.clock.clearTimeout(r.timer);
    this.sockets.clear();
    this.clock.clearTimeout(this.bootTimer);
    this.bootTimer = undefined;
    for (const t of this.pendingOutput) this.clock.clearTimeout(t);
    this.pendingOutput.clear();
    this.output = () => undefined;
  }

  // ---- requests ----

  /** Runs one decoded request; replies go to `output` with `origin`, now or when due. */
  handle(request: ViscaRequest, origin?: unknown): void {
    const broadcast = request.address === 8;
    if (!broadcast && request.address !== this.addr) return; // for another camera on the chain
    switch (request.kind) {
      case "malformed":
        return this.error(0, "message_length", origin);
      case "unknown":
        return broadcast ? undefined : this.error(0, "syntax", origin);
      case "inquiry":
        return broadcast ? undefined : this.reply({ type: "inquiry", address: this.addr, data: this.answer(request.inquiry) }, origin);
      case "command":
        return this.command(request.command, broadcast, origin);
    }
  }

  private answer(inquiry: ViscaInquiry): Buffer {
    const p = this.position();
    const values: { [K in ViscaInquiry]: ViscaInquiryValues[K] } = {
      // A booting camera has accepted power on: report on, as cameras do.
      power: this.powerState === "standby" ? "standby" : "on",
      panTiltPosition: { pan: p.pan, tilt: p.tilt },
      zoomPosition: p.zoom,
      focusMode: this.focus,
    };
    return encodeInquiryValue(inquiry, values[inquiry]);
  }

  private command(cmd: ViscaCommand, broadcast: boolean, origin: unknown): void {
    // Interface commands work in any power state and never use a socket.
    if (cmd.type === "addressSet") return this.addressSet(cmd.first ?? 1);
    if (cmd.type === "ifClear") return this.ifClear(broadcast, origin);
    if (cmd.type === "cancel") return this.cancel(cmd.socket, origin);
    const quiet = broadcast; // broadcast commands run without replies
    const free = ([1, 2] as const).find((s) => !this.sockets.has(s));
    if (free === undefined) return quiet ? undefined : this.error(0, "buffer_full", origin);
    const fault = this.faults.errorReply;
    if (fault !== null) return quiet ? undefined : this.error(fault === "message_length" || fault === "syntax" || fault === "buffer_full" ? 0 : free, fault, origin);
    const executable = this.powerState === "on" || (cmd.type === "power" && cmd.on && this.powerState === "standby");
    if (!executable && !(cmd.type === "power" && !cmd.on)) return quiet ? undefined : this.error(free, "not_executable", origin);

    // ACK first: it says "accepted"; what the command does to other sockets (standby) follows it.
    if (!quiet) this.reply({ type: "ack", address: this.addr, socket: free }, origin);
    const id = this.nextId++;
    const durationMs = this.execute(cmd, id);
    if (durationMs <= 0) {
      if (!quiet) this.reply({ type: "completion", address: this.addr, socket: free }, origin);
      return;
    }
    this.claimAxes(cmd, id);
    const running: Running = { id, origin, timer: undefined, quiet };
    if (cmd.type !== "power") running.timer = this.clock.setTimeout(() => this.complete(free, id), durationMs);
    this.sockets.set(free, running);
  }

  /** Ends the command `id` in `socket` with its Completion (unless it was cancelled or cleared meanwhile). */
  private complete(socket: Socket, id: number): void {
    const r = this.sockets.get(socket);
    if (r === undefined || r.id !== id) return;
    this.clock.clearTimeout(r.timer);
    this.sockets.delete(socket);
    if (!r.quiet) this.reply({ type: "completion", address: this.addr, socket }, r.origin);
  }

  /** Applies a command to the model; returns how long it runs (0 = completes at once). */
  private execute(cmd: Exclude<ViscaCommand, { type: "addressSet" | "ifClear" | "cancel" }>, id: number): number {
    const now = this.clock.now();
    const rate = (speed: number): number => (speed * this.opts.unitsPerSpeedStep) / 1000; // units per ms
    const zoomRate = this.opts.zoomUnitsPerSecond / 1000;
    switch (cmd.type) {
      case "power":
        if (!cmd.on) {
          this.enterStandby();
          return 0;
        }
        if (this.powerState === "on") return 0;
        this.powerState = "booting";
        this.bootTimer = this.clock.setTimeout(() => this.booted(id), this.opts.bootMs);
        return this.opts.bootMs;
      case "panTiltDrive": {
        const [p, t] = DRIVE_SIGNS[cmd.direction];
        this.pan.drive(now, p * rate(cmd.panSpeed));
        this.tilt.drive(now, t * rate(cmd.tiltSpeed));
        return 0;
      }
      case "panTiltAbsolute":
      case "panTiltRelative": {
        const rel = cmd.type === "panTiltRelative";
        return this.movePanTilt(now, (rel ? this.pan.at(now) : 0) + cmd.pan, (rel ? this.tilt.at(now) : 0) + cmd.tilt, rate(cmd.panSpeed), rate(cmd.tiltSpeed));
      }
      case "panTiltHome":
        return this.movePanTilt(now, 0, 0, rate(PAN_SPEED_MAX), rate(PAN_SPEED_MAX));
      case "panTiltReset":
        this.pan.moveTo(now, 0, this.opts.resetMs);
        this.tilt.moveTo(now, 0, this.opts.resetMs);
        return this.opts.resetMs;
      case "zoom":
        if (cmd.mode === "stop") this.zoom.stop(now);
        else this.zoom.drive(now, (cmd.mode === "tele" ? 1 : -1) * zoomRate);
        return 0;
      case "zoomVariable":
        // speed 0..7; 3 is about the standard speed
        this.zoom.drive(now, (cmd.direction === "tele" ? 1 : -1) * zoomRate * ((cmd.speed + 1) / 4));
        return 0;
      case "zoomDirect": {
        const ms = Math.abs(this.zoom.clamp(cmd.position) - this.zoom.at(now)) / zoomRate;
        this.zoom.moveTo(now, cmd.position, ms);
        return Math.ceil(ms);
      }
      case "focusMode":
        this.focus = cmd.mode;
        return 0;
      case "focusOnePush":
        return this.opts.onePushMs;
      case "preset":
        return this.presetOp(now, cmd.op, cmd.preset);
    }
  }

  private presetOp(now: number, op: "reset" | "set" | "recall", n: number): number {
    if (op === "set") {
      this.presets.set(n, this.position());
      return 0;
    }
    if (op === "reset") {
      this.presets.delete(n);
      return 0;
    }
    // A preset never set holds the home position, as on a camera fresh from the factory.
    const target = this.presets.get(n) ?? { pan: 0, tilt: 0, zoom: 0 };
    this.pan.moveTo(now, target.pan, this.opts.recallMs);
    this.tilt.moveTo(now, target.tilt, this.opts.recallMs);
    this.zoom.moveTo(now, target.zoom, this.opts.recallMs);
    return this.opts.recallMs;
  }

  /** Absolute moves take time proportional to distance: the slower axis decides. */
  private movePanTilt(now: number, pan: number, tilt: number, panRate: number, tiltRate: number): number {
    const ms = Math.max(
      Math.abs(this.pan.clamp(pan) - this.pan.at(now)) / panRate,
      Math.abs(this.tilt.clamp(tilt) - this.tilt.at(now)) / tiltRate,
    );
    this.pan.moveTo(now, pan, ms);
    this.tilt.moveTo(now, tilt, ms);
    return Math.ceil(ms);
  }

  private claimAxes(cmd: ViscaCommand, id: number): void {
    const axes = cmd.type === "zoomDirect" ? [this.zoom]
      : cmd.type === "preset" ? [this.pan, this.tilt, this.zoom]
      : cmd.type.startsWith("panTilt") ? [this.pan, this.tilt] : [];
    for (const a of axes) a.owner = id;
  }

  /** Boot done: the power-on command (id `powerId`) completes, then a serial camera announces itself. */
  private booted(powerId: number): void {
    this.bootTimer = undefined;
    this.powerState = "on";
    for (const [socket, r] of this.sockets) if (r.id === powerId) this.complete(socket, powerId);
    if (this.opts.announceNetworkChange) this.reply({ type: "networkChange", address: this.addr }, undefined);
  }

  private enterStandby(): void {
    const now = this.clock.now();
    for (const a of [this.pan, this.tilt, this.zoom]) a.stop(now);
    this.clock.clearTimeout(this.bootTimer);
    this.bootTimer = undefined;
    // Commands still running end where the motion stopped: their Completion comes now.
    for (const [socket, r] of this.sockets) this.complete(socket, r.id);
    this.powerState = "standby";
  }

  private cancel(socket: Socket, origin: unknown): void {
    const r = this.sockets.get(socket);
    if (r === undefined) return this.error(socket, "no_socket", origin);
    this.clock.clearTimeout(r.timer);
    this.sockets.delete(socket);
    const now = this.clock.now();
    for (const a of [this.pan, this.tilt, this.zoom]) if (a.owner === r.id) a.stop(now);
    this.error(socket, "cancelled", origin);
  }

  private ifClear(broadcast: boolean, origin: unknown): void {
    // IF_Clear empties the command buffers: running commands end without a word (a boot goes on).
    const now = this.clock.now();
    for (const [socket, r] of this.sockets) {
      this.clock.clearTimeout(r.timer);
      this.sockets.delete(socket);
      for (const a of [this.pan, this.tilt, this.zoom]) if (a.owner === r.id) a.stop(now);
    }
    this.reply(broadcast ? { type: "ifClear" } : { type: "completion", address: this.addr, socket: 0 }, origin);
  }

  private addressSet(first: number): void {
    // The cameras before this one on the chain take first .. first+chainPosition-2.
    const mine = first + this.chainPosition - 1;
    if (mine > 7) return; // more cameras than VISCA can address: this one stays unaddressed
    this.addr = mine;
    this.reply({ type: "addressSet", next: mine + 1 }, undefined);
  }

  // ---- output ----

  private error(socket: number, code: ViscaErrorCode, origin: unknown): void {
    this.reply({ type: "error", address: this.addr, socket, code, raw: 0 }, origin);
  }

  private reply(reply: ViscaReply, origin: unknown): void {
    this.write(encodeReply(reply), origin);
  }

  private write(frame: Buffer, origin: unknown): void {
    if (this.faults.silent) return;
    const bytes = this.faults.garbage ? Buffer.concat([this.opts.garbageBytes, frame]) : frame;
    if (this.faults.slowMs <= 0) return this.output(bytes, origin);
    const timer = this.clock.setTimeout(() => {
      this.pendingOutput.delete(timer);
      this.output(bytes, origin);
    }, this.faults.slowMs);
    this.pendingOutput.add(timer);
  }
}

/** Direction of travel per axis: +1 right/up, -1 left/down (VISCA pan grows to the right, tilt upwards). */
const DRIVE_SIGNS: Record<PanTiltDirection, readonly [number, number]> = {
  up: [0, 1], down: [0, -1], left: [-1, 0], right: [1, 0],
  "up-left": [-1, 1], "up-right": [1, 1], "down-left": [-1, -1], "down-right": [1, -1], stop: [0, 0],
};
