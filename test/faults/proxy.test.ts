/**
 * The fault proxy against a real echo-like server on loopback: it forwards, cuts, blackholes and
 * delays exactly as the fault scenarios rely on.
 */
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { fakeClock } from "../helpers/clock.js";
import { FaultProxy } from "./proxy.js";
import { nextEvent, within } from "./wait.js";

const WAIT = 3000;
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The far end: records what each connection sends; `sockets` lets a test write or close from it. */
async function target() {
  const received: string[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on("error", () => undefined); // resets are the point of these tests
    s.on("data", (d: Buffer) => received.push(d.toString()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const serverConnected = () => nextEvent<[net.Socket]>(server, "connection", WAIT).then(([s]) => s);
  return { port: (server.address() as AddressInfo).port, received, sockets, serverConnected };
}

async function proxyTo(port: number, clock?: ReturnType<typeof fakeClock>): Promise<FaultProxy> {
  const p = await FaultProxy.start({ target: { host: "127.0.0.1", port }, ...(clock ? { clock } : {}) });
  cleanups.push(() => p.close());
  return p;
}

/** A client of the proxy that collects what it receives. */
async function client(port: number) {
  const s = net.createConnection({ host: "127.0.0.1", port });
  s.on("error", () => undefined);
  cleanups.push(() => void s.destroy());
  await within(new Promise<void>((resolve) => s.once("connect", () => resolve())), WAIT, "client connect");
  const got: string[] = [];
  s.on("data", (d: Buffer) => got.push(d.toString()));
  const closed = new Promise<void>((resolve) => s.once("close", () => resolve()));
  return { s, got, closed, data: () => nextEvent<[Buffer]>(s, "data", WAIT).then(([d]) => d.toString()) };
}

describe("FaultProxy", () => {
  it("forwards both ways and counts the bytes", async () => {
    const t = await target();
    const p = await proxyTo(t.port);
    const upstream = t.serverConnected();
    const c = await client(p.port);
    const far = await upstream;
    const arrived = nextEvent<[Buffer]>(far, "data", WAIT);
    c.s.write("hello");
    expect((await arrived)[0].toString()).toBe("hello");
    const back = c.data();
    far.write("world!");
    expect(await back).toBe("world!");
    expect(p.stats()).toMatchObject({ connections: 1, active: 1, refused: 0, bytesUp: 5, bytesDown: 6, bytesDropped: 0 });
  });

  it("cut destroys current connections and refuses new ones until restore", async () => {
    const t = await target();
    const p = await proxyTo(t.port);
    const c = await client(p.port);
    p.cut();
    await within(c.closed, WAIT, "the current connection to close");
    expect(p.stats().active).toBe(0);

    const refused = nextEvent(p, "refused", WAIT);
    const c2 = await client(p.port);
    await refused;
    await within(c2.closed, WAIT, "the refused connection to close");
    expect(c2.got).toEqual([]);
    expect(p.stats()).toMatchObject({ connections: 1, refused: 1 });

    p.restore();
    const upstream = t.serverConnected();
    const c3 = await client(p.port);
    const far = await upstream;
    const back = c3.data();
    far.write("again");
    expect(await back).toBe("again");
    expect(p.stats()).toMatchObject({ connections: 2, active: 1, refused: 1 });
  });

  it("blackhole keeps the link open but forwards nothing, not even a close; later connections pass again", async () => {
    const t = await target();
    const p = await proxyTo(t.port);
    const upstream = t.serverConnected();
    const c = await client(p.port);
    const far = await upstream;
    p.blackhole(true);

    const droppedUp = nextEvent(p, "dropped", WAIT, (_id, dir) => dir === "up");
    c.s.write("into the void");
    expect((await droppedUp).slice(1)).toEqual(["up", 13]);
    expect(t.received).toEqual([]);

    const droppedDown = nextEvent(p, "dropped", WAIT, (_id, dir) => dir === "down");
    far.write("nor back");
    expect((await droppedDown).slice(1)).toEqual(["down", 8]);
    expect(c.got).toEqual([]);

    // The broker side gives up: the agent's socket must not hear of it (a half-open link).
    const swallowed = nextEvent(p, "swallowedClose", WAIT);
    far.destroy();
    expect((await swallowed)[1]).toBe("upstream");
    expect(c.s.destroyed).toBe(false);
    expect(p.stats()).toMatchObject({ bytesUp: 0, bytesDown: 0, bytesDropped: 21 });

    // While on, new connections are swallowed too; once off, new ones pass (the old one stays dead).
    p.blackhole(false);
    const upstream2 = t.serverConnected();
    const c2 = await client(p.port);
    const far2 = await upstream2;
    const back = c2.data();
    far2.write("fresh link");
    expect(await back).toBe("fresh link");
    expect(c.got).toEqual([]);
  });

  it("delay holds every chunk for the set time, in order", async () => {
    const clock = fakeClock();
    const t = await target();
    const p = await proxyTo(t.port, clock);
    const upstream = t.serverConnected();
    const c = await client(p.port);
    const far = await upstream;
    p.delay(100);
    const held = nextEvent(p, "held", WAIT);
    c.s.write("late");
    expect((await held).slice(1)).toEqual(["up", 100]);
    await clock.tickAsync(99);
    expect(t.received).toEqual([]);
    const arrived = nextEvent<[Buffer]>(far, "data", WAIT);
    await clock.tickAsync(1);
    expect((await arrived)[0].toString()).toBe("late");

    // A shorter delay set later must not let a later chunk overtake an earlier one.
    p.delay(50);
    const heldA = nextEvent(p, "held", WAIT);
    c.s.write("A");
    await heldA;
    p.delay(10);
    const heldB = nextEvent(p, "held", WAIT);
    c.s.write("B");
    expect((await heldB)[2]).toBe(50); // queued behind A
    const both = new Promise<void>((resolve) => far.on("data", () => t.received.join("").endsWith("AB") && resolve()));
    await clock.tickAsync(50);
    await within(both, WAIT, "A then B");
    expect(t.received.join("")).toBe("lateAB");
  });
});
