/**
 * The Firmata board on a serial line: a socat pty pair whose device end the agent opens, the
 * simulator holding the other end with serialport. Plugging the board in (start, replug, the
 * `reset` control) boots it: defaults, then the version and firmware banner, as an Arduino does
 * when it powers up. A pty has no DTR, so the board cannot see the host open the port; a host
 * that missed the banner asks for the version, and the board answers.
 */
import { SerialPort } from "serialport";
import { systemClock } from "../../drivers/clock.js";
import type { Clock, Logger } from "../../drivers/types.js";
import { PtyPair } from "../pty.js";
import { FirmataBoard } from "./board.js";

export interface SerialBoardOptions {
  devicePath: string;
  simulatorPath?: string;
  /** Default 57600 (StandardFirmata). */
  baudRate?: number;
  sensors?: Record<string, string>;
  clock?: Clock;
  logger?: Logger;
}

export interface SerialBoardHandle {
  readonly board: FirmataBoard;
  readonly devicePath: string;
  readonly baudRate: number;
  readonly errors: readonly Error[];
  readonly plugged: boolean;
  unplug(): Promise<void>;
  /** Puts the cable back: the board powers up again (banner). */
  replug(): Promise<void>;
  close(): Promise<void>;
  describe(): string;
}

const MAX_ERRORS = 50;

export async function startSerialBoard(options: SerialBoardOptions): Promise<SerialBoardHandle> {
  const clock = options.clock ?? systemClock;
  const baudRate = options.baudRate ?? 57600;
  const errors: Error[] = [];
  const addError = (err: unknown, what: string): void => {
    const e = err instanceof Error ? err : new Error(String(err));
    options.logger?.warn({ err: e.message, sim: "firmata" }, what);
    errors.push(e);
    if (errors.length > MAX_ERRORS) errors.shift();
  };
  const board = new FirmataBoard({ clock, ...(options.sensors ? { sensors: options.sensors } : {}) });
  const pair = await PtyPair.create({
    devicePath: options.devicePath,
    ...(options.simulatorPath === undefined ? {} : { simulatorPath: options.simulatorPath }),
  });
  let port: SerialPort | undefined;

  board.output = (bytes) => {
    const p = port;
    if (p === undefined || !p.isOpen) return; // unplugged: the bytes go nowhere
    p.write(bytes, (err) => {
      if (err) addError(err, "write failed");
    });
  };

  async function open(): Promise<void> {
    const p = new SerialPort({ path: pair.simulatorPath, baudRate, autoOpen: false });
    p.on("data", (chunk: Buffer) => {
      try {
        board.handle(chunk);
      } catch (err) {
        addError(err, "board failed on a message"); // a model bug must not take the process down
      }
    });
    p.on("error", (err) => addError(err, "serial port error"));
    p.on("close", () => {
      if (port === p) port = undefined;
    });
    await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
    port = p;
    board.boot();
  }

  async function closePort(): Promise<void> {
    board.framer.reset();
    const p = port;
    port = undefined;
    if (p === undefined || !p.isOpen) return;
    await new Promise<void>((resolve) =>
      p.close((err) => {
        if (err) addError(err, "close failed");
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
    board,
    devicePath: pair.devicePath,
    baudRate,
    get errors() {
      return errors;
    },
    get plugged() {
      return port !== undefined;
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
        board.close();
        await closePort();
        await pair.close();
      })();
      return closed;
    },
    describe() {
      return `firmata serial ${pair.devicePath}@${baudRate} uno ${port === undefined ? "unplugged" : "plugged"}`;
    },
  };
}
