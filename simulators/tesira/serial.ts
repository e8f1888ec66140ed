/**
 * The Tesira RS-232 port (115200 8N1 by default, the TesiraFORTÉ's factory setting) on a socat pty
 * pair: the agent opens `devicePath`, the simulator holds the other end with serialport. No telnet
 * negotiation and no banner on connect; the port is one TTP session that outlives a pulled cable
 * (the DSP cannot tell), so its subscriptions survive unplug/replug. After a reboot the banner is
 * printed on the port like on every session.
 */
import { SerialPort } from "serialport";
import { PtyPair } from "../pty.js";
import type { DspSession, TesiraDsp } from "./dsp.js";
import type { ErrorLog } from "./errors.js";

export interface SerialEndpoint {
  readonly devicePath: string;
  readonly baudRate: number;
  readonly plugged: boolean;
  readonly session: DspSession;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
}

export interface SerialEndpointOptions {
  devicePath: string;
  simulatorPath?: string;
  baudRate: number;
}

export async function startSerialEndpoint(dsp: TesiraDsp, opts: SerialEndpointOptions, errors: ErrorLog): Promise<SerialEndpoint> {
  const pair = await PtyPair.create({
    devicePath: opts.devicePath,
    ...(opts.simulatorPath === undefined ? {} : { simulatorPath: opts.simulatorPath }),
  });
  let port: SerialPort | undefined;
  let held = "";
  const session = dsp.openSession((text) => {
    const p = port;
    if (p === undefined || !p.isOpen) return; // unplugged: the text goes nowhere
    p.write(text, (err) => {
      if (err) errors.add(err, "write failed");
    });
  });

  function onData(chunk: Buffer): void {
    held += chunk.toString("utf8");
    let nl = held.indexOf("\n");
    while (nl >= 0) {
      const line = held.slice(0, nl).replace(/\r$/, "");
      held = held.slice(nl + 1);
      try {
        session.line(line);
      } catch (err) {
        errors.add(err, "DSP failed on a command"); // a model bug must not take the process down
      }
      nl = held.indexOf("\n");
    }
    if (held.length > 65_536) held = "";
  }

  async function open(): Promise<void> {
    const p = new SerialPort({ path: pair.simulatorPath, baudRate: opts.baudRate, autoOpen: false });
    p.on("data", onData);
    p.on("error", (err) => errors.add(err, "serial port error"));
    p.on("close", () => {
      if (port === p) port = undefined;
    });
    await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
    port = p;
  }

  async function closePort(): Promise<void> {
    held = "";
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
    baudRate: opts.baudRate,
    session,
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
        session.close();
        await closePort();
        await pair.close();
      })();
      return closed;
    },
  };
}
