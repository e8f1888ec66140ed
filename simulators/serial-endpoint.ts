/**
 * The plumbing every serial simulator endpoint shares: a pseudo-terminal whose device end (a link
 * to its slave) the agent opens, the simulator holding the master in this process (PtyPair);
 * unplug/replug (the link vanishes, the agent's port hangs up, a new pty comes back on the same
 * path); output paced at the baud rate (10 bits a byte, 8N1), so a reply takes as long on the wire
 * as on a real RS-232 line; and every error kept in the endpoint's log, never thrown. What the
 * device makes of the bytes stays with each simulator.
 */
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
  /** The path the agent opens (a symlink to the pty's slave, made here). */
  devicePath: string;
  baudRate: number;
  errors: ErrorSink;
  /** Paces `send` at the baud rate on `clock` (timers from `scheduler`, default the clock's). Without it `send` writes at once. */
  pacing?: { clock: Clock; scheduler?: WireScheduler };
}

/** What the simulator does with the line; `setup` returns these once the pty exists. */
export interface SerialLineHandlers {
  /** Bytes from the agent. Must not throw: a model bug is the handler's to catch and log. */
  onData(chunk: Buffer): void;
  /** The cable is in: after start and after every replug (a board that boots on power-up says so here). */
  onPlug?(): void;
  /** The cable is coming out (unplug or close), after pending output was dropped: forget partial input. */
  onDisconnect?(): void;
  /** Runs once, first, when the endpoint closes. */
  onClose?(): void;
}

/**
 * Makes the pty, then lets `setup` wire the device to the line (before any byte from the agent
 * can arrive); if `setup` throws, the pty is closed and the error thrown. Errors met later go to
 * `errors`, never thrown.
 */
export async function startSerialLine(opts: SerialLineOptions, setup: (line: SerialLine) => SerialLineHandlers): Promise<SerialLine> {
  const { baudRate, errors, pacing } = opts;
  let handlers: SerialLineHandlers | undefined;
  const pair = await PtyPair.create({
    devicePath: opts.devicePath,
    onData: (chunk) => handlers?.onData(chunk),
    onError: (err) => errors.add(err, "pty error"),
  });
  const scheduler = pacing === undefined ? undefined : (pacing.scheduler ?? clockScheduler(pacing.clock));
  let lineFreeAt = 0;
  /** True once output was dropped for a full pty, until a write fits again: reported once, not per write. */
  let overrun = false;

  function write(data: Buffer | string): void {
    if (!pair.plugged) return; // unplugged: the output goes nowhere, as on a pulled cable
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    const took = pair.write(bytes);
    if (took === bytes.length) {
      overrun = false;
    } else if (!overrun) {
      overrun = true;
      const err = Object.assign(new Error(`${pair.devicePath}: output dropped, nobody reads the line (${bytes.length - took} of ${bytes.length} bytes lost; more may follow)`), { code: "overrun" });
      errors.add(err, "output overrun");
    }
  }

  function send(bytes: Buffer): void {
    if (!pair.plugged) return; // unplugged: the output goes nowhere, as on a pulled cable
    if (pacing === undefined || scheduler === undefined) return write(bytes);
    const now = pacing.clock.now();
    lineFreeAt = Math.max(now, lineFreeAt) + wireTimeMs(bytes.length, baudRate);
    scheduler.after(Math.ceil(lineFreeAt - now), () => write(bytes)); // timers count whole ms: never deliver before the wire could
  }

  function disconnect(): void {
    scheduler?.cancelPending();
    lineFreeAt = 0;
    overrun = false;
    handlers?.onDisconnect?.();
  }

  let closed: Promise<void> | undefined;
  const line: SerialLine = {
    devicePath: pair.devicePath,
    baudRate,
    get plugged() {
      return pair.plugged;
    },
    send,
    write,
    async unplug() {
      if (pair.plugged) disconnect();
      await pair.unplug();
    },
    async replug() {
      if (pair.plugged) return;
      await pair.replug();
      handlers?.onPlug?.();
    },
    close() {
      closed ??= (async () => {
        handlers?.onClose?.();
        disconnect();
        await pair.close();
      })();
      return closed;
    },
  };
  try {
    handlers = setup(line);
    handlers.onPlug?.();
  } catch (err) {
    await pair.close(); // a simulator that cannot wire itself up leaves no pty behind
    throw err;
  }
  return line;
}
