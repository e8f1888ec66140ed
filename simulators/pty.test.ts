import { execFile } from "node:child_process";
import { constants, openSync, readdirSync } from "node:fs";
import { lstat, mkdtemp, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import tty from "node:tty";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { SerialPort, type SerialPortOpenOptions } from "serialport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hangupAwareBinding } from "../drivers/transport/serial-binding.js";
import { PtyPair, loadPtyBinding } from "./pty.js";

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-pty-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const exists = (p: string): Promise<boolean> => lstat(p).then(() => true, () => false);

/** The agent opens ports the way SerialTransport does: with EOF treated as a hang-up. */
const binding = hangupAwareBinding(SerialPort.binding);

async function openPort(p: string): Promise<SerialPort> {
  const port = new SerialPort({ path: p, baudRate: 9600, autoOpen: false, binding } as SerialPortOpenOptions<typeof binding>);
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

const close = (port: SerialPort): Promise<void> => new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));

/** Collects bytes from an emitter of `data`; `take(n)` resolves with the next n bytes (bounded, event-driven). */
class Inbox {
  private got = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  push = (chunk: Buffer): void => {
    this.got = Buffer.concat([this.got, chunk]);
    this.wake?.();
  };
  get pending(): number {
    return this.got.length;
  }
  take(n: number, what: string, ms = 3_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: only ${this.got.length}/${n} bytes within ${ms} ms`)), ms);
      const check = (): void => {
        if (this.got.length < n) return;
        clearTimeout(timer);
        this.wake = undefined;
        const out = this.got.subarray(0, n);
        this.got = this.got.subarray(n);
        resolve(out);
      };
      this.wake = check;
      check();
    });
  }
}

/** Every byte value, the awkward ones for a tty (LF, CR, ^C, XON, XOFF, ^Z, DEL, 0xFF) among them. */
const EVERY_BYTE = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const AWKWARD = Buffer.from([0x0a, 0x0d, 0x03, 0x11, 0x13, 0x1a, 0x7f, 0xff, 0x00, 0x04, 0x08, 0x15, 0x16, 0x17, 0x1c, 0x0d, 0x0a]);

/** Sends `bytes` both ways through an agent port and the pair; asserts they arrive unchanged. */
async function bothWays(pair: PtyPair, fromSim: Inbox, agent: SerialPort, toAgent: Inbox, bytes: Buffer, when: string): Promise<void> {
  agent.write(bytes);
  expect(await fromSim.take(bytes.length, `agent -> simulator ${when}`)).toEqual(bytes);
  expect(pair.write(bytes)).toBe(bytes.length);
  expect(await toAgent.take(bytes.length, `simulator -> agent ${when}`)).toEqual(bytes);
}

describe("PtyPair", () => {
  it("links the pty's slave under new parent dirs and carries every byte value both ways, across the agent closing and reopening", async () => {
    const fromSim = new Inbox();
    const devicePath = path.join(dir, "a", "b", "cam-main");
    const pair = await PtyPair.create({ devicePath, onData: fromSim.push });
    try {
      expect(pair.devicePath).toBe(devicePath);
      expect(pair.plugged).toBe(true);
      const pts = await readlink(devicePath);
      expect(pts).toMatch(/^\/dev\/pts\/\d+$/);
      expect(pair.ptsPath).toBe(pts);

      for (const when of ["on the first open", "after the agent closed and reopened the port", "on a third open"]) {
        const agent = await openPort(devicePath);
        const toAgent = new Inbox();
        agent.on("data", toAgent.push);
        await bothWays(pair, fromSim, agent, toAgent, EVERY_BYTE, when);
        await bothWays(pair, fromSim, agent, toAgent, AWKWARD, when);
        await close(agent);
      }
      expect(fromSim.pending).toBe(0); // nothing echoed back
    } finally {
      await pair.close();
    }
  });

  it("is raw before the agent sets any termios: no echo, no line editing, no signals, no flow control", async () => {
    const fromSim = new Inbox();
    const pair = await PtyPair.create({ devicePath: path.join(dir, "raw", "dev"), onData: fromSim.push });
    // A plain open, as a program that sets nothing would do; read through a tty stream (which reads, never sets).
    const fd = openSync(pair.devicePath, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    const plain = new tty.ReadStream(fd);
    const toPlain = new Inbox();
    plain.on("data", toPlain.push);
    try {
      expect(pair.write(EVERY_BYTE)).toBe(256);
      expect(await toPlain.take(256, "simulator -> plain reader")).toEqual(EVERY_BYTE);
      expect(pair.write(AWKWARD)).toBe(AWKWARD.length);
      expect(await toPlain.take(AWKWARD.length, "simulator -> plain reader")).toEqual(AWKWARD);
      // Had echo been on, the simulator would now be reading its own bytes back.
      expect(fromSim.pending).toBe(0);
    } finally {
      plain.destroy();
      await pair.close();
    }
  });

  it("unplug: the agent's port closes as a disconnect, the link vanishes, writes go nowhere; replug: same path works", async () => {
    const fromSim = new Inbox();
    const pair = await PtyPair.create({ devicePath: path.join(dir, "u", "dev"), onData: fromSim.push });
    try {
      const agent = await openPort(pair.devicePath);
      agent.on("data", () => undefined); // reading is how a tty notices the hang-up
      agent.on("error", () => undefined);
      const closed = new Promise<unknown>((resolve) => agent.once("close", resolve));
      const pts = pair.ptsPath!;
      await pair.unplug();
      expect(pair.plugged).toBe(false);
      expect(pair.ptsPath).toBeUndefined();
      expect(await closed).toMatchObject({ disconnected: true });
      expect(await exists(pair.devicePath)).toBe(false);
      expect(await exists(pts)).toBe(false); // the pty itself is gone, not just our link
      expect(pair.write(Buffer.from([0x90, 0x41, 0xff]))).toBe(0);
      await pair.unplug(); // twice is harmless

      await pair.replug();
      expect(pair.plugged).toBe(true);
      expect(await readlink(pair.devicePath)).toBe(pair.ptsPath);
      const again = await openPort(pair.devicePath);
      const toAgent = new Inbox();
      again.on("data", toAgent.push);
      await bothWays(pair, fromSim, again, toAgent, EVERY_BYTE, "after replug");
      await close(again);
    } finally {
      await pair.close();
    }
  });

  it("close() is idempotent, removes the link, and refuses replug()", async () => {
    const pair = await PtyPair.create({ devicePath: path.join(dir, "c", "dev") });
    await Promise.all([pair.close(), pair.close()]);
    await pair.close();
    expect(pair.plugged).toBe(false);
    expect(await exists(pair.devicePath)).toBe(false);
    await expect(pair.replug()).rejects.toMatchObject({ code: "closed" });
  });

  it("leaks no file descriptor over create, agent open/close, unplug, replug and close", async () => {
    const fds = (): number => readdirSync("/proc/self/fd").length;
    const cycle = async (n: number): Promise<void> => {
      const pair = await PtyPair.create({ devicePath: path.join(dir, "fd", `dev${n}`), onData: () => undefined });
      const agent = await openPort(pair.devicePath);
      agent.on("data", () => undefined);
      agent.on("error", () => undefined);
      const closed = new Promise<unknown>((resolve) => agent.once("close", resolve));
      await pair.unplug();
      await closed;
      await pair.replug();
      await pair.close();
    };
    await cycle(0); // first use loads bindings and starts thread-pool threads: not a leak
    const before = fds();
    for (let n = 1; n <= 5; n++) await cycle(n);
    expect(fds()).toBe(before);
  });

  it("writes never block: with nobody reading, the pty takes what fits and the rest is reported as not taken", async () => {
    const pair = await PtyPair.create({ devicePath: path.join(dir, "full", "dev") });
    try {
      const big = Buffer.alloc(1024 * 1024, 0x55);
      const took = pair.write(big);
      expect(took).toBeGreaterThan(0);
      expect(took).toBeLessThan(big.length);
      // The kernel may have moved a few KiB on from its buffer meanwhile: at most that fits now.
      expect(pair.write(big)).toBeLessThan(64 * 1024);
    } finally {
      await pair.close();
    }
  });

  it("a pty that cannot be set up fails with pty_failed, closes what it opened and leaves no link", async () => {
    const devicePath = path.join(dir, "bad", "dev");
    // Two plain files where the pty's descriptors should be: not ttys, so the raw setup fails.
    const a = openSync(path.join(dir, "not-a-master"), "w");
    const b = openSync(path.join(dir, "not-a-slave"), "w");
    const fds = readdirSync("/proc/self/fd").length;
    await expect(PtyPair.create({ devicePath, openPty: () => ({ master: a, slave: b, pty: "/dev/pts/none" }) })).rejects.toMatchObject({
      code: "pty_failed",
      message: expect.stringMatching(new RegExp(`^pty ${devicePath}: could not set up /dev/pts/none: `)),
    });
    expect(readdirSync("/proc/self/fd").length).toBe(fds - 2);
    expect(await exists(devicePath)).toBe(false);
  });

  it("replaces a stale link from a crashed run but never a real file", async () => {
    const devicePath = path.join(dir, "s", "dev");
    const first = await PtyPair.create({ devicePath });
    await first.close();
    await symlink("/dev/pts/9999", devicePath); // a dangling link left behind
    const second = await PtyPair.create({ devicePath });
    expect(await readlink(devicePath)).toBe(second.ptsPath);
    await second.close();

    await writeFile(devicePath, "not a link");
    await expect(PtyPair.create({ devicePath })).rejects.toMatchObject({
      code: "path_in_use",
      message: `pty: ${devicePath} exists and is not a symlink; not replacing it`,
    });
    expect(await readFile(devicePath, "utf8")).toBe("not a link");
  });

  it("a child process inherits no slave descriptor; it does inherit the master (the known limit in pty.ts)", async () => {
    const pair = await PtyPair.create({ devicePath: path.join(dir, "child", "dev") });
    try {
      const script = `const fs = require("fs");
        for (const fd of fs.readdirSync("/proc/self/fd")) { try { console.log(fs.readlinkSync("/proc/self/fd/" + fd)); } catch {} }`;
      const { stdout } = await promisify(execFile)(process.execPath, ["-e", script]);
      const held = stdout.split("\n");
      expect(held).not.toContain(pair.ptsPath);
      // openpty's master is not close-on-exec and Node cannot set the flag. Should this start to
      // fail, the binding sets it now: drop the caveat in pty.ts and this line.
      expect(held).toContain("/dev/ptmx");
    } finally {
      await pair.close();
    }
  });

  it("removes its links when the process exits, and the pty dies with the process", async () => {
    const root = fileURLToPath(new URL("..", import.meta.url));
    const devicePath = path.join(dir, "exit", "dev");
    const script = `import { PtyPair } from ${JSON.stringify(path.join(root, "dist/simulators/pty.js"))};
      const pair = await PtyPair.create({ devicePath: ${JSON.stringify(devicePath)} });
      console.log(pair.ptsPath);
      process.exit(0);`;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]);
    const pts = stdout.trim();
    expect(pts).toMatch(/^\/dev\/pts\/\d+$/);
    expect(await exists(devicePath)).toBe(false);
  });
});

describe("loadPtyBinding", () => {
  it("names the platform when there is no pty binding for it, with a code, not a stack trace", () => {
    const missing = (id: string): never => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: "MODULE_NOT_FOUND" });
    };
    expect(() => loadPtyBinding("freebsd", "x64", missing)).toThrow(
      expect.objectContaining({
        code: "pty_unavailable",
        message: "pseudo-terminals are not available on freebsd-x64: @lydell/node-pty-freebsd-x64 is not installed (roomgate's serial simulators run on linux-x64 and linux-arm64)",
      }),
    );
    expect(() => loadPtyBinding("win32", "x64", () => ({ fork: () => undefined }))).toThrow(expect.objectContaining({ code: "pty_unavailable" }));
  });

  it("loads this machine's binding", () => {
    expect(typeof loadPtyBinding().open).toBe("function");
  });
});
