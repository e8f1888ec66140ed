/**
 * The X32 simulator over a real UDP socket. Requests and expected answers are raw bytes written
 * from the protocol document (not only the driver's codec); subscription lifetimes run on a fake
 * clock (the sockets stay real).
 */
import dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { decodePacket, describeMessage, encodeMessage } from "../../drivers/x32/osc.js";
import { CONTROL_HELP, runControl, startX32Simulator, SUBSCRIPTION_MS, type X32ServerHandle } from "./index.js";

const bytes = (s: string): Buffer => Buffer.from(s, "latin1");

/** A UDP client that collects datagrams; `next()` waits (bounded) for the next one. */
async function client(port: number) {
  const s = dgram.createSocket("udp4");
  const inbox: Buffer[] = [];
  const waiters: ((b: Buffer) => void)[] = [];
  s.on("message", (m) => {
    const w = waiters.shift();
    if (w) w(m);
    else inbox.push(m);
  });
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  return {
    port: s.address().port,
    send: (b: Buffer) => new Promise<void>((r, j) => s.send(b, port, "127.0.0.1", (e) => (e ? j(e) : r()))),
    next(ms = 2000): Promise<Buffer> {
      const b = inbox.shift();
      if (b) return Promise.resolve(b);
      return new Promise((resolve, reject) => {
        const waiter = (m: Buffer): void => {
          clearTimeout(timer);
          resolve(m);
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1); // a late datagram must not vanish into a dead waiter
          reject(new Error(`no datagram within ${ms} ms`));
        }, ms);
        waiters.push(waiter);
      });
    },
    /** Resolves with what arrived within `ms` (for "nothing is sent" checks, after a round trip proves the path). */
    inbox,
    close: () => new Promise<void>((r) => s.close(() => r())),
  };
}
type Client = Awaited<ReturnType<typeof client>>;

const text = (b: Buffer) => {
  const r = decodePacket(b);
  return r.ok ? r.messages.map(describeMessage).join(" | ") : `<malformed ${r.error.code}>`;
};

