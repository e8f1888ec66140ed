import dgram from "node:dgram";
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger, type LogRecord } from "../../test/helpers/logger.js";
import { transportConformance, trackingClock, until, type ConformancePeer, type Fixture } from "./conformance.js";
import type { TransportDeps } from "./reconnecting.js";
import type { TransportStatus } from "./types.js";
import { UdpTransport } from "./udp.js";

/** A device on 127.0.0.1 that answers to whoever wrote last, and can go away and come back on its port. */
class UdpPeer extends EventEmitter<{ data: [Buffer] }> implements ConformancePeer {
  echo = false;
  port = 0;
  socket: dgram.Socket | undefined;
  private last: dgram.RemoteInfo | undefined;

  constructor(private readonly transport: () => UdpTransport) {
    super();
  }

  async back(): Promise<void> {
    const socket = dgram.createSocket("udp4");
    socket.on("message", (msg, rinfo) => {
      this.last = rinfo;
      this.emit("data", msg);
      if (this.echo) socket.send(msg, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(this.port, "127.0.0.1", () => resolve());
    });
    socket.on("error", (err) => this.emit("data", Buffer.from(`peer error ${err.message}`)));
    this.port = socket.address().port;
    this.socket = socket;
  }

  async drop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  async send(data: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket) throw new Error("udp peer is down");
    const port = this.last?.port ?? this.transport().localPort;
    await new Promise<void>((resolve, reject) => socket.send(data, port, "127.0.0.1", (e) => (e ? reject(e) : resolve())));
  }
}

async function udpFixture(deps: TransportDeps): Promise<Fixture> {
  let transport: UdpTransport | undefined;
  const peer = new UdpPeer(() => transport!);
  await peer.back();
  transport = new UdpTransport({ host: "127.0.0.1", port: peer.port }, deps);
  return { transport, peer, teardown: () => peer.drop() };
}

transportConformance("udp", udpFixture);

function sendFrom(socket: dgram.Socket, data: Buffer, port: number): Promise<void> {
  return new Promise((resolve, reject) => socket.send(data, port, "127.0.0.1", (e) => (e ? reject(e) : resolve())));
}

describe("udp transport", () => {
  it("refuses options that can never work, naming the field", () => {
    const deps = { clock: fakeClock(), logger: memoryLogger() };
    expect(() => new UdpTransport({ host: "127.0.0.1", port: 0 }, deps)).toThrow(
      expect.objectContaining({ code: "bad_config", message: "udp.port: expected an integer 1..65535; got 0" }),
    );
    expect(() => new UdpTransport({ host: "127.0.0.1", port: 52381, localAddress: "eth0" }, deps)).toThrow(
      expect.objectContaining({ code: "bad_config", message: "udp.localAddress: expected an IPv4 address; got eth0" }),
    );
    expect(new UdpTransport({ host: "10.0.0.5", port: 52381 }, deps).description).toBe("udp:10.0.0.5:52381");
  });

  it("binds the configured local address and port", async () => {
    const probe = dgram.createSocket("udp4");
    await new Promise<void>((r) => probe.bind(0, "127.0.0.1", () => r()));
    const freePort = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));

    const t = new UdpTransport(
      { host: "127.0.0.1", port: 9, localPort: freePort, localAddress: "127.0.0.1" },
      { clock: trackingClock(), logger: memoryLogger() },
    );
    await t.open();
    expect(t.localPort).toBe(freePort);
    await t.close();
    expect(t.localPort).toBe(0);
  });

  it("delivers only the configured peer's datagrams, one data event each", async () => {
    const peer = dgram.createSocket("udp4");
    const stranger = dgram.createSocket("udp4");
    await Promise.all([peer, stranger].map((s) => new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()))));
    const logs: LogRecord[] = [];
    const t = new UdpTransport(
      { host: "localhost", port: peer.address().port },
      { clock: trackingClock(), logger: memoryLogger(logs) },
    );
    const got: Buffer[] = [];
    t.on("data", (d) => got.push(d));
    await t.open();

    await sendFrom(stranger, Buffer.from([0x90, 0x60, 0x02, 0xff]), t.localPort);
    await sendFrom(peer, Buffer.from([0x90, 0x41, 0xff]), t.localPort);
    await sendFrom(peer, Buffer.from([0x90, 0x51, 0xff]), t.localPort);
    await until(t as unknown as EventEmitter, "data", () => (got.length >= 2 ? true : undefined), "two datagrams");
    expect(got).toEqual([Buffer.from([0x90, 0x41, 0xff]), Buffer.from([0x90, 0x51, 0xff])]);
    // The connected socket makes the kernel drop the stranger's datagram before we see it; one
    // that slipped in between bind and connect would be counted here instead.
    expect(t.dropped).toBe(0);

    await t.close();
    await Promise.all([peer, stranger].map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  it("reports ECONNREFUSED from an absent peer as a backoff, then rebinds", async () => {
    const gone = dgram.createSocket("udp4");
    await new Promise<void>((r) => gone.bind(0, "127.0.0.1", () => r()));
    const port = gone.address().port;
    await new Promise<void>((r) => gone.close(() => r()));

    const t = new UdpTransport(
      { host: "127.0.0.1", port },
      { clock: trackingClock(), logger: memoryLogger(), backoff: { initialMs: 10, jitter: 0 } },
    );
    const statuses: TransportStatus[] = [];
    t.on("status", (s) => statuses.push(s));
    await t.open();
    await t.write(Buffer.from([0x81, 0x09, 0x04, 0x00, 0xff]));
    const backoff = await until(t as unknown as EventEmitter, "status", () => statuses.find((s) => s.state === "backoff"), "backoff");
    expect(backoff).toMatchObject({ state: "backoff", attempt: 1, delayMs: 10, error: { code: "ECONNREFUSED" } });
    await until(t as unknown as EventEmitter, "status", () => (t.state === "open" ? true : undefined), "rebound");
    await t.close();
  });
});
