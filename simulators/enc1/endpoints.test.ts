/**
 * The encryptor simulator on real endpoints: TCP on 127.0.0.1 and a pty at 9600 baud.
 * Raw bytes in and out; every wait is on an event and bounded.
 */
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { SerialPort } from "serialport";
import { afterEach, describe, expect, it } from "vitest";
import { startEnc1Simulator, startFromSite, type Enc1SimHandle } from "./index.js";

const WAIT_MS = 5000;

/** Collects LF-terminated lines from a stream; `next(match)` resolves with the first matching one. */
function lineReader(stream: NodeJS.EventEmitter) {
  const lines: string[] = [];
  let partial = "";
  let wake: (() => void) | undefined;
  stream.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString("latin1")).split(/(?<=\n)/);
    partial = parts.at(-1)!.endsWith("\n") ? "" : parts.pop()!;
    lines.push(...parts);
    wake?.();
  });
  return {
    lines,
    async next(match: RegExp, from = 0): Promise<string> {
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const hit = lines.slice(from).find((l) => match.test(l));
        if (hit !== undefined) return hit;
        if (Date.now() > deadline) throw new Error(`no line matching ${match} within ${WAIT_MS} ms; got ${JSON.stringify(lines)}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 200);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    },
  };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => resolve(s));
    s.once("error", reject);
  });
}

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("ENC/1 simulator over TCP", () => {
  async function tcpSim(): Promise<Enc1SimHandle> {
    const sim = await startEnc1Simulator({ link: "tcp", host: "127.0.0.1", port: 0, heartbeatMs: 100 });
    cleanups.push(() => sim.close());
    return sim;
  }

  it("answers queries on the asking connection, broadcasts heartbeats and changes, records every byte", async () => {
    const sim = await tcpSim();
    const a = await connect(sim.port!);
    const b = await connect(sim.port!);
    cleanups.push(() => void a.destroy(), () => void b.destroy());
    const ra = lineReader(a);
    const rb = lineReader(b);
    await ra.next(/^\$ENC,HB,\d+,\d+\*[0-9A-F]{2}\n$/);
    await rb.next(/^\$ENC,HB,/);
    a.write("$Q,ID*70\n");
    expect(await ra.next(/^\$ENC,ID/)).toBe("$ENC,ID,RG-ENC1-SIM,1.0.0*63\n");
    const bBefore = rb.lines.length;
    expect(sim.control("state", ["BYPASS"])).toMatch(/^state=BYPASS/);
    expect(await rb.next(/^\$ENC,ST,\d+,BYPASS,/, bBefore)).toMatch(/^\$ENC,ST,\d+,BYPASS,tun=UP,key=VALID,alarm=BYPASS_ACTIVE\*[0-9A-F]{2}\n$/);
    expect(await rb.next(/^\$ENC,AL,/, bBefore)).toMatch(/^\$ENC,AL,\d+,BYPASS_ACTIVE,CRIT,RAISE\*[0-9A-F]{2}\n$/);
    expect(rb.lines.some((l) => l.startsWith("$ENC,ID"))).toBe(false); // the answer went to `a` only
    a.write("$ACK,7*52\n");
    await ra.next(/^\$ENC,HB,/, ra.lines.length); // one heartbeat later the ack has surely arrived
    expect(sim.device.acks).toContain(7);
    expect(sim.device.receivedData().toString("latin1")).toBe("$Q,ID*70\n$ACK,7*52\n");
  });

  it("unplug drops every connection and refuses new ones; replug listens on the same port", async () => {
    const sim = await tcpSim();
    const port = sim.port!;
    const a = await connect(port);
    const closed = new Promise((resolve) => a.once("close", resolve));
    a.on("error", () => undefined); // a reset on unplug is expected here
    await sim.unplug();
    await closed;
    await expect(connect(port)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(sim.describe()).toMatch(/unplugged$/);
    await sim.replug();
    const b = await connect(port);
    cleanups.push(() => void b.destroy());
    await lineReader(b).next(/^\$ENC,HB,/);
  });

  it("startFromSite takes the endpoint from the site transport and refuses udp", async () => {
    const probe = await startEnc1Simulator({ link: "tcp", host: "127.0.0.1", port: 0 });
    const port = probe.port!;
    await probe.close();
    const sim = await startFromSite({ type: "tcp", host: "127.0.0.1", port }, { state: "MAINT" });
    cleanups.push(() => sim.close());
    expect(sim.describe()).toBe(`enc1 tcp:127.0.0.1:${port} state MAINT plugged`);
    expect(sim.controlHelp).toContain("zeroize DEV");
    await expect(startFromSite({ type: "udp", host: "127.0.0.1", port: 9 }, {})).rejects.toThrow(/no udp link/);
    await expect(startEnc1Simulator({ link: "tcp", port: 0, heartbeatMs: -1 } as never)).rejects.toThrow(/heartbeatMs/);
  });
});

describe("ENC/1 simulator on a serial pty (9600)", () => {
  it("speaks ENC/1 on the device path and keeps working after unplug/replug", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-enc1-sim-"));
    const devicePath = path.join(dir, "enc");
    const sim = await startEnc1Simulator({ link: "serial", devicePath, heartbeatMs: 100 });
    cleanups.push(() => rm(dir, { recursive: true, force: true }), () => sim.close());
    const open = async () => {
      const port = new SerialPort({ path: devicePath, baudRate: 9600, autoOpen: false });
      port.on("error", () => undefined); // the pty vanishing on unplug is expected here
      await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
      return port;
    };
    let port = await open();
    let reader = lineReader(port);
    port.write("$Q,ST*7A\n");
    expect(await reader.next(/^\$ENC,ST/)).toMatch(/^\$ENC,ST,\d+,SECURE,tun=UP,key=VALID,alarm=NONE\*[0-9A-F]{2}\n$/);
    await reader.next(/^\$ENC,HB,/);
    const closed = new Promise((resolve) => port.once("close", resolve));
    await sim.unplug();
    await closed;
    await sim.replug();
    port = await open();
    cleanups.push(() => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())));
    reader = lineReader(port);
    port.write("$Q,ID*70\n");
    expect(await reader.next(/^\$ENC,ID/)).toBe("$ENC,ID,RG-ENC1-SIM,1.0.0*63\n");
    expect(sim.device.receivedLines()).toEqual(["$Q,ST*7A\n", "$Q,ID*70\n"]);
  });
});
