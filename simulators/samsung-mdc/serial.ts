/**
 * The MDC chain on an RS-232 line: a socat pty pair whose device end the agent opens, the
 * simulator holding the other end with serialport. Every display on the chain hears every
 * request; answers are paced at the baud rate (10 bits a byte, 8N1) as on a real line.
 */
import { SerialPort } from "serialport";
import type { Clock } from "../../drivers/types.js";
import { MdcFrameSplitter } from "../../drivers/samsung-mdc/framer.js";
import { PtyPair } from "../pty.js";
import type { MdcChain } from "./chain.js";
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

export async function startSerialEndpoint(chain: MdcChain, opts: SerialEndpointOptions, errors: ErrorLog): Promise<SerialEndpoint> {
  const { baudRate, clock } = opts;
  const pair = await PtyPair.create({
    devicePath: opts.devicePath,
    ...(opts.simulatorPath === undefined ? {} : { simulatorPath: opts.simulatorPath }),
  });
  const splitter = new MdcFrameSplitter("request");
  let port: SerialPort | undefined;
  let lineFreeAt = 0;

  /** Queues bytes behind what is already on the wire, delivered when the line could carry them. */
  function send(bytes: Buffer): void {
    if (port === undefined) return; // unplugged: the answer goes nowhere
    const now = clock.now();
    lineFreeAt = Math.max(now, lineFreeAt) + wireTimeMs(bytes.length, baudRate);
    chain.after(Math.ceil(lineFreeAt - now), () => {
      const p = port;
      if (p === undefined || !p.isOpen) return;
      p.write(bytes, (err) => {
        if (err) errors.add(err, "write failed");
      });
    });
  }

  function onData(chunk: Buffer): void {
    for (const frame of splitter.push(chunk)) {
      try {
        chain.request(frame, send);
      } catch (err) {
        errors.add(err, "display failed on a request"); // a model bug must not take the process down
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
    chain.cancelPending();
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
