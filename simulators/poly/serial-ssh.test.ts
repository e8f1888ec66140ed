/**
 * The Poly simulator's RS-232 port (a pty, 9600 baud by default) and SSH server, seen by raw
 * clients: the same API, with each link's own manners. Real clock (the serial line is paced).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SerialPort } from "serialport";
import ssh2 from "ssh2";
import { afterEach, describe, expect, it } from "vitest";
import { startPolySimulator, type PolySimHandle } from "./index.js";

/** Collects text and waits (bounded, on data events) for what a test expects. */
class Text {
  text = "";
  private waiters: (() => void)[] = [];
  add(b: Buffer): void {
    this.text += b.toString("latin1");
    for (const w of this.waiters.splice(0)) w();
  }
  async until(needle: string, from: number, ms = 4000): Promise<string> {
    const deadline = Date.now() + ms;
    while (!this.text.includes(needle, from)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`never received ${JSON.stringify(needle)}; got ${JSON.stringify(this.text.slice(from))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.text.slice(from, this.text.indexOf(needle, from) + needle.length);
  }
}

describe("Poly simulator on RS-232 and SSH", () => {
  let sim: PolySimHandle | undefined;
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await sim?.close();
    sim = undefined;
  });

  async function openPort(p: string, baudRate: number): Promise<{ port: SerialPort; t: Text }> {
    const port = new SerialPort({ path: p, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    const t = new Text();
    port.on("data", (b: Buffer) => t.add(b));
    port.on("error", () => undefined); // unplug fails the read; the test asserts on text
    cleanups.push(() => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())));
    return { port, t };
  }

  it("serial at 9600: silent on open, a line end shows the prompt, the banner at line speed; the login survives a pulled cable", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-poly-sim-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    sim = await startPolySimulator({ link: "serial", devicePath: path.join(dir, "codec"), password: "secret" });
    expect(sim.describe()).toBe(`poly Group 500 serial:${path.join(dir, "codec")}@9600 sessions 1 calls 0 plugged`);
    const { port, t } = await openPort(sim.devicePath!, 9600);
    port.write("\r");
    expect(await t.until("Password:", 0)).toBe("Password:");
    const t0 = Date.now();
    port.write("secret\r");
    const banner = await t.until("SNMP Enabled: True\r\r\n", 9);
    expect(banner.startsWith("Hi, my name is : ROOM-101\r\r\n")).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(Math.floor((banner.length * 10 * 1000) / 9600) - 5); // 10 bits a byte at 9600
    port.write("notify callstatus\r");
    await t.until("notify callstatus success\r\r\n", 0);

    await sim.unplug();
    await sim.replug();
    const again = await openPort(sim.devicePath!, 9600);
    again.port.write("notify\r"); // no prompt: the port's session is still logged in, registrations kept
    expect(await again.t.until("\r\r\n", 0)).toBe("registered for 1 notifications:callstatus\r\r\n");
  });

  it("SSH: the transport logs in; the banner, the `-> ` prompt, each command echoed after it (P1's `-> status`)", async () => {
    sim = await startPolySimulator({ link: "ssh", port: 0, password: "secret" });
    const client = new ssh2.Client();
    client.on("error", () => undefined); // a reset at teardown; the test asserts on what it saw
    cleanups.push(() => void client.end());
    const t = new Text();
    await new Promise<void>((resolve, reject) => {
      client.once("error", reject);
      client.once("ready", () => {
        client.shell(false, (err, channel) => {
          if (err) return reject(err);
          channel.on("data", (b: Buffer) => t.add(b));
          t.until("-> ", 0).then(() => {
            channel.write("status\r");
            resolve();
          }, reject);
        });
      });
      client.connect({ host: "127.0.0.1", port: sim!.port!, username: "admin", password: "secret" });
    });
    expect(t.text.startsWith("Hi, my name is : ROOM-101\r\r\n")).toBe(true);
    expect(t.text.endsWith("SNMP Enabled: True\r\r\n-> ")).toBe(true);
    const from = t.text.length;
    const reply = await t.until("status end\r\r\n-> ", from);
    expect(reply.startsWith("status\r\ninacall offline\r\r\n")).toBe(true);
    expect(sim.codec.received.map((r) => r.kind)).toEqual(["ssh"]);
  });

  it("SSH: a changed password is refused by the server", async () => {
    sim = await startPolySimulator({ link: "ssh", port: 0, password: "secret" });
    expect(sim.control("password", ["other"])).toBe("password changed");
    const client = new ssh2.Client();
    client.on("error", () => undefined); // a reset at teardown; the test asserts on what it saw
    cleanups.push(() => void client.end());
    const err = await new Promise<Error & { level?: string }>((resolve) => {
      client.once("error", resolve);
      client.once("ready", () => resolve(new Error("logged in")));
      client.connect({ host: "127.0.0.1", port: sim!.port!, username: "admin", password: "secret" });
    });
    expect(err.level).toBe("client-authentication");
    expect(sim.codec.sessions.size).toBe(0);
  });
});
