/**
 * The Tesira RS-232 port on a pty, seen by a raw serial client: no telnet negotiation, no
 * banner on open, echo + answers; the port's session (and its subscriptions) outlives a pulled cable.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SerialPort } from "serialport";
import { afterEach, describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { startTesiraSimulator, type TesiraSimHandle } from "./index.js";

class Port {
  text = "";
  private waiters: (() => void)[] = [];
  constructor(readonly port: SerialPort) {
    port.on("data", (b: Buffer) => {
      this.text += b.toString("latin1");
      for (const w of this.waiters.splice(0)) w();
    });
    port.on("error", () => undefined); // unplug makes the read fail; the test asserts on text
  }
  static async open(p: string): Promise<Port> {
    const sp = new SerialPort({ path: p, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => sp.open((e) => (e ? reject(e) : resolve())));
    return new Port(sp);
  }
  async ask(line: string, last: string, ms = 3000): Promise<string> {
    const from = this.text.length;
    this.port.write(`${line}\n`);
    const deadline = Date.now() + ms;
    while (!this.text.includes(last, from)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${JSON.stringify(last)} after ${line}; got ${JSON.stringify(this.text.slice(from))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.text.slice(from);
  }
  close(): Promise<void> {
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }
}

describe("Tesira serial simulator (pty)", () => {
  let sim: TesiraSimHandle;
  let dir: string;
  const ports: Port[] = [];
  afterEach(async () => {
    for (const p of ports.splice(0)) await p.close();
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers with echo and no negotiation; subscriptions survive unplug/replug (the DSP cannot tell)", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-tesira-sim-"));
    sim = await startTesiraSimulator({ link: "serial", devicePath: path.join(dir, "dsp"), clock: fakeClock() });
    expect(sim.describe()).toBe(`tesira serial:${path.join(dir, "dsp")}@115200 blocks MicMute,MicLevel,Program Level plugged`);
    const p = await Port.open(sim.devicePath!);
    ports.push(p);
    expect(await p.ask("MicMute subscribe mute 2 m2", "+OK\r\n")).toBe('MicMute subscribe mute 2 m2\r\n! "publishToken":"m2" "value":false\r\n+OK\r\n');
    expect(p.text).not.toContain("\xff"); // no telnet on a serial line
    await p.close();
    await sim.unplug();
    await sim.replug();
    const q = await Port.open(sim.devicePath!);
    ports.push(q);
    expect(await q.ask("MicMute subscribe mute 2 m2", "SUBSCRIBED\r\n")).toBe("MicMute subscribe mute 2 m2\r\n-ERR ALREADY_SUBSCRIBED\r\n");
    sim.control("mute", ["MicMute", "2", "on"]);
    // The push may arrive before or after the echo, on the wire as the DSP printed it.
    expect(await q.ask("MicMute get mute 2", '+OK "value":true\r\n')).toContain('MicMute get mute 2\r\n+OK "value":true\r\n');
    expect(q.text).toContain('! "publishToken":"m2" "value":true\r\n');
  });
});
