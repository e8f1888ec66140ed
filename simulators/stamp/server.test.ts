/**
 * The simulated reflector over real UDP, asserted in raw bytes written from RFC 8762's layouts (not
 * with the codec it shares), and its WAN faults: exact shares of loss and duplicates, reordering,
 * delay, a reflector that dwells, strangers, silence, unplug.
 * Real sockets and the real clock; every wait is on a datagram and bounded.
 */
import dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { within } from "../../test/helpers/within.js";
import { runControl, startStampSimulator, type StampSimHandle } from "./index.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** A 44-octet STAMP sender packet, by hand: seq, T1 E6F4A1B2.80000000, error estimate 1601, 30 × 00. */
function senderPacket(seq: number, extra = ""): Buffer {
  return hex(`${seq.toString(16).padStart(8, "0")} e6f4a1b2 80000000 1601 ${"00".repeat(30)} ${extra}`);
}

interface Client {
  socket: dgram.Socket;
  port: number;
  /** Datagrams received, in order, with their source port. */
  got: { data: Buffer; from: number; at: number }[];
  /** Resolves once `n` datagrams have arrived in all (bounded). */
  until(n: number, ms?: number): Promise<void>;
  send(b: Buffer): void;
}

describe("STAMP simulator (UDP)", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(spec: Record<string, unknown> = {}): Promise<{ sim: StampSimHandle; client: Client }> {
    const sim = await startStampSimulator({ host: "127.0.0.1", port: 0, ...spec });
    cleanups.push(() => sim.close());
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    const got: Client["got"] = [];
    const waiters: (() => void)[] = [];
    socket.on("message", (data, rinfo) => {
      got.push({ data, from: rinfo.port, at: performance.now() });
      for (const w of waiters.splice(0)) w();
    });
    const client: Client = {
      socket,
      port: socket.address().port,
      got,
      until: (n, ms = 3000) =>
        within(
          new Promise<void>((resolve) => {
            const check = (): void => (got.length >= n ? resolve() : void waiters.push(check));
            check();
          }),
          ms,
          `${n} datagrams (got ${got.length})`,
        ),
      send: (b) => socket.send(b, sim.port, "127.0.0.1"),
    };
    return { sim, client };
  }

  it("reflects the 44-octet sender packet into the 44-octet reflected packet of RFC 8762 §4.3.1", async () => {
    const { sim, client } = await setup({ ttl: 255 });
    client.send(senderPacket(7));
    await client.until(1);
    const r = client.got[0]!.data;
    expect(r.length).toBe(44);
    expect(r.subarray(0, 4)).toEqual(hex("00000007")); // stateless: the sender's sequence number
    expect(r.readUInt16BE(12)).toBe(0x1601); // not synchronised, NTP, ~1 ms
    expect(r.subarray(14, 16)).toEqual(hex("0000"));
    expect(r.subarray(24, 38)).toEqual(hex("00000007 e6f4a1b2 80000000 1601")); // the sender's fields
    expect(r.subarray(38, 44)).toEqual(hex("0000 ff 000000"));
    // T2 and T3 are now, in NTP (seconds since 1900), T3 not before T2.
    const nowNtp = Math.floor(Date.now() / 1000) + 2_208_988_800;
    expect(Math.abs(r.readUInt32BE(16) - nowNtp)).toBeLessThanOrEqual(2);
    expect(r.readUInt32BE(4) * 2 ** 32 + r.readUInt32BE(8)).toBeGreaterThanOrEqual(r.readUInt32BE(16) * 2 ** 32 + r.readUInt32BE(20));
    expect(sim.stats).toMatchObject({ received: 1, reflected: 1, malformed: 0 });
  });

  it("answers a 14-octet TWAMP-light packet with 44 octets and a 100-octet one with 100, padding copied", async () => {
    const { client } = await setup();
    client.send(senderPacket(1).subarray(0, 14));
    const padded = senderPacket(2, "ab".repeat(56));
    client.send(padded);
    await client.until(2);
    expect(client.got.map((g) => g.data.length)).toEqual([44, 100]);
    expect(client.got[1]!.data.subarray(44)).toEqual(padded.subarray(44));
    expect(client.got[0]!.data.readUInt8(40)).toBe(0); // TTL not known
  });

  it("counts datagrams shorter than 14 octets as malformed and answers nothing, then answers the next good one", async () => {
    const { sim, client } = await setup();
    for (const n of [0, 1, 13]) client.send(senderPacket(9).subarray(0, n));
    client.send(senderPacket(10));
    await client.until(1);
    expect(client.got[0]!.data.readUInt32BE(24)).toBe(10);
    expect(sim.stats).toMatchObject({ received: 4, malformed: 3, reflected: 1 });
  });

  it("loss 25 drops exactly every fourth reply; duplicate 50 sends every second one twice", async () => {
    const { sim, client } = await setup({ lossPct: 25 });
    for (let i = 0; i < 8; i++) client.send(senderPacket(i));
    await client.until(6);
    expect(sim.stats).toMatchObject({ received: 8, lost: 2 });
    runControl(sim, "loss", ["0"]);
    runControl(sim, "duplicate", ["50"]);
    for (let i = 100; i < 104; i++) client.send(senderPacket(i));
    await client.until(12);
    const seqs = client.got.slice(6).map((g) => g.data.readUInt32BE(24));
    expect(seqs.sort((a, b) => a - b)).toEqual([100, 101, 101, 102, 103, 103]);
  });

  it("reorder 50: every second reply is held back until the next has gone (or a second has passed)", async () => {
    const { sim, client } = await setup({ reorderPct: 50 });
    for (let i = 0; i < 4; i++) client.send(senderPacket(i));
    await client.until(4);
    expect(client.got.map((g) => g.data.readUInt32BE(24))).toEqual([0, 2, 1, 3]); // 3 had no follower: sent after 1 s
    expect(sim.stats.reordered).toBe(2);
  });

  it("delay holds every reply on the path; slow is the reflector's own dwell, visible in T3 − T2", async () => {
    const { sim, client } = await setup({ delayMs: 120 });
    const t0 = performance.now();
    client.send(senderPacket(1));
    await client.until(1);
    expect(client.got[0]!.at - t0).toBeGreaterThanOrEqual(119);
    const r1 = client.got[0]!.data;
    const dwell = (r: Buffer): number => ((r.readUInt32BE(4) - r.readUInt32BE(16)) * 2 ** 32 + r.readUInt32BE(8) - r.readUInt32BE(20)) / 2 ** 32 * 1000;
    expect(dwell(r1)).toBeLessThan(50); // the path's delay is not the reflector's
    sim.clean();
    sim.faults.slowMs = 150;
    client.send(senderPacket(2));
    await client.until(2);
    expect(dwell(client.got[1]!.data)).toBeGreaterThanOrEqual(149);
  });

  it("stranger: a reply to a sequence number never sent, and one from another port", async () => {
    const { sim, client } = await setup();
    expect(runControl(sim, "stranger", ["on"])).toBe("stranger=true");
    client.send(senderPacket(5));
    await client.until(3);
    const fromSim = client.got.filter((g) => g.from === sim.port).map((g) => g.data.readUInt32BE(24));
    expect(fromSim).toEqual([5, (5 ^ 0x80000000) >>> 0]);
    expect(client.got.filter((g) => g.from !== sim.port)).toHaveLength(1);
    expect(() => runControl(sim, "stranger", ["maybe"])).toThrow(/on or off/);
  });

  it("silent answers nothing; unplugged, the port is gone (ICMP refuses), replugged it answers on the same port", async () => {
    const { sim, client } = await setup();
    sim.faults.silent = true;
    const heard = new Promise((resolve) => sim.events.once("received", resolve));
    client.send(senderPacket(1));
    await within(heard, 3000, "the simulator hears the probe");
    sim.faults.silent = false;
    client.send(senderPacket(2));
    await client.until(1);
    expect(client.got[0]!.data.readUInt32BE(24)).toBe(2);
    expect(sim.stats.silenced).toBe(1);
    const port = sim.port;
    await sim.unplug();
    expect(sim.describe()).toContain("unplugged");
    await sim.replug();
    expect(sim.port).toBe(port);
    client.send(senderPacket(3));
    await client.until(2);
  });

  it("refuses a bad spec and bad control values with the field's name", async () => {
    await expect(startStampSimulator({ port: 0, lossPct: 120 } as never)).rejects.toThrow(/lossPct/);
    const { sim } = await setup();
    expect(() => runControl(sim, "delay", ["-5"])).toThrow(/delay needs a time in ms/);
    expect(runControl(sim, "jitter", ["30"])).toBe("jitter=30ms");
    expect(runControl(sim, "unknown-verb", [])).toBeUndefined();
  });
});
