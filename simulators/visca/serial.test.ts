import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from "vitest";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { SerialPort, type SerialPortOpenOptions } from "serialport";
import { hangupAwareBinding } from "../../drivers/transport/serial-binding.js";
import { fakeClock, type FakeClock } from "../../test/helpers/clock.js";
import { within } from "../../test/helpers/within.js";
import { startViscaSimulator, type SerialCameraHandle } from "./index.js";
import { wireTimeMs } from "./serial.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const show = (b: Buffer): string => b.toString("hex").toUpperCase().replace(/(..)(?!$)/g, "$1 ");

/**
 * The agent's end of the cable: raw bytes in, raw bytes out, waits bounded and event-driven. Opened
 * with the agent's binding (SerialTransport's): with serialport's stock one, a hang-up that lands
 * before the port's next read runs (a busy thread pool on a loaded machine) makes that read return
 * end-of-file, which the stock binding retries forever, so the port never closes: the likely cause
 * of the unplug test's rare timeout under load (its failing step was never recorded).
 * drivers/transport/serial-binding.test.ts reproduces the mechanism deterministically.
 */
const binding = hangupAwareBinding(SerialPort.binding);

class Line {
  private received = Buffer.alloc(0);
  private waiter: (() => void) | undefined;
  readonly closed: Promise<void>;

  constructor(readonly port: SerialPort) {
    port.on("data", (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.waiter?.();
    });
    port.on("error", () => undefined); // the unplug test expects the port to fail; `closed` reports it
    this.closed = new Promise((resolve) => port.once("close", () => resolve()));
  }

  static async open(devicePath: string): Promise<Line> {
    const port = new SerialPort({ path: devicePath, baudRate: 9600, autoOpen: false, binding } as SerialPortOpenOptions<typeof binding>);
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    return new Line(port);
  }

  send(s: string): void {
    this.port.write(hex(s));
  }

  /** Waits (bounded) until the next bytes received are exactly `expected`, and consumes them. */
  async expect(expected: string, timeoutMs = 3000): Promise<void> {
    const want = hex(expected);
    await this.until(() => this.received.length >= want.length, timeoutMs, `waiting for ${expected}`);
    const got = this.received.subarray(0, want.length);
    this.received = this.received.subarray(want.length);
    expect(show(got)).toBe(expected);
  }

  get pending(): string {
    return show(this.received);
  }

