/**
 * A serialport binding that treats end-of-file as a hang-up.
 *
 * Why: @serialport/bindings-cpp 13's unixRead retries a read that returns 0 bytes, forever
 * (serialport/bindings-cpp#162, fix #164 not merged). On Linux a tty opened with VMIN=1 and
 * O_NONBLOCK (what the binding does) returns EAGAIN when there is no data and 0 only once the
 * line is hung up: a USB adapter pulled, or a pty whose master (a simulator) went away. The stock
 * binding then spins through the libuv pool and never reports the loss, so the link looks open
 * while it is dead. Here the read loop is the same as unixRead's except that 0 bytes becomes a
 * disconnect error, which makes the stream close with a DisconnectedError like any other loss.
 *
 * Only unix bindings (fd + poller) are patched; anything else passes through unchanged.
 */
import { read as fsRead } from "node:fs";
import { promisify } from "node:util";

const readAsync = promisify(fsRead);

/** The parts of a unix port binding (LinuxPortBinding / DarwinPortBinding) this relies on. */
interface UnixPortBinding {
  fd: number | null;
  readonly isOpen: boolean;
  readonly poller: { once(event: "readable", cb: (err?: Error | null) => void): unknown };
  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }>;
}

/** What serialport's `SerialPort.binding` is, structurally. */
export interface SerialBinding {
  list(): Promise<unknown[]>;
  open(options: never): Promise<unknown>;
}

function isUnixPort(port: unknown): port is UnixPortBinding {
  const p = port as Partial<UnixPortBinding> | null;
  return typeof p?.fd === "number" && typeof p.poller?.once === "function" && typeof p.read === "function";
}

/** An error the stream treats as "stop reading, the port was closed on purpose" (not a loss). */
function canceled(): Error {
  return Object.assign(new Error("Port is not open"), { canceled: true });
}

/** unixRead from bindings-cpp 13, with EOF as a hang-up instead of a retry. */
export async function readUntilHangup(
  port: UnixPortBinding,
  buffer: Buffer,
  offset: number,
  length: number,
  read: typeof readAsync = readAsync,
): Promise<{ buffer: Buffer; bytesRead: number }> {
  for (;;) {
    if (!port.isOpen || port.fd === null) throw canceled();
    let bytesRead: number;
    try {
      ({ bytesRead } = await read(port.fd, buffer, offset, length, null));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EAGAIN" && code !== "EWOULDBLOCK" && code !== "EINTR") throw err;
      if (!port.isOpen) throw canceled();
      await new Promise<void>((resolve, reject) => {
        port.poller.once("readable", (e) => (e ? reject(e) : resolve()));
      });
      continue;
    }
    if (bytesRead === 0) {
      throw Object.assign(new Error("the line hung up (read returned end-of-file)"), { code: "EIO", disconnect: true });
    }
    return { buffer, bytesRead };
  }
}

/** Wraps a binding so every port it opens reports a hang-up instead of spinning on EOF. */
export function hangupAwareBinding<B extends SerialBinding>(base: B): B {
  const wrapped: SerialBinding = {
    list: () => base.list(),
    open: async (options: never) => {
      const port = await base.open(options);
      if (isUnixPort(port)) {
        port.read = (buffer, offset, length) => readUntilHangup(port, buffer, offset, length);
      }
      return port;
    },
  };
  return wrapped as B;
}
