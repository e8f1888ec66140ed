/**
 * The Tesira telnet simulator seen by a raw TCP client: bytes and lines as a control system sees
 * them (PROTOCOLS.md and Biamp's TTP pages, written out here by hand). Real sockets on 127.0.0.1,
 * a fake clock for the DSP's own timing (reboot).
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { startTesiraSimulator, type TesiraSimHandle } from "./index.js";

const NEGOTIATION_HEX = "fffd18fffd20fffd23fffd27fffb01fffb03";
const REFUSALS = Buffer.from("fffc18fffc20fffc23fffc27fffe01fffe03", "hex");

class Client {
  text = "";
  raw: Buffer[] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly socket: net.Socket) {
    socket.on("data", (b: Buffer) => {
      this.raw.push(b);
      this.text += b.toString("latin1");
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on("error", () => undefined); // the test asserts on text, a reset at teardown is fine
  }
  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => resolve(new Client(s)));
      s.once("error", reject);
    });
  }
  /** Waits (bounded, on data events) until the received text holds `needle`. */
  async until(needle: string, ms = 3000, from = 0): Promise<string> {
    const deadline = Date.now() + ms;
    while (!this.text.includes(needle, from)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`never received ${JSON.stringify(needle)}; got ${JSON.stringify(this.text)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.text;
  }
  send(line: string): void {
    this.socket.write(`${line}\n`);
  }
  /** Sends a command and returns what came back for it (echo included), up to `last`. */
  async ask(line: string, last: string): Promise<string> {
    const from = this.text.length;
    this.send(line);
    await this.until(last, 3000, from);
    return this.text.slice(from, this.text.indexOf(last, from) + last.length);
  }
}

/** Waits (bounded, a turn of the event loop at a time) until the DSP has heard `line` `count` times. */
async function arrived(sim: TesiraSimHandle, line: string, count: number, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (sim.dsp.received.filter((l) => l === line).length < count) {
    if (Date.now() > deadline) throw new Error(`the DSP never heard ${line} ${count} times`);
    await new Promise<void>((r) => setImmediate(r));
  }
}

describe("Tesira telnet simulator", () => {
  let sim: TesiraSimHandle;
  const clients: Client[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await sim.close();
  });

  async function session(): Promise<Client> {
    const c = await Client.connect(sim.port!);
    clients.push(c);
    await c.until("\xff\xfb\x03");
    c.socket.write(REFUSALS);
    await c.until("Welcome to the Tesira Text Protocol Server...\r\n");
    return c;
  }

  it("asks its options first and goes ahead only once every one is answered", async () => {
    sim = await startTesiraSimulator({ link: "tcp", port: 0, clock: fakeClock() });
    const c = await Client.connect(sim.port!);
    clients.push(c);
    await c.until("\xff\xfb\x03");
    expect(Buffer.concat(c.raw).toString("hex")).toBe(NEGOTIATION_HEX);
    c.send("MicMute get mute 1"); // ignored: the session has not gone ahead
    c.socket.write(REFUSALS.subarray(0, 7)); // half the answers, split mid-sequence
    c.socket.write(REFUSALS.subarray(7));
    await c.until("Welcome");
    expect(c.text.slice(NEGOTIATION_HEX.length / 2)).toBe("Welcome to the Tesira Text Protocol Server...\r\n");
    expect(sim.telnetAnswers[0]).toEqual(["WONT 24", "WONT 32", "WONT 35", "WONT 39", "DONT 1", "DONT 3"]);
    expect(sim.dsp.received).toEqual([]);
  });

  it("echoes and answers get/set/increment/toggle, quoted tags, errors with Biamp's texts", async () => {
    sim = await startTesiraSimulator({ link: "tcp", port: 0, clock: fakeClock() });
    const c = await session();
    expect(await c.ask("MicLevel get level 1", "+OK \"value\":-10.000000\r\n")).toBe('MicLevel get level 1\r\n+OK "value":-10.000000\r\n');
    expect(await c.ask('"Program Level" set level 2 -31.5', "+OK\r\n")).toBe('"Program Level" set level 2 -31.5\r\n+OK\r\n');
    expect(sim.dsp.block("Program Level").levels).toEqual([-20, -31.5]);
    await c.ask("MicLevel increment level 1 30", "+OK\r\n");
    expect(sim.dsp.block("MicLevel").levels[0]).toBe(12); // the block clamps to its max
    await c.ask("MicMute toggle mute 3", "+OK\r\n");
    expect(sim.dsp.block("MicMute").mutes).toEqual([false, false, true, false]);
    expect(await c.ask("Nope get level 1", "}\r\n")).toContain('-ERR address not found: {"deviceId":0 "classCode":0 "instanceNum":0}\r\n');
    expect(await c.ask("MicLevel Get level 1", "Services\r\n")).toContain("-ERR Parse error at 9: verb was not one of the commands supported by Services\r\n");
    expect(await c.ask("MicLevel set level 1", "supplied\r\n")).toContain("-ERR Parse error at 20: not enough parameters supplied\r\n");
    expect(await c.ask("MicLevel set level 1 loud", "value\r\n")).toContain("-ERR Parse error at 21: could not parse value\r\n");
    expect(await c.ask("MicLevel get level 9", "PARAMETER\r\n")).toContain("-ERR INVALID_PARAMETER\r\n");
    expect(await c.ask("SESSION get aliases", "]\r\n")).toContain('+OK "list":["MicMute","MicLevel","Program Level","DEVICE"]\r\n');
    expect(await c.ask("DEVICE get version", '23"\r\n')).toContain('+OK "value":"4.7.1.23"\r\n');
  });

  it("subscriptions: first value before +OK, ALREADY_SUBSCRIBED, pushes to the subscribed session on change and preset recall", async () => {
    const clock = fakeClock();
    sim = await startTesiraSimulator({ link: "tcp", port: 0, clock });
    const a = await session();
    const b = await session();
    expect(await a.ask("MicLevel subscribe level 1 lvl 500", "+OK\r\n")).toBe(
      'MicLevel subscribe level 1 lvl 500\r\n! "publishToken":"lvl" "value":-10.000000\r\n+OK\r\n',
    );
    expect(await a.ask("MicLevel subscribe level 1 lvl 500", "SUBSCRIBED\r\n")).toContain("-ERR ALREADY_SUBSCRIBED\r\n");
    await a.ask("MicMute subscribe mute 1 mic", "+OK\r\n");
    const from = a.text.length;
    await b.ask("MicLevel set level 1 -3", "+OK\r\n");
    await a.until('"value":-3.000000', 3000, from);
    await b.ask("DEVICE recallPreset 1002", "+OK\r\n");
    await a.until('! "publishToken":"mic" "value":true\r\n', 3000, from);
    expect(a.text.slice(from)).toBe('! "publishToken":"lvl" "value":-3.000000\r\n! "publishToken":"mic" "value":true\r\n');
    const at = a.text.length;
    await clock.tickAsync(500); // levels are also pushed at their interval, changed or not
    await a.until('! "publishToken":"lvl" "value":-3.000000\r\n', 3000, at);
    expect(await b.ask("DEVICE recallPreset 77", "PARAMETER\r\n")).toContain("-ERR INVALID_PARAMETER");
    expect(await a.ask("MicMute unsubscribe mute 1 mic", "+OK\r\n")).toBe("MicMute unsubscribe mute 1 mic\r\n+OK\r\n");
    expect(await a.ask("MicMute unsubscribe mute 1 mic", "STATE\r\n")).toContain("-ERR WRONG_STATE");
    const quiet = a.text.length;
    await b.ask("MicMute set mute 1 false", "+OK\r\n");
    expect(await a.ask("MicMute get mute 1", "false\r\n")).toBe('MicMute get mute 1\r\n+OK "value":false\r\n');
    expect(a.text.slice(quiet)).not.toContain('"mic"'); // unsubscribed: no push
  });

  it("reboot: silent while booting, subscriptions gone, boot values back, the banner again after bootMs", async () => {
    const clock = fakeClock();
    sim = await startTesiraSimulator({ link: "tcp", port: 0, clock, bootMs: 2000 });
    const c = await session();
    await c.ask("MicLevel subscribe level 1 lvl 0", "+OK\r\n");
    await c.ask("MicLevel set level 1 -1", "+OK\r\n");
    expect(sim.control("reboot", [])).toBe("rebooting; Welcome banner in 2000 ms");
    c.send("MicLevel get level 1");
    await arrived(sim, "MicLevel get level 1", 1); // the DSP heard it while booting, and says nothing
    await clock.tickAsync(1999);
    const before = c.text.length;
    await clock.tickAsync(1);
    await c.until("Welcome", 3000, before);
    expect(c.text.slice(before)).toBe("Welcome to the Tesira Text Protocol Server...\r\n");
    expect(await c.ask("MicLevel get level 1", "000\r\n")).toContain('+OK "value":-10.000000'); // boot value
    sim.control("level", ["MicLevel", "1", "-7"]);
    expect(await c.ask("MicLevel subscribe level 1 lvl 0", "+OK\r\n")).toContain('"publishToken":"lvl" "value":-7.000000'); // not ALREADY_SUBSCRIBED
  });

  it("faults: echostorm repeats echoes, garbage puts a bad line first, silent answers nothing, slow delays answers", async () => {
    const clock = fakeClock();
    sim = await startTesiraSimulator({ link: "tcp", port: 0, clock });
    const c = await session();
    sim.faults.slowMs = 1000;
    const slow = c.text.length;
    c.send("MicMute get mute 1");
    await c.until("MicMute get mute 1\r\n", 3000, slow); // the echo is immediate
    await clock.tickAsync(999);
    expect(c.text.slice(slow)).toBe("MicMute get mute 1\r\n");
    await clock.tickAsync(1);
    await c.until('+OK "value":false\r\n', 3000, slow);
    sim.faults.slowMs = 0;
    sim.control("echostorm", ["on"]);
    const stormy = await c.ask("MicMute get mute 2", "false\r\n");
    expect(stormy.split("MicMute get mute 2\r\n").length - 1).toBe(25);
    sim.control("echostorm", ["off"]);
    sim.faults.garbage = true;
    expect(await c.ask("MicMute get mute 1", "false\r\n")).toBe('MicMute get mute 1\r\n+OK "value":#garbled#\r\n+OK "value":false\r\n');
    sim.faults.garbage = false;
    sim.faults.silent = true;
    const quiet = c.text.length;
    c.send("MicMute get mute 3");
    await arrived(sim, "MicMute get mute 3", 1);
    sim.faults.silent = false;
    expect(await c.ask("MicMute get mute 4", "false\r\n")).toBe('MicMute get mute 4\r\n+OK "value":false\r\n');
    expect(c.text.slice(quiet)).not.toContain("mute 3"); // not even echoed
    expect(() => sim.control("echostorm", ["maybe"])).toThrow("echostorm needs on|off");
    expect(sim.control("frobnicate", [])).toBeUndefined();
  });

  it("unplug closes every session; replug listens on the same port", async () => {
    sim = await startTesiraSimulator({ link: "tcp", port: 0, clock: fakeClock() });
    const c = await session();
    const port = sim.port;
    const closed = new Promise<void>((r) => c.socket.once("close", () => r()));
    await sim.unplug();
    await closed;
    expect(sim.describe()).toMatch(/^tesira tcp:127\.0\.0\.1:\d+ blocks MicMute,MicLevel,Program Level unplugged$/);
    await sim.replug();
    expect(sim.port).toBe(port);
    const again = await session();
    expect(await again.ask("MicMute get mute 1", "false\r\n")).toContain('+OK "value":false');
  });
});

describe("Tesira simulator from a site file", () => {
  it("starts on the device's tcp endpoint, validates options naming the field, refuses links it has not", async () => {
    const { startFromSite } = await import("./index.js");
    const sim = await startFromSite({ type: "tcp", host: "127.0.0.1", port: 0 } as never, { bootMs: 10, firmware: "5.0.0.1" });
    try {
      expect(sim.protocol).toBe("tesira");
      expect(sim.controlHelp).toContain("reboot DEV [ms]");
      expect(await sim.control!("echostorm", ["on"])).toBe("echostorm=on");
    } finally {
      await sim.close();
    }
    await expect(startFromSite({ type: "tcp", host: "127.0.0.1", port: 0 } as never, { bootMS: 5 })).rejects.toMatchObject({ code: "bad_config", message: expect.stringContaining("bootMS") });
    await expect(startFromSite({ type: "udp", host: "127.0.0.1", port: 1 } as never, {})).rejects.toMatchObject({ code: "bad_config" });
  });
});
