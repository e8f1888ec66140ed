import { EventEmitter } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PtyPair } from "../../simulators/pty.js";
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

/** The device end of a pty: the simulator's side of a PtyPair; drop = unplug the cable. */
class PtyPeer extends EventEmitter<{ data: [Buffer] }> implements ConformancePeer {
  echo = false;
  pair: PtyPair | undefined;

  /** Bytes from the agent, from whichever pty is plugged in. */
  readonly onData = (chunk: Buffer): void => {
    this.emit("data", chunk);
    if (this.echo) this.pair?.write(chunk);
  };

  async back(): Promise<void> {
    await this.pair!.replug();
  }

  async drop(): Promise<void> {
    await this.pair!.unplug();
  }

  async send(data: Buffer): Promise<void> {
    const pair = this.pair!;
    if (!pair.plugged) throw new Error("pty peer is unplugged");
    const took = pair.write(data);
    if (took !== data.length) throw new Error(`pty peer: only ${took}/${data.length} bytes fit`);
  }
}

async function serialFixture(deps: TransportDeps): Promise<Fixture> {
  seq += 1;
  const peer = new PtyPeer();
  const pair = await PtyPair.create({ devicePath: path.join(dir, `site-${seq}`, "cam"), onData: peer.onData });
  peer.pair = pair;
  return {
    transport: new SerialTransport({ path: pair.devicePath, baudRate: 9600 }, deps),
    peer,
    absentErrorCode: "ENOENT",
    teardown: () => pair.close(),
  };
}

describe("serial over a pty", () => {
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

  it("notices an unplug that comes right after the port opened", async () => {
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

  it("keeps retrying a path that does not exist yet and opens when the adapter appears", async () => {
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
