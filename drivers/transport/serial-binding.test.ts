import { EventEmitter } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SerialPort, type SerialPortOpenOptions } from "serialport";
import { describe, expect, it } from "vitest";
import { PtyPair } from "../../simulators/pty.js";
import { hangupAwareBinding, readUntilHangup } from "./serial-binding.js";

/** A stand-in for LinuxPortBinding: an fd, a poller, an open flag. */
function fakePort() {
  const poller = new EventEmitter();
  return {
    fd: 42 as number | null,
    get isOpen() {
      return this.fd !== null;
    },
    poller: { once: (e: "readable", cb: (err?: Error | null) => void) => poller.once(e, cb) },
    fire: (err?: Error) => poller.emit("readable", err ?? null),
    read: async () => ({ buffer: Buffer.alloc(0), bytesRead: 0 }),
  };
}

type ReadFn = NonNullable<Parameters<typeof readUntilHangup>[4]>;
const script = (...steps: Array<number | string>): ReadFn =>
  (async (_fd: number, buffer: Buffer, offset: number) => {
    const step = steps.shift();
    if (typeof step === "string") throw Object.assign(new Error(step), { code: step });
    buffer.fill(0x90, offset, offset + (step ?? 0));
    return { bytesRead: step ?? 0, buffer };
  }) as unknown as ReadFn;

describe("readUntilHangup", () => {
  it("reports end-of-file as a disconnect instead of reading again", async () => {
    const port = fakePort();
    await expect(readUntilHangup(port, Buffer.alloc(8), 0, 8, script(0, 3))).rejects.toMatchObject({
      code: "EIO",
      disconnect: true,
      message: "the line hung up (read returned end-of-file)",
    });
  });

  it("waits for the poller on EAGAIN, then returns the bytes", async () => {
    const port = fakePort();
    const buf = Buffer.alloc(8);
    const reading = readUntilHangup(port, buf, 2, 6, script("EAGAIN", 3));
    await new Promise((r) => setImmediate(r));
    port.fire();
    await expect(reading).resolves.toEqual({ buffer: buf, bytesRead: 3 });
    expect(buf).toEqual(Buffer.from([0, 0, 0x90, 0x90, 0x90, 0, 0, 0]));
  });

  it("stops as canceled (not a loss) when the port was closed on purpose", async () => {
    const port = fakePort();
    port.fd = null;
    await expect(readUntilHangup(port, Buffer.alloc(1), 0, 1, script(1))).rejects.toMatchObject({ canceled: true });
  });

  it("passes other read errors through", async () => {
    await expect(readUntilHangup(fakePort(), Buffer.alloc(1), 0, 1, script("ENXIO"))).rejects.toMatchObject({ code: "ENXIO" });
  });
});

describe("hangupAwareBinding on a real pty", () => {
  /** Opens the pair's device path the way the agent does, and reports the port's close (bounded). */
  async function agentPort(pair: PtyPair): Promise<{ port: SerialPort; closed: Promise<unknown> }> {
    const binding = hangupAwareBinding(SerialPort.binding);
    const port = new SerialPort({ path: pair.devicePath, baudRate: 9600, autoOpen: false, binding } as SerialPortOpenOptions<typeof binding>);
    port.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    const closed = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the port never noticed the hang-up")), 3_000);
      port.once("close", (err: unknown) => {
        clearTimeout(timer);
        resolve(err);
      });
    });
    return { port, closed };
  }

  async function withPair(run: (pair: PtyPair) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-hup-"));
    const pair = await PtyPair.create({ devicePath: path.join(dir, "dev") });
    try {
      await run(pair);
    } finally {
      await pair.close();
      await rm(dir, { recursive: true, force: true });
    }
  }

  it("closes the port as a disconnect when the master closes while the port waits for data", async () => {
    await withPair(async (pair) => {
      const { port, closed } = await agentPort(pair);
      port.on("data", () => undefined);
      await pair.unplug();
      expect(await closed).toMatchObject({ disconnected: true });
    });
  });

  it("closes the port as a disconnect when the line hung up before the port's read ran (that read returns end-of-file)", async () => {
    // The stock binding retries that 0-byte read forever and never closes: what a loaded machine
    // produces when the hang-up lands while the read still waits for a thread-pool thread.
    await withPair(async (pair) => {
      const { port, closed } = await agentPort(pair);
      await pair.unplug(); // no read has started: nothing listens for data yet
      port.on("data", () => undefined);
      expect(await closed).toMatchObject({ disconnected: true });
    });
  });
});
