/**
 * The NovaStar controller on a serial line (115200 8N1): a socat pty pair whose device end the
 * agent opens, the simulator holding the other end with serialport. Replies are paced at the baud
 * rate (10 bits a byte), so a reply takes as long on the wire as on a real RS-232 line.
 */
import { SerialPort } from "serialport";
import { systemClock } from "../../drivers/clock.js";
import { NovaFrameSplitter } from "../../drivers/novastar/framer.js";
import type { Clock, Logger, TimerHandle } from "../../drivers/types.js";
import { PtyPair } from "../pty.js";
import { NovastarController, type ControllerOptions, type NovastarFaults } from "./controller.js";
import { ErrorLog } from "./errors.js";

export interface SerialControllerOptions extends ControllerOptions {
  /** The path the agent opens (a symlink socat makes). */
  devicePath: string;
  /** The path the simulator opens. Default `devicePath + ".sim"`. */
  simulatorPath?: string;
  /** Default 115200. */
  baudRate?: number;
  logger?: Logger;
}

export interface SerialControllerHandle {
  readonly controller: NovastarController;
  readonly faults: NovastarFaults;
  readonly devicePath: string;
  readonly baudRate: number;
  readonly errors: readonly Error[];
  /** Pulls the cable: the pty pair vanishes; the controller keeps its state. */
  unplug(): Promise<void>;
  /** Puts the cable back: same paths. */
  replug(): Promise<void>;
  close(): Promise<void>;
  describe(): string;
}

/** Milliseconds `bytes` take on the wire at `baudRate`, 8N1. */
export function wireTimeMs(bytes: number, baudRate: number): number {
  return (bytes * 10 * 1000) / baudRate;
}

export async function startSerialController(options: SerialControllerOptions): Promise<SerialControllerHandle> {
  const clock: Clock = options.clock ?? systemClock;
  const baudRate = options.baudRate ?? 115200;
  const errors = new ErrorLog(options.logger, { sim: "novastar", link: `serial:${options.devicePath}` });
  const controller = new NovastarController({ ...options, clock });
  const pair = await PtyPair.create({
    devicePath: options.devicePath,
    ...(options.simulatorPath === undefined ? {} : { simulatorPath: options.simulatorPath }),
  });
  const framer = new NovaFrameSplitter("request");
  let port: SerialPort | undefined;
  let lineFreeAt = 0;
  const inFlight = new Set<TimerHandle>();

  function reply(bytes: Buffer): void {
    if (port === undefined) return; // unplugged: the reply goes nowhere, as on a pulled cable
    const now = clock.now();
    lineFreeAt = Math.max(now, lineFreeAt) + wireTimeMs(bytes.length, baudRate);
    const timer = clock.setTimeout(() => {
      inFlight.delete(timer);
      const p = port;
      if (p === undefined || !p.isOpen) return;
      p.write(bytes, (err) => {
        if (err) errors.add(err, "write failed");
      });
    }, Math.ceil(lineFreeAt - now));
    inFlight.add(timer);
  }

  function onData(chunk: Buffer): void {
    for (const req of framer.push(chunk)) {
      try {
        controller.handle(req, reply);
      } catch (err) {
        errors.add(err, "controller failed on a request");
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
    framer.reset();
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
    controller,
    faults: controller.faults,
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
        controller.close();
        await closePort();
        await pair.close();
      })();
      return closed;
    },
    describe() {
      return `novastar serial ${pair.devicePath}@${baudRate} model ${controller.model.modelId} ${port === undefined ? "unplugged" : "plugged"}`;
    },
  };
}
