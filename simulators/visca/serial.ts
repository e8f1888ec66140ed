/**
 * The VISCA camera on a serial line: a socat pty pair whose device end the agent opens, the
 * simulator holding the other end with serialport. Requests are framed with FrameSplitter,
 * answered by ViscaCamera, and written back paced at the baud rate (10 bits a byte, 8N1), so a
 * reply takes as long on the wire as on a real RS-232 line.
 */
import { SerialPort } from "serialport";
import { systemClock } from "../../drivers/clock.js";
import type { Clock, Logger, TimerHandle } from "../../drivers/types.js";
import { decodeRequest } from "../../drivers/visca/codec.js";
import { FrameSplitter } from "../../drivers/visca/framer.js";
import { PtyPair } from "../pty.js";
import { ViscaCamera, type ViscaCameraOptions, type ViscaFaults } from "./camera.js";
import { ErrorLog } from "./errors.js";

export interface SerialCameraOptions extends ViscaCameraOptions {
  /** The path the agent opens (a symlink socat makes). */
  devicePath: string;
  /** The path the simulator opens. Default `devicePath + ".sim"`. */
  simulatorPath?: string;
  /** Default 9600. */
  baudRate?: number;
  logger?: Logger;
}

export interface SerialCameraHandle {
  readonly camera: ViscaCamera;
  readonly faults: ViscaFaults;
  readonly devicePath: string;
  readonly baudRate: number;
  /** Errors met while running (bounded); also sent to the logger when one was given. */
  readonly errors: readonly Error[];
  /** Pulls the cable: the pty pair vanishes; the camera keeps its state (and power). */
  unplug(): Promise<void>;
  /** Puts the cable back: same paths. */
  replug(): Promise<void>;
  close(): Promise<void>;
  describe(): string;
}

/** Milliseconds `bytes` take on the wire at `baudRate`, 8N1 (start + 8 data + stop bits). */
export function wireTimeMs(bytes: number, baudRate: number): number {
  return (bytes * 10 * 1000) / baudRate;
}

export async function startSerialCamera(options: SerialCameraOptions): Promise<SerialCameraHandle> {
  const clock: Clock = options.clock ?? systemClock;
  const baudRate = options.baudRate ?? 9600;
  const errors = new ErrorLog(options.logger, { sim: "visca", link: `serial:${options.devicePath}` });
  const camera = new ViscaCamera({ ...options, clock, announceNetworkChange: options.announceNetworkChange ?? true });
  const pair = await PtyPair.create({
    devicePath: options.devicePath,
    ...(options.simulatorPath === undefined ? {} : { simulatorPath: options.simulatorPath }),
  });
  const splitter = new FrameSplitter();
  let port: SerialPort | undefined;
  // Output pacing: when the line is free again, and the writes still on their way.
  let lineFreeAt = 0;
  const inFlight = new Set<TimerHandle>();

  splitter.onGarbage = (bytes, reason) => {
    // Bytes without a header are ignored by a camera; 16 bytes without FF are a message length error.
    if (reason === "too_long") camera.handle({ kind: "malformed", address: camera.address, frame: bytes });
  };

  camera.output = (frame) => {
    if (port === undefined) return; // unplugged: the reply goes nowhere, as on a pulled cable
    const now = clock.now();
    lineFreeAt = Math.max(now, lineFreeAt) + wireTimeMs(frame.length, baudRate);
    const timer = clock.setTimeout(() => {
      inFlight.delete(timer);
      write(frame);
    }, Math.ceil(lineFreeAt - now)); // timers count whole ms: never deliver before the wire could
    inFlight.add(timer);
  };

  function write(bytes: Buffer): void {
    const p = port;
    if (p === undefined || !p.isOpen) return;
    p.write(bytes, (err) => {
      if (err) errors.add(err, "write failed");
    });
  }

  function onData(chunk: Buffer): void {
    for (const frame of splitter.push(chunk)) {
      try {
        camera.handle(decodeRequest(frame));
      } catch (err) {
        // A model bug must not take the simulator (or the process) down: keep it visible instead.
        errors.add(err, "camera failed on a request");
      }
    }
  }

  async function open(): Promise<void> {
    const p = new SerialPort({ path: pair.simulatorPath, baudRate, autoOpen: false });
    p.on("data", onData);
    p.on("error", (err) => errors.add(err, "serial port error"));
    p.on("close", () => {
      if (port === p) port = undefined;
    });
    await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
    port = p;
  }

  async function closePort(): Promise<void> {
    for (const t of inFlight) clock.clearTimeout(t);
    inFlight.clear();
    lineFreeAt = 0;
    splitter.reset();
    const p = port;
    port = undefined;
    if (p === undefined || !p.isOpen) return;
    await new Promise<void>((resolve) =>
      p.close((err) => {
        if (err) errors.add(err, "close failed");
        resolve();
      }),
    );
  }

  try {
    await open();
  } catch (err) {
    await pair.close();
    throw err;
  }

  let closed: Promise<void> | undefined;
  return {
    camera,
    faults: camera.faults,
    devicePath: pair.devicePath,
    baudRate,
    get errors() {
      return errors.list;
    },
    async unplug() {
      await closePort();
      await pair.unplug();
    },
    async replug() {
      if (port !== undefined) return;
      await pair.replug();
      await open();
    },
    close() {
      closed ??= (async () => {
        camera.close();
        await closePort();
        await pair.close();
      })();
      return closed;
    },
    describe() {
      return `visca serial ${pair.devicePath}@${baudRate} camera ${camera.address} ${port === undefined ? "unplugged" : "plugged"}`;
    },
  };
}
