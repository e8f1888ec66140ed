import { EventEmitter } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SerialPort } from "serialport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PtyPair, socatAvailable } from "../../simulators/pty.js";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { transportConformance, until, type ConformancePeer, type Fixture } from "./conformance.js";
import type { TransportDeps } from "./reconnecting.js";
import { SerialTransport, serialError } from "./serial.js";

let dir = "";
let seq = 0;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-serial-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The device end of a socat pty pair: a SerialPort on the simulator side; drop = unplug the cable. */
class PtyPeer extends EventEmitter<{ data: [Buffer] }> implements ConformancePeer {
  echo = false;
  private port: SerialPort | undefined;
  constructor(readonly pair: PtyPair) {
    super();
  }

  async back(): Promise<void> {
    await this.pair.replug();
    const port = new SerialPort({ path: this.pair.simulatorPath, baudRate: 9600, autoOpen: false });
    port.on("error", (err) => this.emit("data", Buffer.from(`peer error ${err.message}`)));
    port.on("data", (chunk: Buffer) => {
      this.emit("data", chunk);
      if (this.echo) port.write(chunk);
    });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    this.port = port;
  }

  async drop(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    // Unplug first: that is what the agent must notice; our own end then closes as a disconnect.
    await this.pair.unplug();
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  async send(data: Buffer): Promise<void> {
    const port = this.port;
    if (!port) throw new Error("pty peer is unplugged");
    await new Promise<void>((resolve, reject) => port.write(data, (err) => (err ? reject(err) : resolve())));
  }
}

async function serialFixture(deps: TransportDeps): Promise<Fixture> {
  seq += 1;
  const pair = await PtyPair.create({ devicePath: path.join(dir, `site-${seq}`, "cam") });
  const peer = new PtyPeer(pair);
  await pair.unplug(); // back() plugs it in and opens the simulator side, as after a replug
  await peer.back();
  return {
    transport: new SerialTransport({ path: pair.devicePath, baudRate: 9600 }, deps),
    peer,
    absentErrorCode: "ENOENT",
    teardown: async () => {
      await peer.drop();
      await pair.close();
    },
  };
}

const haveSocat = await socatAvailable();
describe.skipIf(!haveSocat)("serial over a socat pty pair", () => {
  transportConformance("serial", serialFixture);
});

describe("serial transport", () => {
  it("refuses options that can never open, naming the field", () => {
    const deps = { clock: fakeClock(), logger: memoryLogger() };
    expect(() => new SerialTransport({ path: "", baudRate: 9600 }, deps)).toThrow(
      expect.objectContaining({ code: "bad_config", message: "serial.path: expected a device path; got an empty value" }),
    );
    expect(() => new SerialTransport({ path: "/dev/ttyUSB0", baudRate: 9600, dataBits: 9 as 8 }, deps)).toThrow(
      expect.objectContaining({ code: "bad_config", message: "serial.dataBits: expected 5|6|7|8; got 9" }),
    );
    expect(new SerialTransport({ path: "/dev/ttyUSB0", baudRate: 9600 }, deps).description).toBe("serial:/dev/ttyUSB0@9600");
  });

  it("turns serialport's code-less messages into errno codes", () => {
    expect(serialError(new Error("Error: No such file or directory, cannot open /dev/ttyUSB0")).code).toBe("ENOENT");
    expect(serialError(new Error("Error: Permission denied, cannot open /dev/ttyS0")).code).toBe("EACCES");
    expect(serialError(new Error("Error Resource temporarily unavailable Cannot lock port")).code).toBe("EBUSY");
    expect(serialError(Object.assign(new Error("bad file descriptor"), { disconnected: true })).code).toBe("EBADF");
    expect(serialError(Object.assign(new Error("gone"), { disconnected: true })).code).toBe("EIO");
    expect(serialError(Object.assign(new Error("x"), { code: "EIO" })).code).toBe("EIO");
  });

  it.skipIf(!haveSocat)("notices an unplug that comes right after the port opened", async () => {
    const pair = await PtyPair.create({ devicePath: path.join(dir, "early", "cam") });
    const t = new SerialTransport(
      { path: pair.devicePath, baudRate: 9600 },
      { clock: fakeClock(), logger: memoryLogger(), backoff: { initialMs: 1_000 } },
    );
    try {
      await t.open();
      await pair.unplug();
      await until(t as unknown as EventEmitter, "status", () => (t.state === "backoff" ? true : undefined), "backoff after unplug");
      expect(t.state).toBe("backoff");
    } finally {
      await t.close();
      await pair.close();
    }
  });

  it.skipIf(!haveSocat)("keeps retrying a path that does not exist yet and opens when the adapter appears", async () => {
    const devicePath = path.join(dir, "late", "ttyUSB9");
    const clock = fakeClock();
    const t = new SerialTransport(
      { path: devicePath, baudRate: 9600 },
      { clock, logger: memoryLogger(), backoff: { initialMs: 100, jitter: 0, maxMs: 1_000 } },
    );
    const codes: Array<string | undefined> = [];
    t.on("status", (s) => s.state === "backoff" && codes.push(s.error?.code));
    const opening = t.open();
    const emitter = t as unknown as EventEmitter;
    const nextBackoff = (n: number) =>
      until(emitter, "status", () => (codes.length >= n ? true : undefined), `backoff #${n}`);
    await nextBackoff(1);
    await clock.tickAsync(100);
    await nextBackoff(2);
    expect(codes).toEqual(["ENOENT", "ENOENT"]);

    const pair = await PtyPair.create({ devicePath });
    try {
      await clock.tickAsync(200);
      await opening;
      expect(t.state).toBe("open");
    } finally {
      await t.close();
      await pair.close();
    }
  });
});
