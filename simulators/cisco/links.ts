/**
 * Where the simulated codec is reached: SSH (its default API, logged in by the SSH password),
 * RS-232 on a pty (115200 8N1, login on the console, part B), and telnet on TCP (TC / old CE, C4:
 * the codec asks `DO 24, 32, 35, 39` and shows `login:`). Each link makes shells and can be cut:
 * unplug and reboot end the SSH and telnet sessions (their feedback with them); the RS-232 session
 * outlives a pulled cable, as a real console does, and is logged out by a reboot.
 */
import type { Clock } from "../../drivers/types.js";
import { startSerialLine } from "../serial-endpoint.js";
import { startSshEndpoint, type SshEndpoint } from "../ssh-endpoint.js";
import { startTcpListener } from "../tcp-endpoint.js";
import type { ErrorSink } from "../serial-endpoint.js";
import type { CiscoCodec } from "./model.js";
import { CodecShell } from "./shell.js";

export interface LinkDeps {
  codec: CiscoCodec;
  users: Record<string, string>;
  maxSessions: number;
  maxFeedback: number;
  errors: ErrorSink;
  clock: Clock;
  /** Every shell, as it opens (tests). */
  onShell(shell: CodecShell): void;
  onRefusedLogin(): void;
}

export interface CodecLink {
  readonly kind: "ssh" | "serial" | "tcp";
  readonly port: number | undefined;
  readonly devicePath: string | undefined;
  readonly hostFingerprint: string | undefined;
  readonly plugged: boolean;
  /** SSH logins the endpoint refused (terminal logins are counted by the shells). */
  readonly refusedLogins: number;
  /** Shells open now. */
  readonly sessions: number;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  /** The codec restarts: sessions end (SSH, telnet) or are logged out (RS-232); nothing answers until `booted`. */
  rebooting(): Promise<void>;
  booted(): Promise<void>;
  close(): Promise<void>;
}

export async function startSshLink(d: LinkDeps, host: string, port: number): Promise<CodecLink> {
  const shells = new Set<CodecShell>();
  const ep: SshEndpoint = await startSshEndpoint({
    host,
    port,
    users: d.users,
    get maxSessions() {
      return d.maxSessions; // `sessions DEV N` changes it while running
    },
    errors: d.errors,
    onShell(sh) {
      const shell = new CodecShell({ codec: d.codec, link: "ssh", write: (t) => sh.write(t), end: () => sh.end(), users: d.users, loggedIn: true, maxFeedback: d.maxFeedback, onRefusedLogin: d.onRefusedLogin });
      shells.add(shell);
      d.onShell(shell);
      shell.welcome();
      return {
        onData: (chunk) => guard(d.errors, () => shell.data(chunk)),
        onClose: () => {
          shells.delete(shell);
          shell.close();
        },
      };
    },
  });
  let booting = false;
  return {
    kind: "ssh",
    get refusedLogins() {
      return ep.refusedLogins;
    },
    get port() {
      return ep.port;
    },
    devicePath: undefined,
    hostFingerprint: ep.hostFingerprint,
    get plugged() {
      return ep.plugged;
    },
    get sessions() {
      return shells.size;
    },
    unplug: () => ep.unplug(),
    replug: () => (booting ? Promise.resolve() : ep.replug()),
    async rebooting() {
      booting = true;
      await ep.unplug();
    },
    async booted() {
      booting = false;
      await ep.replug();
    },
    close: () => ep.close(),
  };
}

export async function startSerialLink(d: LinkDeps, devicePath: string, baudRate: number): Promise<CodecLink> {
  let shell: CodecShell | undefined;
  const line = await startSerialLine({ devicePath, baudRate, errors: d.errors, pacing: { clock: d.clock } }, (l) => {
    const s = new CodecShell({ codec: d.codec, link: "serial", write: (t) => l.send(Buffer.from(t, "utf8")), end: () => s.logout(), users: d.users, loggedIn: false, maxFeedback: d.maxFeedback, onRefusedLogin: d.onRefusedLogin });
    shell = s;
    d.onShell(s);
    return { onData: (chunk) => guard(d.errors, () => s.data(chunk)), onClose: () => s.close() };
  });
  return {
    kind: "serial",
    refusedLogins: 0,
    port: undefined,
    devicePath: line.devicePath,
    hostFingerprint: undefined,
    get plugged() {
      return line.plugged;
    },
    sessions: 1,
    unplug: () => line.unplug(),
    replug: () => line.replug(),
    rebooting: async () => shell!.reboot(),
    booted: async () => shell!.booted(),
    close: () => line.close(),
  };
}

const IAC = 0xff;
/** DO TERMINAL-TYPE, DO TERMINAL-SPEED, DO X-DISPLAY-LOCATION, DO NEW-ENVIRON (part B, C4). */
export const TELNET_OPENING = Buffer.from([IAC, 0xfd, 0x18, IAC, 0xfd, 0x20, IAC, 0xfd, 0x23, IAC, 0xfd, 0x27]);

export async function startTcpLink(d: LinkDeps, host: string, port: number): Promise<CodecLink> {
  let booting = false;
  const listener = await startTcpListener({
    host,
    port,
    errors: d.errors,
    label: "telnet",
    onConnection(socket, open) {
      if (booting) {
        socket.destroy();
        return false;
      }
      if (open >= d.maxSessions) {
        socket.end("Maximum number of sessions reached\r\n"); // Security Session MaxTotalSessions [A]
        return false;
      }
      const shell = new CodecShell({ codec: d.codec, link: "tcp", write: (t) => socket.destroyed || socket.write(t), end: () => socket.end(), users: d.users, loggedIn: false, maxFeedback: d.maxFeedback, onRefusedLogin: d.onRefusedLogin });
      d.onShell(shell);
      let iac: "data" | "iac" | "opt" | "sb" | "sb-iac" = "data";
      socket.on("data", (chunk: Buffer) => {
        const data: number[] = [];
        for (const b of chunk) {
          if (iac === "data") b === IAC ? (iac = "iac") : data.push(b);
          else if (iac === "iac") iac = b >= 0xfb && b <= 0xfe ? "opt" : b === 0xfa ? "sb" : "data";
          else if (iac === "opt") iac = "data";
          else if (iac === "sb") iac = b === IAC ? "sb-iac" : "sb";
          else iac = b === 0xf0 ? "data" : "sb";
        }
        if (data.length > 0) guard(d.errors, () => shell.data(Buffer.from(data)));
      });
      socket.once("close", () => shell.close());
      socket.write(TELNET_OPENING);
      shell.prompt();
    },
  });
  return {
    kind: "tcp",
    refusedLogins: 0,
    get port() {
      return listener.port;
    },
    devicePath: undefined,
    hostFingerprint: undefined,
    get plugged() {
      return listener.plugged;
    },
    get sessions() {
      return listener.connections;
    },
    unplug: () => listener.unplug(),
    replug: () => (booting ? Promise.resolve() : listener.replug()),
    async rebooting() {
      booting = true;
      await listener.unplug();
    },
    async booted() {
      booting = false;
      await listener.replug();
    },
    close: () => listener.close(),
  };
}

/** A model bug must not take the process down: it goes to the error log. */
function guard(errors: ErrorSink, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    errors.add(err, "codec failed on input");
  }
}
