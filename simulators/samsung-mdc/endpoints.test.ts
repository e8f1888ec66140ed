/**
 * The simulator on real endpoints: a TCP socket on 127.0.0.1 and a pty. Raw bytes in and
 * out; every wait is on an event and bounded.
 */
import { describe, it, expect, afterEach } from "vitest";
import net from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SerialPort } from "serialport";
import { startSamsungMdcSimulator, type MdcSimHandle } from "./index.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const show = (b: Buffer): string => b.toString("hex").toUpperCase().replace(/(..)(?!$)/g, "$1 ");
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Collects bytes from a stream; `take(n)` waits (bounded) for n bytes and consumes them. */
class Bytes {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  constructor(stream: NodeJS.EventEmitter) {
    stream.on("data", (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.waiter?.();
    });
  }
  async take(n: number, ms = 3000): Promise<string> {
    if (this.buf.length < n) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timeout waiting for ${n} bytes; have ${show(this.buf)}`)), ms);
        this.waiter = () => {
          if (this.buf.length < n) return;
          clearTimeout(t);
          this.waiter = undefined;
          resolve();
        };
      });
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return show(out);
  }
  get pending(): number {
    return this.buf.length;
  }
}

async function connect(port: number): Promise<{ socket: net.Socket; bytes: Bytes }> {
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.on("error", () => undefined); // refused/reset is asserted through `close`
  const bytes = new Bytes(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("close", () => reject(new Error("connection closed")));
  });
  cleanups.push(async () => void socket.destroy());
  return { socket, bytes };
}

async function tcpSim(extra: Record<string, unknown> = {}): Promise<MdcSimHandle> {
  const sim = await startSamsungMdcSimulator({ link: "tcp", host: "127.0.0.1", port: 0, ...extra });
  cleanups.push(() => sim.close());
  return sim;
}

describe("MDC simulator over TCP", () => {
  it("answers the PROTOCOLS.md example on a real socket, and `describe` names the endpoint", async () => {
    const sim = await tcpSim();
    const { socket, bytes } = await connect(sim.port!);
    socket.write(hex("AA 11 01 00 12"));
    expect(await bytes.take(8)).toBe("AA FF 01 03 41 11 01 56");
    expect(sim.describe()).toBe(`mdc tcp:127.0.0.1:${sim.port} displays 1 plugged`);
  });

  it("secured on: new connections are greeted with MDCSTART<<TLS>> and plain requests get nothing", async () => {
    const sim = await tcpSim();
    expect(sim.control("secured", ["on"])).toBe("secured=on");
    const { socket, bytes } = await connect(sim.port!);
    expect(await bytes.take(15)).toBe(show(Buffer.from("MDCSTART<<TLS>>")));
    socket.write(hex("AA 11 01 00 12"));
    await expect(bytes.take(1, 300)).rejects.toThrow(/timeout/);
    sim.control("secured", ["off"]);
    const plain = await connect(sim.port!);
    plain.socket.write(hex("AA 11 01 00 12"));
    expect(await plain.bytes.take(8)).toBe("AA FF 01 03 41 11 01 56");
  });

  it("unplug refuses connections; replug listens again on the same port", async () => {
    const sim = await tcpSim();
    const port = sim.port!;
    const { socket } = await connect(port);
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    await sim.unplug();
    await closed;
    await expect(connect(port)).rejects.toThrow();
    await sim.replug();
    const again = await connect(port);
    again.socket.write(hex("AA 11 01 00 12"));
    expect(await again.bytes.take(8)).toBe("AA FF 01 03 41 11 01 56");
  });

  it("control verbs: overtemp per display id, bad values refused, unknown verbs left to the prompt", async () => {
    const sim = await tcpSim({ displays: [1, 2] });
    expect(sim.control("overtemp", ["on", "2"])).toBe("overtemp=on on display 2");
    expect(sim.display(2).faults.overtemp).toBe(true);
    expect(sim.display(1).faults.overtemp).toBe(false);
    expect(() => sim.control("fan", ["maybe"])).toThrow(/on\|off/);
    expect(() => sim.control("nosync", ["on", "9"])).toThrow(/no simulated display with id 9/);
    expect(sim.control("dance", ["on"])).toBeUndefined();
    expect(sim.controlHelp).toMatch(/secured DEV on\|off/);
  });

  it("refuses a bad spec with a message naming the field", async () => {
    await expect(startSamsungMdcSimulator({ link: "tcp", port: 0, displays: [254] })).rejects.toThrow(/displays/);
    await expect(startSamsungMdcSimulator({ link: "tcp", port: 0, displays: [1, 1] })).rejects.toThrow(/share one id/);
  });
});

describe("MDC simulator on a serial pty: a daisy chain", () => {
  it("two displays on one line: only the addressed one answers; broadcast is obeyed silently", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-mdc-sim-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const sim = await startSamsungMdcSimulator({ link: "serial", devicePath: path.join(dir, "wall"), displays: [1, 2] });
    cleanups.push(() => sim.close());
    expect(() => sim.control("secured", ["on"])).toThrow(/TCP only/);
    const port = new SerialPort({ path: sim.devicePath!, baudRate: 9600, autoOpen: false });
    port.on("error", () => undefined);
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    cleanups.push(() => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r())));
    const bytes = new Bytes(port);
    port.write(hex("AA 11 02 00 13"));
    expect(await bytes.take(8)).toBe("AA FF 02 03 41 11 01 57");
    port.write(hex("AA F9 FE 01 01 F9")); // blank every panel
    port.write(hex("AA F9 01 00 FA"));
    expect(await bytes.take(8)).toBe("AA FF 01 03 41 F9 01 3E");
    expect(bytes.pending).toBe(0);
    expect(sim.display(2).blanked).toBe(true);
  });
});
