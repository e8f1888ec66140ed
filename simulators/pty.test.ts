import { chmod, lstat, mkdtemp, readlink, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SerialPort, type SerialPortOpenOptions } from "serialport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hangupAwareBinding } from "../drivers/transport/serial-binding.js";
import { PtyPair, socatAvailable } from "./pty.js";

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

/** Writes on `from`, resolves with the first `n` bytes seen on `to` (bounded). */
function pass(from: SerialPort, to: SerialPort, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error(`only ${got.length}/${bytes.length} bytes crossed the pty`)), 3_000);
    const onData = (c: Buffer): void => {
      got = Buffer.concat([got, c]);
      if (got.length < bytes.length) return;
      clearTimeout(timer);
      to.off("data", onData);
      resolve(got);
    };
    to.on("data", onData);
    from.write(bytes);
  });
}

const close = (port: SerialPort): Promise<void> =>
  new Promise((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve()));

const haveSocat = await socatAvailable();

describe.skipIf(!haveSocat)("PtyPair (real socat)", () => {
  it("links both ends under new parent dirs and carries bytes both ways", async () => {
    const devicePath = path.join(dir, "a", "b", "cam-main");
    const pair = await PtyPair.create({ devicePath });
    try {
      expect(pair.devicePath).toBe(devicePath);
      expect(pair.simulatorPath).toBe(`${devicePath}.sim`);
      expect(await readlink(pair.devicePath)).toMatch(/^\/dev\/pts\/\d+$/);
      expect(await readlink(pair.simulatorPath)).toMatch(/^\/dev\/pts\/\d+$/);

      const agent = await openPort(pair.devicePath);
      const sim = await openPort(pair.simulatorPath);
      const cmd = Buffer.from([0x81, 0x01, 0x04, 0x00, 0x02, 0xff]);
      const ack = Buffer.from([0x90, 0x41, 0xff, 0x90, 0x51, 0xff]);
      expect(await pass(agent, sim, cmd)).toEqual(cmd); // raw: no echo, no newline mangling
      expect(await pass(sim, agent, ack)).toEqual(ack);
      await Promise.all([close(agent), close(sim)]);
    } finally {
      await pair.close();
    }
  });

  it("unplug makes the agent's port close as a disconnect and the links vanish; replug brings them back", async () => {
    const pair = await PtyPair.create({ devicePath: path.join(dir, "u", "dev"), simulatorPath: path.join(dir, "u", "sim") });
    try {
      const agent = await openPort(pair.devicePath);
      agent.on("data", () => undefined); // reading is how a pty notices its master is gone
      agent.on("error", () => undefined);
      const closed = new Promise<unknown>((resolve) => agent.once("close", resolve));
      await pair.unplug();
      expect(pair.plugged).toBe(false);
      expect(await closed).toMatchObject({ disconnected: true });
      expect(await exists(pair.devicePath)).toBe(false);
      expect(await exists(pair.simulatorPath)).toBe(false);

      await pair.replug();
      expect(pair.plugged).toBe(true);
      const again = await openPort(pair.devicePath);
      const sim = await openPort(pair.simulatorPath);
      expect(await pass(again, sim, Buffer.from("88 30 01 FF"))).toEqual(Buffer.from("88 30 01 FF"));
      await Promise.all([close(again), close(sim)]);
    } finally {
      await pair.close();
    }
  });

  it("close() is idempotent, removes the links, and refuses replug()", async () => {
    const pair = await PtyPair.create({ devicePath: path.join(dir, "c", "dev") });
    await Promise.all([pair.close(), pair.close()]);
    await pair.close();
    expect(await exists(pair.devicePath)).toBe(false);
    expect(await exists(pair.simulatorPath)).toBe(false);
    await expect(pair.replug()).rejects.toMatchObject({ code: "closed" });
  });

  it("replaces a stale link from a crashed run but never a real file", async () => {
    const devicePath = path.join(dir, "s", "dev");
    const first = await PtyPair.create({ devicePath });
    await first.close();
    await writeFile(`${devicePath}.sim`, "not a link");
    await expect(PtyPair.create({ devicePath })).rejects.toMatchObject({
      code: "path_in_use",
      message: `pty: ${devicePath}.sim exists and is not a symlink; not replacing it`,
    });
  });
});

describe("PtyPair without a working socat", () => {
  it("says how to install socat when it is missing", async () => {
    await expect(PtyPair.create({ devicePath: path.join(dir, "m", "dev"), command: path.join(dir, "no-such-socat") })).rejects.toMatchObject({
      code: "socat_missing",
      message: expect.stringMatching(/^socat not found: install it \(apt-get install socat\)/),
    });
    expect(await socatAvailable(path.join(dir, "no-such-socat"))).toBe(false);
  });

  it("fails clearly, naming socat and quoting its last words, when it exits before it is ready", async () => {
    const fake = path.join(dir, "failing-socat");
    await writeFile(fake, "#!/bin/sh\necho 'E symlink(\"/dev/pts/9\", \"x\"): Permission denied' >&2\nexit 1\n");
    await chmod(fake, 0o755);
    await expect(PtyPair.create({ devicePath: path.join(dir, "f", "dev"), command: fake })).rejects.toMatchObject({
      code: "socat_failed",
      message: 'socat exited (code 1) before the pty pair was ready: E symlink("/dev/pts/9", "x"): Permission denied',
    });
  });

  it("gives up after readyTimeoutMs when socat never reports ready, and kills it", async () => {
    const fake = path.join(dir, "silent-socat");
    await writeFile(fake, "#!/bin/sh\necho \"$$\" > \"$0.pid\"\nexec sleep 30\n");
    await chmod(fake, 0o755);
    const started = Date.now();
    await expect(
      PtyPair.create({ devicePath: path.join(dir, "t", "dev"), command: fake, readyTimeoutMs: 300 }),
    ).rejects.toMatchObject({ code: "socat_timeout", message: expect.stringMatching(/^socat did not report the pty pair ready within 300 ms/) });
    expect(Date.now() - started).toBeLessThan(3_000);
    const pid = Number((await import("node:fs")).readFileSync(`${fake}.pid`, "utf8"));
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
  });
});
