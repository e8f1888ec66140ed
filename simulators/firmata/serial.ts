/**
 * The Firmata board on a serial line: a pseudo-terminal whose device end the agent opens, the
 * simulator holding the other end in this process (startSerialLine). Plugging the board in (start,
 * replug, the `reset` control) boots it: defaults, then the version and firmware banner, as an
 * Arduino does when it powers up. A pty has no DTR, so the board cannot see the host open the
 * port; a host that missed the banner asks for the version, and the board answers.
 */
import { systemClock } from "../../drivers/clock.js";
import type { Clock, Logger } from "../../drivers/types.js";
import { startSerialLine } from "../serial-endpoint.js";
import { FirmataBoard } from "./board.js";

export interface SerialBoardOptions {
  devicePath: string;
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
  const sink = {
    add(err: unknown, what: string): void {
      const e = err instanceof Error ? err : new Error(String(err));
      options.logger?.warn({ err: e.message, sim: "firmata" }, what);
      errors.push(e);
      if (errors.length > MAX_ERRORS) errors.shift();
    },
  };
  const board = new FirmataBoard({ clock, ...(options.sensors ? { sensors: options.sensors } : {}) });
  const line = await startSerialLine({ devicePath: options.devicePath, baudRate, errors: sink }, (line) => {
    board.output = (bytes) => line.write(bytes); // unplugged: the bytes go nowhere
    return {
      onData(chunk) {
        try {
          board.handle(chunk);
        } catch (err) {
          sink.add(err, "board failed on a message"); // a model bug must not take the process down
        }
      },
      onPlug: () => board.boot(),
      onDisconnect: () => board.framer.reset(),
      onClose: () => board.close(),
    };
  });

  return {
    board,
    devicePath: line.devicePath,
    baudRate,
    get errors() {
      return errors;
    },
    get plugged() {
      return line.plugged;
    },
    unplug: () => line.unplug(),
    replug: () => line.replug(),
    close: () => line.close(),
    describe() {
      return `firmata serial ${line.devicePath}@${baudRate} uno ${line.plugged ? "plugged" : "unplugged"}`;
    },
  };
}