describe("X32 simulator (UDP)", () => {
  const open: (X32ServerHandle | Client)[] = [];
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });
  async function start(spec: Parameters<typeof startX32Simulator>[0] = { port: 0 }) {
    const sim = await startX32Simulator(spec);
    open.push(sim);
    const a = await client(sim.port);
    const b = await client(sim.port);
    open.push(a, b);
    return { sim, a, b };
  }

  it("answers /xinfo with ,ssss ip name model firmware (exact bytes)", async () => {
    const { a } = await start({ port: 0, name: "FOH", model: "M32", firmware: "4.06", ip: "10.0.0.9" });
    await a.send(bytes("/xinfo\0\0,\0\0\0"));
    expect(await a.next()).toEqual(bytes("/xinfo\0\0,ssss\0\0\0" + "10.0.0.9\0\0\0\0" + "FOH\0" + "M32\0" + "4.06\0\0\0\0"));
  });

  it("a query is answered with the value; a set is stored, not answered, and pushed to the OTHER /xremote clients", async () => {
    const { sim, a, b } = await start();
    await a.send(bytes("/xremote\0\0\0\0"));
    await b.send(bytes("/xremote\0\0\0\0"));
    await a.send(bytes("/ch/01/mix/fader\0\0\0\0,\0\0\0"));
    // 0 dB is 0.75, stored on the desk's 1024 steps as 767/1023 (the desk answers 0.7498)
    const f = Buffer.alloc(4);
    f.writeFloatBE(767 / 1023);
    expect(await a.next()).toEqual(Buffer.concat([bytes("/ch/01/mix/fader\0\0\0\0,f\0\0"), f]));
    await a.send(bytes("/ch/01/mix/on\0\0\0,i\0\0\0\0\0\0")); // mute
    expect(text(await b.next())).toBe("/ch/01/mix/on ,i 0");
    expect(sim.mixer.get("/ch/01/mix/on")).toEqual({ type: "i", value: 0 });
    // a's next datagram is the answer to its query: no echo of its own set came before it
    await a.send(bytes("/ch/01/mix/on\0\0\0,\0\0\0"));
    expect(text(await a.next())).toBe("/ch/01/mix/on ,i 0");
  });

  it("faders are stored on the desk's 1024 steps; DCAs and /main/st have their own addresses", async () => {
    const { a } = await start();
    await a.send(encodeMessage("/main/st/mix/fader", [{ type: "f", value: 0.3333 }]));
    await a.send(encodeMessage("/main/st/mix/fader"));
    expect(text(await a.next())).toBe(`/main/st/mix/fader ,f ${Math.fround(Math.round(0.3333 * 1023) / 1023)}`);
    await a.send(encodeMessage("/dca/3/on"));
    expect(text(await a.next())).toBe("/dca/3/on ,i 1");
  });

  it("/xremote lasts 10 s on the injected clock: pushes stop without renewal and resume with it", async () => {
    const clock = fakeClock();
    const { sim, a } = await start({ port: 0, clock });
    await a.send(bytes("/xremote\0\0\0\0"));
    await a.send(encodeMessage("/xinfo")); // a round trip proves the /xremote arrived first
    await a.next();
    await clock.tickAsync(SUBSCRIPTION_MS - 1);
    expect(sim.deskChange("/ch/05/mix/on", { type: "i", value: 0 })).toBe(1);
    expect(text(await a.next())).toBe("/ch/05/mix/on ,i 0");
    await clock.tickAsync(1);
    expect(sim.deskChange("/ch/05/mix/on", { type: "i", value: 1 })).toBe(0);
    expect(sim.subscribers().xremote).toEqual([]);
    await a.send(bytes("/xremote\0\0\0\0"));
    await a.send(encodeMessage("/xinfo"));
    await a.next();
    expect(sim.deskChange("/ch/05/mix/on", { type: "i", value: 0 })).toBe(1);
    expect(text(await a.next())).toBe("/ch/05/mix/on ,i 0");
  });

  it("/meters ,s /meters/1 pushes 96 little-endian floats every interval for 10 s", async () => {
    const clock = fakeClock();
    const { sim, a } = await start({ port: 0, clock, signalDb: -20, meterIntervalMs: 50 });
    sim.mixer.setSignal(2, -6);
    await a.send(bytes("/meters\0,s\0\0/meters/1\0\0\0"));
    await a.send(encodeMessage("/xinfo"));
    await a.next();
    await clock.tickAsync(50);
    const m = await a.next();
    expect(m.subarray(0, 16)).toEqual(bytes("/meters/1\0\0\0,b\0\0"));
    expect(m.readInt32BE(16)).toBe(4 + 96 * 4); // OSC blob size: big-endian
    expect(m.readInt32LE(20)).toBe(96); // the desk's count inside the blob: little-endian
    expect(m.readFloatLE(24)).toBeCloseTo(0.1, 5); // ch 1 at -20 dBFS
    expect(m.readFloatLE(28)).toBeCloseTo(0.501, 3); // ch 2 at -6 dBFS
    await clock.tickAsync(SUBSCRIPTION_MS);
    expect(sim.subscribers().meters).toEqual([]);
    const sentBefore = sim.stats.meterPackets;
    await clock.tickAsync(500);
    expect(sim.stats.meterPackets).toBe(sentBefore);
  });

  it("scenes: goscene loads one and pushes its changes to every subscriber", async () => {
    const { sim, a, b } = await start({ port: 0, scenes: { "3": { "/ch/01/mix/on": 0, "/main/st/mix/fader": 0.5 } } });
    await b.send(bytes("/xremote\0\0\0\0"));
    await b.send(encodeMessage("/xinfo"));
    await b.next();
    await a.send(bytes("/-action/goscene\0\0\0\0,i\0\0\0\0\0\x03"));
    const pushed = [text(await b.next()), text(await b.next())].sort();
    expect(pushed).toEqual(["/ch/01/mix/on ,i 0", "/main/st/mix/fader ,f 0.5004887580871582"]);
    expect(sim.mixer.currentScene).toBe(3);
  });

  it("ignores malformed datagrams and unknown addresses (counted), and keeps answering", async () => {
    const { sim, a } = await start();
    await a.send(bytes("/ch/01/mix/on\0XY,i\0\0\0\0\0\x01"));
    await a.send(bytes("/nonsense\0\0\0,\0\0\0"));
    await a.send(encodeMessage("/xinfo"));
    expect(text(await a.next())).toMatch(/^\/xinfo ,ssss/);
    expect(sim.stats).toMatchObject({ badPackets: 1, unknownAddresses: 1 });
  });

  it("faults: garbage puts a malformed datagram before each answer; silent answers nothing", async () => {
    const { sim, a } = await start();
    sim.faults.garbage = true;
    await a.send(encodeMessage("/xinfo"));
    expect(text(await a.next())).toBe("<malformed bad_padding>");
    expect(text(await a.next())).toMatch(/^\/xinfo/);
    sim.faults.garbage = false;
    sim.faults.silent = true;
    await a.send(encodeMessage("/xinfo"));
    await expect(a.next(200)).rejects.toThrow(/no datagram/);
    sim.faults.silent = false;
    await a.send(encodeMessage("/xinfo"));
    expect(text(await a.next())).toMatch(/^\/xinfo/);
  });

  it("reboot forgets subscribers and answers nothing until the boot time has passed", async () => {
    const clock = fakeClock();
    const { sim, a } = await start({ port: 0, clock, rebootMs: 3000 });
    await a.send(bytes("/xremote\0\0\0\0"));
    await a.send(encodeMessage("/xinfo"));
    await a.next();
    expect(runControl(sim, "reboot", [])).toMatch(/rebooting/);
    expect(sim.subscribers().xremote).toEqual([]);
    await a.send(encodeMessage("/xinfo"));
    await expect(a.next(200)).rejects.toThrow(/no datagram/);
    await clock.tickAsync(3000);
    await a.send(encodeMessage("/xinfo"));
    expect(text(await a.next())).toMatch(/^\/xinfo/);
  });

  it("control verbs: change pushes a desk change; signal and scene; bad values are refused clearly", async () => {
    const { sim, b } = await start();
    await b.send(bytes("/xremote\0\0\0\0"));
    await b.send(encodeMessage("/xinfo"));
    await b.next();
    expect(runControl(sim, "change", ["1"])).toBe("/ch/01/mix/on = 0 (pushed to 1 client)");
    expect(text(await b.next())).toBe("/ch/01/mix/on ,i 0");
    expect(runControl(sim, "change", ["/bus/02", "-10"])).toBe("/bus/02/mix/fader = 0.5005 (pushed to 1 client)");
    expect(text(await b.next())).toBe(`/bus/02/mix/fader ,f ${Math.fround(512 / 1023)}`);
    expect(runControl(sim, "signal", ["4", "-12"])).toBe("channel 4 signal -12 dBFS");
    expect(runControl(sim, "scene", ["9"])).toBe("scene 9 is empty");
    expect(() => runControl(sim, "change", ["/ch/40"])).toThrow(/unknown strip/);
    expect(() => runControl(sim, "signal", ["33", "-1"])).toThrow(/channel must be 1\.\.32/);
    expect(runControl(sim, "overtemp", [])).toBeUndefined();
    expect(CONTROL_HELP).toMatch(/reboot DEV/);
  });

  it("unplug closes the socket; replug binds the same port again", async () => {
    const { sim, a } = await start();
    const port = sim.port;
    await sim.unplug();
    expect(sim.describe()).toMatch(/unplugged/);
    await sim.replug();
    expect(sim.port).toBe(port);
    await a.send(encodeMessage("/xinfo"));
    expect(text(await a.next())).toMatch(/^\/xinfo/);
  });

  it("refuses a bad spec with a message naming the field", async () => {
    await expect(startX32Simulator({ port: 70000 })).rejects.toMatchObject({ code: "bad_config", message: /port/ });
    await expect(startX32Simulator({ port: 0, scenes: { "1": { "/ch/99/mix/on": 0 } } })).rejects.toThrow(/unknown parameter \/ch\/99/);
  });
});