  private async until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`timeout ${what}; have ${show(this.received) || "nothing"}`));
      }, timeoutMs);
      this.waiter = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiter = undefined;
        resolve();
      };
    });
  }

  async close(): Promise<void> {
    if (this.port.isOpen) await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "roomgate-visca-sim-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("VISCA simulator on a real pty (9600 baud)", () => {
  let sim: SerialCameraHandle;
  let line: Line;
  let n = 0;

  beforeEach(async () => {
    sim = await startViscaSimulator({ link: "serial", devicePath: path.join(dir, `cam${n++}`), baudRate: 9600, recallMs: 200, bootMs: 150 });
    line = await Line.open(sim.devicePath);
  });
  afterEach(async () => {
    // The simulator (and its pty) is closed even when the agent's port will not close.
    const stuck = await within(line.close(), 3000, "closing the agent's port").then(
      () => undefined,
      (err: Error) => err,
    );
    await within(sim.close(), 5000, "closing the simulator");
    if (stuck) throw stuck;
  });

  it("power on: 81 01 04 00 02 FF -> 90 41 FF then 90 51 FF; inquiry -> 90 50 02 FF", async () => {
    line.send("81 01 04 00 02 FF");
    await line.expect("90 41 FF 90 51 FF");
    line.send("81 09 04 00 FF");
    await line.expect("90 50 02 FF");
  });

  it("standby: a command gets 90 61 41 FF; power on boots, completes, then announces 90 38 FF", async () => {
    line.send("81 01 04 00 03 FF");
    await line.expect("90 41 FF 90 51 FF");
    line.send("81 01 04 3F 02 05 FF");
    await line.expect("90 61 41 FF");
    line.send("81 01 04 00 02 FF");
    await line.expect("90 41 FF");
    await line.expect("90 51 FF 90 38 FF");
    expect(sim.camera.power).toBe("on");
  });

  it("a third concurrent command gets 90 60 03 FF; Completion when the recall ends", async () => {
    line.send("81 01 04 3F 02 05 FF 81 01 04 47 04 00 00 00 FF 81 01 04 38 03 FF");
    await line.expect("90 41 FF 90 42 FF 90 60 03 FF");
    await line.expect("90 51 FF");
    expect(sim.camera.busySockets()).toEqual([2]);
  });

  it("garbled input: unknown -> 90 60 02 FF; junk before a header is skipped; 16 bytes without FF -> 90 60 01 FF", async () => {
    line.send("81 01 04 00 09 FF");
    await line.expect("90 60 02 FF");
    line.send("00 13 7E 81 09 04 38 FF");
    await line.expect("90 50 02 FF");
    line.send("81 01 06 02 18 14 00 00 00 00 00 00 00 00 00 00 00 FF 81 09 04 00 FF");
    await line.expect("90 60 01 FF 90 50 02 FF");
  });

  it("AddressSet 88 30 01 FF -> 88 30 02 FF; IF_Clear 88 01 00 01 FF is echoed", async () => {
    line.send("88 30 01 FF");
    await line.expect("88 30 02 FF");
    line.send("88 01 00 01 FF");
    await line.expect("88 01 00 01 FF");
  });

  it("garbage fault: junk before each reply", async () => {
    sim.faults.garbage = true;
    line.send("81 09 04 00 FF");
    await line.expect("00 7E 13 90 50 02 FF");
  });

  it("unplug: the device path vanishes and the agent's port closes; replug: same path, state kept", async () => {
    line.send("81 01 04 38 03 FF");
    await line.expect("90 41 FF 90 51 FF");
    // Each step bounded and named, so a hang says where it is.
    await within(sim.unplug(), 5000, "sim.unplug()");
    await within(line.closed, 5000, "the agent's port closing after the unplug");
    expect(existsSync(sim.devicePath)).toBe(false);
    expect(sim.describe()).toContain("unplugged");
    await within(sim.replug(), 8000, "sim.replug()");
    expect(existsSync(sim.devicePath)).toBe(true);
    line = await within(Line.open(sim.devicePath), 3000, "opening the replugged device path");
    line.send("81 09 04 38 FF");
    await line.expect("90 50 03 FF");
  });
});

describe("VISCA simulator output pacing", () => {
  it("a 3-byte reply leaves after 3 bytes of wire time at 9600 baud (fake clock)", async () => {
    expect(wireTimeMs(3, 9600)).toBeCloseTo(3.125, 3);
    const clock: FakeClock = fakeClock();
    const sim = await startViscaSimulator({ link: "serial", devicePath: path.join(dir, "paced"), baudRate: 9600, clock });
    const line = await Line.open(sim.devicePath);
    try {
      // Know when the camera has answered (the request crossed the real pty) without sleeping.
      const answered = new Promise<void>((resolve) => {
        const out = sim.camera.output;
        sim.camera.output = (frame, origin) => {
          out(frame, origin);
          if (show(frame) === "90 51 FF") resolve();
        };
      });
      line.send("81 01 04 00 02 FF");
      await answered;
      // ACK is due at 3.125 ms, Completion right behind it at 6.25 ms.
      await clock.tickAsync(3);
      expect(clock.fake.countTimers()).toBe(2);
      await clock.tickAsync(1);
      expect(clock.fake.countTimers()).toBe(1);
      await line.expect("90 41 FF");
      await clock.tickAsync(3);
      expect(clock.fake.countTimers()).toBe(0);
      await line.expect("90 51 FF");
    } finally {
      await line.close();
      await sim.close();
    }
  });
});
