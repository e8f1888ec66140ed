/**
 * An SSH server for simulators whose device is reached over SSH (Cisco and Poly codecs): ssh2's
 * server on loopback, with password and keyboard-interactive logins checked against the device's
 * users, and every interactive shell handed to the simulator as a line of bytes, the way
 * `startSerialLine` hands it a pty. What the device says on the shell stays with each simulator.
 *
 * The host key is made once per endpoint (ECDSA P-256, by node:crypto: ssh2's own ed25519 generator
 * writes a 31-byte key about one time in 300, which its parser then refuses) and kept across
 * unplug/replug, so a driver that pinned the fingerprint accepts the same device again. Faults: `unplug` (the server goes away and
 * every connection is cut), a wrong password refused as a real device does, a limit of sessions.
 */
import { generateKeyPairSync } from "node:crypto";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import ssh2 from "ssh2";
import type { Connection, ServerChannel } from "ssh2";
import { sshFingerprint } from "../drivers/transport/ssh.js";
import type { ErrorSink } from "./serial-endpoint.js";

const { Server, utils } = ssh2;

/** One shell on the endpoint as the simulator sees it. */
export interface SshShell {
  readonly username: string;
  write(data: Buffer | string): void;
  /** Ends the shell (the device logs the user out); the client sees its channel close. */
  end(): void;
}

/** What the simulator does with one shell: like SerialLineHandlers, per session. */
export interface SshShellHandlers {
  onData(chunk: Buffer): void;
  onClose?(): void;
}

export interface SshEndpointOptions {
  host?: string;
  /** 0: a port the kernel picks. */
  port: number;
  /** User name -> password. */
  users: Record<string, string>;
  /** At most this many shells at once; the next login is refused at the shell request. Default 4. Read at every shell request (a getter may change it). */
  maxSessions?: number;
  errors: ErrorSink;
  /** Called for every new shell. */
  onShell(shell: SshShell): SshShellHandlers;
}

export interface SshEndpoint {
  readonly host: string;
  readonly port: number;
  /** `SHA256:...` of the host key, for a site file's `transport.hostFingerprint`. */
  readonly hostFingerprint: string;
  readonly plugged: boolean;
  /** Logins refused so far (wrong user or password). */
  readonly refusedLogins: number;
  readonly shells: number;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
}

export async function startSshEndpoint(opts: SshEndpointOptions): Promise<SshEndpoint> {
  const host = opts.host ?? "127.0.0.1";
  const hostKey = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "sec1", format: "pem" }) as string;
  const parsed = utils.parseKey(hostKey);
  if (parsed instanceof Error) throw parsed;
  const fingerprint = sshFingerprint(parsed.getPublicSSH());
  const connections = new Set<Connection>();
  const sockets = new Set<Socket>();
  const live = new Set<ServerChannel>();
  let refused = 0;
  let port = opts.port;
  let tcp: NetServer | undefined;
  let closed: Promise<void> | undefined;

  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    connections.add(client);
    let user = "";
    client.on("error", (err) => opts.errors.add(err, "ssh client error"));
    client.on("close", () => connections.delete(client));
    client.on("authentication", (ctx) => {
      const expected = opts.users[ctx.username];
      if (ctx.method === "password") {
        if (expected !== undefined && ctx.password === expected) {
          user = ctx.username;
          return ctx.accept();
        }
        refused++;
        return ctx.reject(["password", "keyboard-interactive"]);
      }
      if (ctx.method === "keyboard-interactive") {
        return ctx.prompt([{ prompt: "Password: ", echo: false }], (answers) => {
          if (expected !== undefined && answers[0] === expected) {
            user = ctx.username;
            ctx.accept();
          } else {
            refused++;
            ctx.reject(["password", "keyboard-interactive"]);
          }
        });
      }
      ctx.reject(["password", "keyboard-interactive"]);
    });
    client.on("ready", () => {
      client.on("session", (accept) => {
        const session = accept();
        session.on("pty", (ok) => ok?.());
        session.on("env", (ok) => ok?.());
        session.on("shell", (ok, reject) => {
          if (live.size >= (opts.maxSessions ?? 4)) return reject?.();
          const channel = ok();
          live.add(channel);
          const handlers = opts.onShell({
            username: user,
            write: (data) => {
              if (live.has(channel)) channel.write(data);
            },
            end: () => {
              if (!live.has(channel)) return;
              live.delete(channel);
              channel.exit(0);
              channel.end();
            },
          });
          channel.on("data", (chunk: Buffer) => handlers.onData(chunk));
          channel.on("error", (err: Error) => opts.errors.add(err, "ssh channel error"));
          channel.on("close", () => {
            live.delete(channel);
            handlers.onClose?.();
          });
        });
      });
    });
  });

  /** ssh2's Server wraps a net.Server; we own the listener so unplug can cut every socket. */
  async function listen(): Promise<void> {
    const s = createNetServer((socket) => {
      // A shell answers a command in small writes (the echo, then the reply): without this, Nagle
      // holds the second until the client's delayed ACK, 40-90 ms per command on loopback.
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", (err) => opts.errors.add(err, "ssh socket error"));
      server.injectSocket(socket);
    });
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, host, () => {
        s.off("error", reject);
        port = (s.address() as { port: number }).port;
        resolve();
      });
    });
    s.on("error", (err) => opts.errors.add(err, "ssh listener error"));
    tcp = s;
  }

  async function unplug(): Promise<void> {
    const s = tcp;
    tcp = undefined;
    for (const c of live) c.close();
    live.clear();
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    connections.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  await listen();
  return {
    host,
    get port() {
      return port;
    },
    hostFingerprint: fingerprint,
    get plugged() {
      return tcp !== undefined;
    },
    get refusedLogins() {
      return refused;
    },
    get shells() {
      return live.size;
    },
    unplug,
    async replug() {
      if (closed) throw new Error("ssh endpoint: replug() after close()");
      if (!tcp) await listen();
    },
    close() {
      closed ??= unplug();
      return closed;
    },
  };
}
