/**
 * A pseudo-terminal standing in for a serial cable, made in this process (openpty(3) through
 * node-pty's prebuilt binding; nothing to install from apt). The agent opens `devicePath`, a
 * symlink to the pty's slave (/dev/pts/N), as it would open /dev/ttyUSB0; the simulator keeps the
 * master and reads and writes it here, so bytes flow between them like a null-modem cable.
 * `unplug` removes the link and closes the master: the agent's open port sees the hang-up a pulled
 * USB adapter gives (serialport closes with `disconnected`). `replug` makes a new pty behind the
 * same link.
 *
 * Rules:
 * - The slave's line discipline is raw (no echo, no line editing, no signals, no flow-control
 *   characters) before the link exists, so every byte 0x00-0xFF crosses unchanged; the agent's
 *   serialport then sets its own termios on open.
 * - The agent alone reads the slave. We keep one slave descriptor open (close-on-exec, never
 *   read) while plugged, because with no slave open at all a read on the master fails with EIO:
 *   without it the master would die the first time the agent closed its port.
 * - Writes never block: a pty holds only a few KiB that nobody reads, and a blocking write on the
 *   master would stall the whole event loop. `write` reports how many bytes fit; the rest is lost,
 *   as on a serial line whose receiver is not listening.
 * - Links are removed when this process exits; the master descriptors die with it.
 * - Known limit: openpty's master descriptor is not close-on-exec and Node cannot set the flag,
 *   so a child process spawned while a pty is plugged inherits the master. While such a child
 *   lives, `unplug` cannot hang the line up (the child still holds the master). Start long-lived
 *   children (brokers, browsers) before the simulators, or stop them before expecting a hang-up.
 */
import { closeSync, constants, openSync, readlinkSync, unlinkSync, writeSync } from "node:fs";
import { lstat, mkdir, symlink, unlink } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import tty from "node:tty";

export type PtyErrorCode = "pty_unavailable" | "pty_failed" | "path_in_use" | "closed";

export class PtyError extends Error {
  readonly code: PtyErrorCode;
  constructor(code: PtyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PtyError";
    this.code = code;
  }
}

/** What node-pty's native `open` returns: both descriptors and the slave's name. */
export interface OpenedPty {
  master: number;
  slave: number;
  pty: string;
}

type PtyBinding = { open(cols: number, rows: number): OpenedPty };
let binding: PtyBinding | undefined;

/**
 * node-pty's native binding for this machine, from its per-platform package. The package's own
 * `open()` is not used: it keeps reading the slave, which would steal the agent's bytes.
 */
export function loadPtyBinding(platform: string = process.platform, arch: string = process.arch, load: (id: string) => unknown = createRequire(import.meta.url)): PtyBinding {
  const pkg = `@lydell/node-pty-${platform}-${arch}`;
  let loaded: unknown;
  try {
    loaded = platform === "win32" ? undefined : load(`${pkg}/pty.node`); // Windows has no openpty
  } catch (err) {
    throw new PtyError("pty_unavailable", `pseudo-terminals are not available on ${platform}-${arch}: ${pkg} is not installed (roomgate's serial simulators run on linux-x64 and linux-arm64)`, { cause: err });
  }
  if (typeof (loaded as Partial<PtyBinding> | undefined)?.open !== "function") {
    throw new PtyError("pty_unavailable", `pseudo-terminals are not available on ${platform}-${arch}: ${pkg} has no openpty (roomgate's serial simulators run on linux-x64 and linux-arm64)`);
  }
  return loaded as PtyBinding;
}

export interface PtyPairOptions {
  /** The link the agent opens, e.g. /tmp/roomgate/district-07/cam-main. Parent directories are made. */
  devicePath: string;
  /** Bytes the agent wrote, as they arrive. */
  onData?: (chunk: Buffer) => void;
  /** Failures on the simulator's end after `create` (a read error, a lost pty). Default: a process warning. */
  onError?: (err: PtyError) => void;
  /** Opens a pty (tests inject failures). Default: node-pty's binding. */
  openPty?: () => OpenedPty;
}

/** One plugged-in pty: the master as a stream (for reading) and its descriptor (for writing). */
interface Plug {
  readonly master: tty.ReadStream;
  readonly fd: number;
  /** Our slave descriptor, never read: it keeps the master readable while no agent has the port open. */
  readonly keeper: number;
  readonly pts: string;
  readonly closed: Promise<void>;
  open: boolean;
}

/** The links of plugged pairs (link -> the pty it points at), removed when the process exits. */
const live = new Map<PtyPair, { link: string; pts: string }>();
let exitHookInstalled = false;

export class PtyPair {
  readonly devicePath: string;
  private readonly onData: (chunk: Buffer) => void;
  private readonly onError: (err: PtyError) => void;
  private readonly openPty: () => OpenedPty;
  private plug: Plug | undefined;
  /** Unplug, replug and close run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  private constructor(opts: PtyPairOptions) {
    this.devicePath = path.resolve(opts.devicePath);
    this.onData = opts.onData ?? (() => undefined);
    this.onError = opts.onError ?? ((err) => process.emitWarning(err));
    this.openPty = opts.openPty ?? (() => (binding ??= loadPtyBinding()).open(80, 24));
  }

  /** Makes the pty and its link; resolves once the agent can open `devicePath`. */
  static async create(opts: PtyPairOptions): Promise<PtyPair> {
    const pair = new PtyPair(opts);
    await pair.plugIn();
    return pair;
  }

  /** True between create/replug and unplug/close. */
  get plugged(): boolean {
    return this.plug !== undefined;
  }

