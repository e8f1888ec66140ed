import { EventEmitter } from "node:events";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { transportConformance, type ConformancePeer, type Fixture } from "./conformance.js";
import type { TransportDeps } from "./reconnecting.js";
import { TcpTransport } from "./tcp.js";
import type { TransportStatus } from "./types.js";

/** A device on 127.0.0.1 that can be switched off and on again on the same port. */
class TcpPeer extends EventEmitter<{ data: [Buffer] }> implements ConformancePeer {
  echo = false;
  port = 0;
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  async back(): Promise<void> {
    const server = net.createServer((sock) => {
      this.sockets.add(sock);
      sock.on("error", () => sock.destroy()); // the agent side vanishing is expected here
      sock.on("close", () => this.sockets.delete(sock));
      sock.on("data", (chunk) => {
        this.emit("data", chunk);
        if (this.echo) sock.write(chunk);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async drop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  async send(data: Buffer): Promise<void> {
    const sock = [...this.sockets].at(-1);
    if (!sock) throw new Error("tcp peer: no connection to send on");
    await new Promise<void>((resolve, reject) => sock.write(data, (err) => (err ? reject(err) : resolve())));
  }
}

async function tcpFixture(deps: TransportDeps): Promise<Fixture> {
  const peer = new TcpPeer();
  await peer.back();
  return {
    transport: new TcpTransport({ host: "127.0.0.1", port: peer.port }, deps),
    peer,
    absentErrorCode: "ECONNREFUSED",
    teardown: () => peer.drop(),
  };
}

transportConformance("tcp", tcpFixture);

describe("tcp transport", () => {
  it("refuses a port that can never work, naming the field", () => {
    const deps = { clock: fakeClock(), logger: memoryLogger() };
    expect(() => new TcpTransport({ host: "127.0.0.1", port: 70000 }, deps)).toThrow(
      expect.objectContaining({ code: "bad_config", message: "tcp.port: expected an integer 1..65535; got 70000" }),
    );
    expect(() => new TcpTransport({ host: "", port: 23 }, deps)).toThrow(expect.objectContaining({ code: "bad_config" }));
  });

  it("describes its endpoint", () => {
    const t = new TcpTransport({ host: "10.0.0.5", port: 1515 }, { clock: fakeClock(), logger: memoryLogger() });
    expect(t.description).toBe("tcp:10.0.0.5:1515");
    expect(t.kind).toBe("tcp");
  });

  it("clears its connect deadline once connected, so a good link outlives connectTimeoutMs", async () => {
    // (The deadline firing needs a handshake that never completes, which loopback cannot fake
    // portably; this checks the other half: the deadline must not kill an open link.)
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const clock = fakeClock();
    const t = new TcpTransport(
      { host: "127.0.0.1", port, connectTimeoutMs: 1_000 },
      { clock, logger: memoryLogger(), backoff: { initialMs: 500, jitter: 0 } },
    );
    const statuses: TransportStatus[] = [];
    t.on("status", (s) => statuses.push(s));
    await t.open();
    // Connected before the deadline: the deadline timer must be gone, or it would kill a good link.
    await clock.tickAsync(2_000);
    expect(t.state).toBe("open");
    expect(statuses.map((s) => s.state)).toEqual(["connecting", "open"]);
    expect(clock.fake.countTimers()).toBe(1); // only the stable-link timer (5 s)
    await t.close();
    expect(clock.fake.countTimers()).toBe(0);
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("reset() drops a half-open link and opens a fresh connection to the same peer", async () => {
    // The peer keeps the old connection but never answers on it (its side is gone, as after a
    // device reboot behind a switch); only a new connection works again.
    const conns: net.Socket[] = [];
    const server = net.createServer((sock) => {
      conns.push(sock);
      sock.on("error", () => sock.destroy());
      if (conns.length > 1) sock.on("data", (d) => sock.write(d));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const clock = fakeClock();
    const t = new TcpTransport({ host: "127.0.0.1", port }, { clock, logger: memoryLogger(), backoff: { initialMs: 100, jitter: 0 } });
    const states: string[] = [];
    t.on("status", (s) => states.push(s.state));
    await t.open();
    t.reset("3 polls without an answer");
    expect(t.state).toBe("backoff");
    await clock.tickAsync(100);
    await new Promise<void>((resolve) => (t.state === "open" ? resolve() : t.on("status", (s) => s.state === "open" && resolve())));
    const echoed = new Promise<Buffer>((resolve) => t.once("data", resolve));
    await t.write(Buffer.from("ping"));
    expect((await echoed).toString()).toBe("ping");
    expect(conns).toHaveLength(2);
    expect(states).toEqual(["connecting", "open", "backoff", "connecting", "open"]);
    await t.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
});
