/**
 * Serial transport on serialport 13. serialport has no auto-reconnect: this adds it.
 *
 * Loss shows up as a `close` event carrying a DisconnectedError (USB adapter pulled, pty master
 * gone: the read fails with EIO/EBADF, or hits end-of-file, see serial-binding.ts) or as an
 * `error` from a write (EIO). Either way the port is
 * dropped and reopened with backoff; while the path does not exist (ENOENT) we keep trying, so an
 * adapter plugged in later is picked up without restarting the agent.
 *
 * Only index.ts's dynamic import loads this module, so sites without serial devices never load
 * serialport and its native binding (RSS budget).
 */
// The stream and the native binding only: the `serialport` package would also load every parser.
import { SerialPortStream, type OpenOptions } from "@serialport/stream";
import { autoDetect } from "@serialport/bindings-cpp";
import { ReconnectingTransport, type TransportDeps } from "./reconnecting.js";
import { hangupAwareBinding } from "./serial-binding.js";
import { TransportError } from "./types.js";

export interface SerialOptions {
  path: string;
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: "none" | "even" | "odd";
  stopBits?: 1 | 2;
}

/**
 * serialport's native errors carry no `code`, only a message like
 * "Error: No such file or directory, cannot open /dev/ttyUSB0": recover the errno name from it.
 */
const MESSAGE_CODES: ReadonlyArray<[RegExp, string]> = [
  [/no such file or directory/i, "ENOENT"],
  [/permission denied/i, "EACCES"],
  [/cannot lock port|resource temporarily unavailable/i, "EBUSY"],
  [/device or resource busy/i, "EBUSY"],
  [/inappropriate ioctl/i, "ENOTTY"],
  [/input\/output error|i\/o error/i, "EIO"],
  [/bad file descriptor/i, "EBADF"],
  [/no such device/i, "ENXIO"],
];

/** An Error with an errno-like `code`, so status events say `ENOENT` rather than `unknown`. */
export function serialError(err: unknown): Error & { code: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  const existing = (e as { code?: unknown }).code;
  if (typeof existing === "string" && existing !== "") return e as Error & { code: string };
  const found = MESSAGE_CODES.find(([re]) => re.test(e.message));
  const code = found ? found[1] : (e as { disconnected?: boolean }).disconnected ? "EIO" : "serial_error";
  return Object.assign(new Error(e.message), { code });
}

/** serialport's own binding, patched so a hang-up (EOF) closes the port instead of spinning. */
const binding = hangupAwareBinding(autoDetect());

export class SerialTransport extends ReconnectingTransport {
  readonly kind = "serial" as const;
  private readonly opts: SerialOptions;
  private port: SerialPortStream | undefined;

  /** Throws a TransportError `bad_config` for options that can never open. */
  constructor(opts: SerialOptions, deps: TransportDeps) {
    super(`serial:${opts.path}@${opts.baudRate}`, deps);
    const bad = (msg: string): never => {
      throw new TransportError("bad_config", msg);
    };
    if (typeof opts.path !== "string" || opts.path === "") bad("serial.path: expected a device path; got an empty value");
    if (!Number.isInteger(opts.baudRate) || opts.baudRate <= 0) bad(`serial.baudRate: expected a positive integer; got ${opts.baudRate}`);
    if (opts.dataBits !== undefined && ![5, 6, 7, 8].includes(opts.dataBits)) bad(`serial.dataBits: expected 5|6|7|8; got ${opts.dataBits}`);
    if (opts.parity !== undefined && !["none", "even", "odd"].includes(opts.parity)) bad(`serial.parity: expected none|even|odd; got ${opts.parity}`);
    if (opts.stopBits !== undefined && ![1, 2].includes(opts.stopBits)) bad(`serial.stopBits: expected 1|2; got ${opts.stopBits}`);
    this.opts = opts;
  }

  protected connect(): Promise<void> {
    const options = {
      path: this.opts.path,
      baudRate: this.opts.baudRate,
      dataBits: this.opts.dataBits ?? 8,
      parity: this.opts.parity ?? "none",
      stopBits: this.opts.stopBits ?? 1,
      autoOpen: false,
      binding,
    } as OpenOptions<typeof binding>;
    const port = new SerialPortStream(options);
    this.port = port;
    // Handled for the port's whole life, released ports included: an unhandled `error` would
    // take the agent down. A write failure (EIO) on the current port is a loss.
    port.on("error", (err) => {
      this.logger.debug({ err: serialError(err) }, "serial port error");
      if (this.port === port) this.lost(serialError(err));
    });
    port.on("data", (chunk: Buffer) => {
      if (this.port === port) this.received(chunk);
    });
    port.on("close", (err: unknown) => {
      if (this.port !== port) return;
      this.lost(err ? serialError(err) : Object.assign(new Error("port closed"), { code: "EIO" }));
    });
    return new Promise<void>((resolve, reject) => {
      port.open((err) => {
        if (err) return reject(serialError(err));
        if (this.port !== port) {
          // Released while the open was in flight (close() raced us): do not leak the fd.
          port.close((closeErr) => closeErr && this.logger.debug({ err: serialError(closeErr) }, "late close failed"));
          return reject(Object.assign(new Error("released while opening"), { code: "ECONNABORTED" }));
        }
        resolve();
      });
    });
  }

  protected async release(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port || !port.isOpen) return;
    await new Promise<void>((resolve) => {
      port.close((err) => {
        if (err) this.logger.debug({ err: serialError(err) }, "closing the port failed");
        resolve();
      });
    });
  }

  protected send(data: Buffer): Promise<void> {
    const port = this.port;
    if (!port) return Promise.reject(new TransportError("not_open", `${this.description} has no port`));
    return new Promise<void>((resolve, reject) => {
      // No drain(): tcdrain() blocks a libuv pool thread until the far side reads, and a pty
      // whose reader is stuck would pin that thread (DNS and fs share the pool).
      port.write(data, (err) => (err ? reject(serialError(err)) : resolve()));
    });
  }
}