  /** The slave the link points at while plugged, e.g. /dev/pts/3. */
  get ptsPath(): string | undefined {
    return this.plug?.pts;
  }

  /**
   * Writes to the agent at once, without blocking. Returns how many bytes the pty took: all of
   * them unless its buffer is full (nobody reads the line), none while unplugged.
   */
  write(data: Buffer | string): number {
    const plug = this.plug;
    if (plug === undefined) return 0;
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let done = 0;
    while (done < bytes.length) {
      try {
        done += writeSync(plug.fd, bytes, done, bytes.length - done);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EINTR") continue;
        if (code !== "EAGAIN") this.onError(new PtyError("pty_failed", `pty ${this.devicePath}: write failed (${code ?? String(err)})`, { cause: err }));
        break;
      }
    }
    return done;
  }

  /** Pulls the cable: the link vanishes, then the master closes (the agent's port hangs up). */
  unplug(): Promise<void> {
    return this.serially(() => this.pullOut());
  }

  /** A new pty behind the same link (a no-op while plugged). */
  replug(): Promise<void> {
    if (this.closing) return Promise.reject(new PtyError("closed", `pty ${this.devicePath}: replug() after close()`));
    return this.serially(() => (this.plug ? Promise.resolve() : this.plugIn()));
  }

  /** Unplugs for good; idempotent. */
  close(): Promise<void> {
    this.closing ??= this.serially(() => this.pullOut());
    return this.closing;
  }

  private serially(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step);
    this.queue = run.catch(() => undefined); // one failed step must not stop the next
    return run;
  }

  private async plugIn(): Promise<void> {
    await mkdir(path.dirname(this.devicePath), { recursive: true });
    await removeLink(this.devicePath);
    const opened = this.openPty();
    let slave: tty.ReadStream | undefined;
    let master: tty.ReadStream;
    let keeper: number;
    const owned = new Set([opened.slave, opened.master]); // closed here if the setup fails
    try {
      // Raw before anything flows. libuv sets it through a descriptor of its own (it reopens the
      // tty) and turns ours into a close-on-exec duplicate, which we keep (see the header).
      slave = new tty.ReadStream(opened.slave);
      const streamFd = (slave as unknown as { _handle?: { fd?: number } })._handle?.fd;
      if (streamFd === opened.slave) owned.delete(opened.slave); // not reopened: the stream owns it
      slave.setRawMode(true);
      keeper = streamFd === opened.slave ? openSync(opened.pty, constants.O_RDWR | constants.O_NOCTTY) : opened.slave;
      owned.add(keeper);
      master = new tty.ReadStream(opened.master);
    } catch (err) {
      slave?.destroy();
      for (const fd of owned) closeSync(fd);
      throw new PtyError("pty_failed", `pty ${this.devicePath}: could not set up ${opened.pty}: ${(err as Error).message}`, { cause: err });
    }
    slave.destroy();
    const plug: Plug = {
      master,
      fd: opened.master,
      keeper,
      pts: opened.pty,
      open: true,
      closed: new Promise<void>((resolve) => master.once("close", () => resolve())),
    };
    master.on("data", (chunk: Buffer) => this.onData(chunk));
    master.on("error", (err: NodeJS.ErrnoException) => {
      this.onError(new PtyError("pty_failed", `pty ${this.devicePath}: read failed on ${plug.pts} (${err.code ?? err.message})`, { cause: err }));
    });
    master.once("close", () => {
      plug.open = false;
      closeSync(plug.keeper);
      // Closed by anything but pullOut (a read error): the cable is out, say so.
      if (this.plug === plug) {
        this.plug = undefined;
        live.delete(this);
        removeLink(this.devicePath).catch((err: unknown) => this.onError(asPtyError(err, this.devicePath)));
      }
    });
    try {
      await symlink(opened.pty, this.devicePath);
    } catch (err) {
      master.destroy();
      await plug.closed;
      throw (err as NodeJS.ErrnoException).code === "EEXIST"
        ? new PtyError("path_in_use", `pty: ${this.devicePath} appeared while the pty was made; not replacing it`)
        : err;
    }
    this.plug = plug;
    live.set(this, { link: this.devicePath, pts: plug.pts });
    installExitHook();
  }

  private async pullOut(): Promise<void> {
    const plug = this.plug;
    this.plug = undefined; // writes from here on go nowhere, as on a pulled cable
    live.delete(this);
    try {
      await removeLink(this.devicePath);
    } finally {
      if (plug?.open) plug.master.destroy();
      await plug?.closed;
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const { link, pts } of live.values()) {
      try {
        if (readlinkSync(link) === pts) unlinkSync(link);
      } catch (err) {
        // Gone already (ENOENT) or replaced by a file (EINVAL): not ours to remove. Anything else
        // is said on stderr, synchronously: the process is exiting and a warning would never print.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "EINVAL") process.stderr.write(`roomgate: could not remove ${link}: ${(err as Error).message}\n`);
      }
    }
  });
}

function asPtyError(err: unknown, devicePath: string): PtyError {
  return err instanceof PtyError ? err : new PtyError("pty_failed", `pty ${devicePath}: ${(err as Error).message}`, { cause: err });
}

/** Removes a link left by an earlier run; refuses to delete anything that is not a symlink. */
async function removeLink(p: string): Promise<void> {
  let isLink: boolean;
  try {
    isLink = (await lstat(p)).isSymbolicLink();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (!isLink) throw new PtyError("path_in_use", `pty: ${p} exists and is not a symlink; not replacing it`);
  await unlink(p).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
}
