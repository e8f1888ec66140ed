/**
 * The simulator on real endpoints: a TCP server on 127.0.0.1 and a pty at 115200 baud.
 * Raw bytes from PROTOCOLS.md go in; every wait is on an I/O event and bounded.
 */
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { SerialPort } from "serialport";
import { afterEach, describe, expect, it } from "vitest";
import { startFromSite, startNovastarSimulator, SimulatorSpecError, type NovastarSimHandle } from "./index.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const BRIGHTNESS_50 = hex("55 AA 00 00 FE FF 01 FF FF FF 01 00 01 00 00 02 01 00 80 D5 5A");
/** The write acknowledgement: AA 55, same fields, length 1, no data, checksum 0x5A55. */
const ACK = "aa550000feff01ffffff0100010000020100555a";

/** Collects bytes until `n` have arrived, failing after `ms`. */
function collect(source: { on(e: "data", f: (b: Buffer) => void): unknown; off(e: "data", f: (b: Buffer) => void): unknown }, n: number, ms = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      source.off("data", on);
      reject(new Error(`only ${got.length} of ${n} bytes within ${ms} ms: ${got.toString("hex")}`));
    }, ms);
    const on = (b: Buffer): void => {
      got = Buffer.concat([got, b]);
      if (got.length < n) return;
      clearTimeout(timer);
      source.off("data", on);
      resolve(got);
    };
    source.on("data", on);
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => resolve(s));
    s.once("error", reject);
  });
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("NovaStar simulator over TCP", () => {
  it("answers the PROTOCOLS.md example, fragmented, and the wall brightness changes", async () => {
    const sim = await startNovastarSimulator({ link: "tcp", port: 0, brightness: 0 });
    cleanups.push(() => sim.close());
    const socket = await connect(sim.port!);
    cleanups.push(async () => socket.destroy());
    const reply = collect(socket, 20);
    socket.write(BRIGHTNESS_50.subarray(0, 7));
    socket.write(BRIGHTNESS_50.subarray(7));
    expect((await reply).toString("hex")).toBe(ACK);
    expect(sim.controller.brightness).toBe(0x80);
  });

  it("unplug closes the connection and refuses new ones; replug listens on the same port", async () => {
    const sim = await startNovastarSimulator({ link: "tcp", port: 0 });
    cleanups.push(() => sim.close());
    const port = sim.port!;
    const socket = await connect(port);
    const closed = new Promise((resolve) => socket.once("close", resolve));
    await sim.unplug();
    await closed;
    await expect(connect(port)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(sim.describe()).toMatch(/unplugged/);
    await sim.replug();
    const again = await connect(port);
    cleanups.push(async () => again.destroy());
    const reply = collect(again, 20);
    again.write(BRIGHTNESS_50);
    expect((await reply).toString("hex")).toBe(ACK);
  });

  it("startFromSite takes a site file's tcp transport and validates simulator options", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const sim = (await startFromSite({ type: "tcp", host: "127.0.0.1", port }, { model: "vx4s", input: "hdmi" })) as NovastarSimHandle;
    cleanups.push(() => sim.close());
    expect(sim.protocol).toBe("novastar");
    expect(sim.controller.input).toBe("hdmi");
    expect(sim.control?.("wrongserial", ["on"])).toBe("wrongSerial=true");
    await expect(startFromSite({ type: "tcp", host: "127.0.0.1", port: 1 }, { model: "vx9" })).rejects.toThrow(SimulatorSpecError);
    await expect(startNovastarSimulator({ link: "tcp", port: 0, model: "vx4s", input: "hdmi9" })).rejects.toThrow(/unknown input "hdmi9"/);
  });
});

describe("NovaStar simulator on a serial pty (115200)", () => {
  it("answers over the pty and survives unplug/replug", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-nova-sim-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const devicePath = path.join(dir, "wall");
    const sim = await startNovastarSimulator({ link: "serial", devicePath });
    cleanups.push(() => sim.close());
    const talk = async (): Promise<string> => {
      const port = new SerialPort({ path: devicePath, baudRate: 115200, autoOpen: false });
      port.on("error", () => undefined); // errors surface through open/write callbacks below
      await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
      try {
        const reply = collect(port, 20);
        port.write(BRIGHTNESS_50);
        return (await reply).toString("hex");
      } finally {
        await new Promise<void>((res) => port.close(() => res()));
      }
    };
    expect(await talk()).toBe(ACK);
    expect(sim.controller.brightness).toBe(0x80);
    await sim.unplug();
    expect(sim.describe()).toMatch(/unplugged/);
    await sim.replug();
    expect(await talk()).toBe(ACK);
  });
});
