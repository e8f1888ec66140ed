/**
 * The plumbing every serial simulator endpoint shares: a socat pty pair whose device end the agent
 * opens, the simulator holding the other end with serialport; unplug/replug (the pair vanishes and
 * comes back on the same paths); output paced at the baud rate (10 bits a byte, 8N1), so a reply
 * takes as long on the wire as on a real RS-232 line; and every error kept in the endpoint's log,
 * never thrown. What the device makes of the bytes stays with each simulator.
 */
import { SerialPort } from "serialport";
import type { Clock, TimerHandle } from "../drivers/types.js";
import { PtyPair } from "./pty.js";

/** Milliseconds `bytes` take on the wire at `baudRate`, 8N1 (start + 8 data + stop bits). */
export function wireTimeMs(bytes: number, baudRate: number): number {
  return (bytes * 10 * 1000) / baudRate;
}

/** Where an endpoint reports what goes wrong while it runs (each simulator's ErrorLog). */
export interface ErrorSink {
  add(err: unknown, msg: string): void;
}

/** Runs delayed output and drops it all when the cable is pulled. */
export interface WireScheduler {
  after(ms: number, fn: () => void): void;
  cancelPending(): void;
}

/** A WireScheduler on `clock`'s timers. */
export function clockScheduler(clock: Clock): WireScheduler {
  const inFlight = new Set<TimerHandle>();
  return {
    after(ms, fn) {
      const timer = clock.setTimeout(() => {
        inFlight.delete(timer);
        fn();
      }, ms);
      inFlight.add(timer);
    },
    cancelPending() {
      for (const t of inFlight) clock.clearTimeout(t);
      inFlight.clear();
    },
  };
}

/** A simulated device's serial port as the site sees it. */
export interface SerialEndpoint {
  readonly devicePath: string;
  readonly baudRate: number;
  readonly plugged: boolean;
  /** Pulls the cable: the pty pair vanishes; the device keeps its state. */
  unplug(): Promise<void>;
  /** Puts the cable back: same paths. */
  replug(): Promise<void>;
  close(): Promise<void>;
}

/** The endpoint as its simulator drives it. */
export interface SerialLine extends SerialEndpoint {
  /** Queues bytes behind what is already on the wire, delivered when the line could carry them. Dropped when unplugged. */
  send(bytes: Buffer): void;
  /** Writes at once (no pacing). Dropped when unplugged. */
  write(data: Buffer | string): void;
}

export interface SerialLineOptions {
  /** The path the agent opens (a symlink socat makes). */
  devicePath: string;
  /** The path the simulator opens. Default `devicePath + ".sim"`. */
  simulatorPath?: string | undefined;
  baudRate: number;
  errors: ErrorSink;
  /** Paces `send` at the baud rate on `clock` (timers from `scheduler`, default the clock's). Without it `send` writes at once. */
  pacing?: { clock: Clock; scheduler?: WireScheduler };
}

/** What the simulator does with the line; `setup` returns these once the pty pair exists. */
export interface SerialLineHandlers {
  /** Bytes from the agent. Must not throw: a model bug is the handler's to catch and log. */
  onData(chunk: Buffer): void;
  /** The port is closing (unplug or close), after pending output was dropped: forget partial input. */
  onDisconnect?(): void;
  /** Runs once, first, when the endpoint closes. */
  onClose?(): void;
}

/**
 * Makes the pty pair, lets `setup` wire the device to the line, then opens the simulator's end.
 * If that open fails the pair is closed and the error thrown.
 */
export async function startSerialLine(opts: SerialLineOptions, setup: (line: SerialLine) => SerialLineHandlers): Promise<SerialLine> {
  const { baudRate, errors, pacing } = opts;
  const pair = await PtyPair.create({
    devicePath: opts.devicePath,
    ...(opts.simulatorPath === undefined ? {} : { simulatorPath: opts.simulatorPath }),
  });
  const scheduler = pacing === undefined ? undefined : (pacing.scheduler ?? clockScheduler(pacing.clock));
  let port: SerialPort | undefined;
  let lineFreeAt = 0;

  function write(data: Buffer | string): void {
    const p = port;
    if (p === undefined || !p.isOpen) return; // unplugged: the output goes nowhere, as on a pulled cable
    p.write(data, (err) => {
      if (err) errors.add(err, "write failed");
    });
  }

  function send(bytes: Buffer): void {
    if (port === undefined) return; // unplugged: the output goes nowhere, as on a pulled cable
    if (pacing === undefined || scheduler === undefined) return write(bytes);
    const now = pacing.clock.now();
    lineFreeAt = Math.max(now, lineFreeAt) + wireTimeMs(bytes.length, baudRate);
    scheduler.after(Math.ceil(lineFreeAt - now), () => write(bytes)); // timers count whole ms: never deliver before the wire could
  }

  let closed: Promise<void> | undefined;
  const line: SerialLine = {
    devicePath: pair.devicePath,
    baudRate,
    get plugged() {
      return port !== undefined;
    },
    send,
    write,
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
        handlers.onClose?.();
        await closePort();
        await pair.close();
      })();
      return closed;
    },
  };
  const handlers = setup(line);

  async function open(): Promise<void> {
    const p = new SerialPort({ path: pair.simulatorPath, baudRate, autoOpen: false });
    p.on("data", (chunk: Buffer) => handlers.onData(chunk));
    p.on("error", (err) => errors.add(err, "serial port error"));
    p.on("close", () => {
      if (port === p) port = undefined;
    });
    await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
    port = p;
  }

  async function closePort(): Promise<void> {
    scheduler?.cancelPending();
    lineFreeAt = 0;
    handlers.onDisconnect?.();
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
  return line;
}
