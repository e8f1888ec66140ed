/**
 * The product reflector (what `roomgate reflector` runs) over real UDP: it answers test packets as
 * RFC 8762 says, refuses senders outside its allow-list, counts malformed packets, and says so in
 * its summary. The summary timer runs on an injected clock.
 */
import dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { within } from "../../test/helpers/within.js";
import { decodeReflectorPacket, DEFAULT_ERROR_ESTIMATE, encodeSenderPacket, ntpFromMs } from "./codec.js";
import { AllowListError, parseAllowList, startReflector, type ReflectorHandle } from "./reflector.js";

describe("parseAllowList", () => {
  it("takes networks and single addresses, and names a bad entry", () => {
    const list = parseAllowList(["10.20.0.0/16", " 192.0.2.7 "])!;
    expect(["10.20.3.4", "192.0.2.7", "192.0.2.8", "10.21.0.1"].map((a) => list.check(a, "ipv4"))).toEqual([true, true, false, false]);
    expect(parseAllowList([])).toBeUndefined();
    for (const bad of ["10.0.0.0/33", "10.0.0/8", "example.org", "10.0.0.0/", "10.0.0.0/8/1", "::1"]) {
      expect(() => parseAllowList([bad]), bad).toThrow(AllowListError);
    }
    expect(() => parseAllowList(["10.0.0.0/33"])).toThrow('allow-list entry "10.0.0.0/33": expected an IPv4 network like 10.20.0.0/16');
  });
});

describe("startReflector", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function client(): Promise<{ socket: dgram.Socket; next(ms?: number): Promise<Buffer> }> {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    const queue: Buffer[] = [];
    const waiters: ((b: Buffer) => void)[] = [];
    socket.on("message", (b) => (waiters.length > 0 ? waiters.shift()!(b) : queue.push(b)));
    return {
      socket,
      next: (ms = 3000) => within(queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise<Buffer>((r) => waiters.push(r)), ms, "a reply"),
    };
  }

  async function start(allow: string[] = []): Promise<{ reflector: ReflectorHandle; clock: ReturnType<typeof fakeClock>; logger: ReturnType<typeof memoryLogger> }> {
    const clock = fakeClock(Date.now());
    const logger = memoryLogger();
    const reflector = await startReflector({ host: "127.0.0.1", port: 0, allow, summaryMs: 60_000, clock, logger });
    cleanups.push(() => reflector.close());
    return { reflector, clock, logger };
  }

  const probe = (seq: number, size = 44): Buffer => encodeSenderPacket({ seq, timestamp: ntpFromMs(Date.now()), errorEstimate: DEFAULT_ERROR_ESTIMATE }, size);

  it("answers a sender's packet, symmetric in size, echoing its sequence number and T1", async () => {
    const { reflector } = await start();
    const c = await client();
    const sent = probe(42, 200);
    c.socket.send(sent, reflector.port, "127.0.0.1");
    const reply = await c.next();
    expect(reply.length).toBe(200);
    const d = decodeReflectorPacket(reply);
    expect(d.ok && d.packet).toMatchObject({ seq: 42, senderSeq: 42, senderTimestamp: { seconds: sent.readUInt32BE(4), fraction: sent.readUInt32BE(8) }, senderTtl: 0 });
    expect(reflector.totals).toEqual({ received: 1, reflected: 1, malformed: 0, refused: 0, sendErrors: 0 });
  });

  it("counts malformed packets and refuses senders outside the allow-list, answering neither; logs it all in the summary", async () => {
    // Allowed: 127.0.0.2 only. Loopback delivers in send order to one socket, so once the allowed
    // probe is answered, what was sent before it has been handled.
    const { reflector, clock, logger } = await start(["127.0.0.2/32"]);
    const outsider = await client();
    const insider = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => insider.bind(0, "127.0.0.2", resolve));
    cleanups.push(() => new Promise<void>((resolve) => insider.close(() => resolve())));
    const replies: Buffer[] = [];
    const answered = new Promise<void>((resolve) => insider.on("message", (b) => (replies.push(b), resolve())));
    const send = (s: dgram.Socket, b: Buffer) => new Promise<void>((resolve, reject) => s.send(b, reflector.port, "127.0.0.1", (e) => (e ? reject(e) : resolve())));
    await send(outsider.socket, probe(1));
    await send(insider, Buffer.alloc(13)); // allowed, but too short
    await send(insider, probe(2));
    await within(answered, 3000, "the insider's reply");
    expect(replies.map((r) => r.readUInt32BE(24))).toEqual([2]);
    expect(reflector.totals).toEqual({ received: 3, reflected: 1, malformed: 1, refused: 1, sendErrors: 0 });
    await clock.tickAsync(60_000);
    const line = logger.records.find((r) => r.msg === "reflector summary")!;
    expect(line.obj).toMatchObject({
      period: { received: 3, reflected: 1, malformed: 1, refused: 1 }, total: { received: 3 }, sources: { "127.0.0.2": 2, "127.0.0.1": 1 }, periodMs: 60_000,
    });
    expect(reflector.summary()).toMatchObject({ period: { received: 0 }, total: { received: 3 } }); // a new period
  });

  it("a port taken is refused with the socket's code", async () => {
    const { reflector } = await start();
    await expect(startReflector({ host: "127.0.0.1", port: reflector.port })).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});
