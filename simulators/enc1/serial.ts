/**
 * The encryptor's status port on RS-232: a socat pty pair whose device end the agent opens, the
 * simulator holding the other end with serialport. Lines are paced at the baud rate (10 bits a
 * byte, 8N1), so a status line takes as long on the wire as on the real cable (about 60 ms for a
 * 55-byte line at 9600), which the alarm-latency benchmark must include.
 */
import { SerialPort } from "serialport";
import type { Clock, TimerHandle } from "../../drivers/types.js";
import { PtyPair } from "../pty.js";
import type { Enc1Device } from "./device.js";
import type { ErrorLog } from "./errors.js";

export interface SerialEndpoint {
  readonly devicePath: string;
  readonly baudRate: number;
  readonly plugged: boolean;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
}

/** Milliseconds `bytes` take on the wire at `baudRate`, 8N1. */
export function wireTimeMs(bytes: number, baudRate: number): number {
  return (bytes * 10 * 1000) / baudRate;
}

export interface SerialEndpointOptions {
  devicePath: string;
  simulatorPath?: string;
  baudRate: number;
  clock: Clock;
}

export async function startSerialEndpoint(device: Enc1Device, opts: SerialEndpointOptions, errors: ErrorLog): Promise<SerialEndpoint> {
  const { baudRate, clock } = opts;
  const pair = await PtyPair.create({
    devicePath: opts.devicePath,
    ...(opts.simulatorPath === undefined ? {} : { simulatorPath: opts.simulatorPath }),
  });
  let port: SerialPort | undefined;
  let lineFreeAt = 0;
  const inFlight = new Set<TimerHandle>();

  /** Queues bytes behind what is already on the wire; delivered when the line could carry them. */
  device.sink = (bytes) => {
    if (port === undefined) return; // unplugged: the line goes nowhere
    const now = clock.now();
    lineFreeAt = Math.max(now, lineFreeAt) + wireTimeMs(bytes.length, baudRate);
    const timer = clock.setTimeout(() => {
      inFlight.delete(timer);
      const p = port;
      if (p === undefined || !p.isOpen) return;
      p.write(bytes, (err) => {
        if (err) errors.add(err, "write failed");
      });
    }, Math.ceil(lineFreeAt - now)); // timers count whole ms: never deliver before the wire could
    inFlight.add(timer);
  };

  function onData(chunk: Buffer): void {
    try {
      device.receive(chunk);
    } catch (err) {
      errors.add(err, "device failed on a request"); // a model bug must not take the process down
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
    device.resetInput();
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
    devicePath: pair.devicePath,
    baudRate,
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
        await closePort();
        await pair.close();
      })();
      return closed;
    },
  };
}
