/**
 * Where the simulated Poly codec is reached: its telnet API port on TCP, its RS-232 port on a pty,
 * its SSH server. Each connection or shell is one API session of the codec (codec.ts).
 *
 * - TCP: a connection beyond the session limit is closed at once ([A]: the sources do not say what
 *   a full codec does). Unplug closes the listener and every connection (sessions and their
 *   registrations die with them); replug listens again on the same port.
 * - Serial: one session for the life of the port; a pulled cable does not end it (the codec cannot
 *   tell), so its login and registrations survive unplug/replug. Output is paced at the baud rate.
 * - SSH: startSshEndpoint's server; the transport logged in, so the shell starts with the banner.
 */
import type { Clock } from "../../drivers/types.js";
import type { ErrorLog } from "../error-log.js";
import { startSerialLine } from "../serial-endpoint.js";
import { startSshEndpoint } from "../ssh-endpoint.js";
import { startTcpListener } from "../tcp-endpoint.js";
import type { ApiSession, PolyCodec } from "./codec.js";

export interface Endpoint {
  readonly plugged: boolean;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
}

export interface TcpEndpoint extends Endpoint {
  readonly port: number;
}

export async function startTcp(codec: PolyCodec, host: string, port: number, errors: ErrorLog): Promise<TcpEndpoint> {
  return startTcpListener({
    host,
    port,
    errors,
    onConnection(socket, open) {
      if (open >= codec.maxSessions) {
        socket.destroy();
        return false;
      }
      const session = codec.openSession({
        kind: "tcp",
        write: (text) => {
          if (!socket.destroyed) socket.write(text, "latin1");
        },
        close: () => socket.end(),
      });
      socket.on("data", (chunk: Buffer) => guarded(errors, () => session.input(chunk)));
      socket.once("close", () => codec.closeSession(session));
      codec.greet(session);
    },
  });
}

export interface SerialEndpoint extends Endpoint {
  readonly devicePath: string;
  readonly baudRate: number;
  readonly session: ApiSession;
}

export async function startSerial(codec: PolyCodec, opts: { devicePath: string; baudRate: number; clock: Clock }, errors: ErrorLog): Promise<SerialEndpoint> {
  let session: ApiSession | undefined;
  const line = await startSerialLine({ devicePath: opts.devicePath, baudRate: opts.baudRate, errors, pacing: { clock: opts.clock } }, (l) => {
    const s = codec.openSession({ kind: "serial", write: (text) => l.send(Buffer.from(text, "latin1")), close: () => undefined });
    session = s;
    return {
      onData: (chunk) => guarded(errors, () => s.input(chunk)),
      onDisconnect: () => s.dropInput(),
      onClose: () => codec.closeSession(s),
    };
  });
  return {
    devicePath: line.devicePath,
    baudRate: line.baudRate,
    session: session!, // set by the setup callback, which runs before startSerialLine resolves
    get plugged() {
      return line.plugged;
    },
    unplug: () => line.unplug(),
    replug: () => line.replug(),
    close: () => line.close(),
  };
}

export interface SshEndpointHandle extends Endpoint {
  readonly port: number;
  readonly hostFingerprint: string;
  readonly refusedLogins: number;
}

/** `users` is read at every login: change it to refuse the agent's password (the bad-password fault). */
export async function startSsh(codec: PolyCodec, opts: { host: string; port: number; users: Record<string, string> }, errors: ErrorLog): Promise<SshEndpointHandle> {
  const ep = await startSshEndpoint({
    host: opts.host,
    port: opts.port,
    users: opts.users,
    get maxSessions() {
      return codec.maxSessions;
    },
    errors,
    onShell(shell) {
      const session = codec.openSession({ kind: "ssh", write: (text) => shell.write(Buffer.from(text, "latin1")), close: () => shell.end() });
      queueMicrotask(() => codec.greet(session));
      return {
        onData: (chunk) => guarded(errors, () => session.input(chunk)),
        onClose: () => codec.closeSession(session),
      };
    },
  });
  return {
    get port() {
      return ep.port;
    },
    hostFingerprint: ep.hostFingerprint,
    get refusedLogins() {
      return ep.refusedLogins;
    },
    get plugged() {
      return ep.plugged;
    },
    unplug: () => ep.unplug(),
    replug: () => ep.replug(),
    close: () => ep.close(),
  };
}

/** A model bug must not take the process down: it is kept in the simulator's error log. */
function guarded(errors: ErrorLog, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    errors.add(err, "the codec failed on input");
  }
}
