/**
 * The Poly simulator seen by a raw telnet client on its API port: the transcripts of
 * PROTOCOLS-CONFERENCE-NETWORK.md part A, byte for byte (`Password:` with no line end, `\r\r\n`).
 * Real sockets on 127.0.0.1; the codec's and the MCU's own timing (ringing, boot) on a fake clock.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { fakeClock, type FakeClock } from "../../test/helpers/clock.js";
import { startPolySimulator, type PolySimHandle } from "./index.js";

export class RawClient {
  text = "";
  closed = false;
  private waiters: (() => void)[] = [];
  constructor(readonly socket: net.Socket) {
    socket.on("data", (b: Buffer) => {
      this.text += b.toString("latin1");
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => undefined); // asserted through text and `closed`
  }
  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }
  /** Waits (bounded, on data events) until `done()`; fails with what arrived. */
  async until(done: () => boolean, what: string, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`never ${what}; got ${JSON.stringify(this.text)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  /** Sends `line\r` (the driver's line end) and returns what came back up to and including `last`. */
  async ask(line: string, last: string): Promise<string> {
    const from = this.text.length;
    this.socket.write(`${line}\r`);
    await this.until(() => this.text.includes(last, from), `received ${JSON.stringify(last)} after ${line}`);
    return this.text.slice(from, this.text.indexOf(last, from) + last.length);
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

const BANNER =
  "Hi, my name is : ROOM-101\r\r\nModel: Group 500\r\r\nSerial Number: 8215130F2E0DCV\r\r\nSoftware Version: 6.2.2\r\r\n" +
  "Build Information: sim\r\r\nTime In Last Call: 0:00:00\r\r\nTotal Time In Calls: 0:00:00\r\r\nTotal Calls: 0\r\r\nSNMP Enabled: True\r\r\n";

describe("Poly simulator on its telnet API port", () => {
  let sim: PolySimHandle;
  let clock: FakeClock;
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await sim.close();
  });

  async function start(extra: Record<string, unknown> = {}): Promise<void> {
    clock = fakeClock();
    sim = await startPolySimulator({ link: "tcp", port: 0, password: "secret", bootMs: 2000, clock, numbers: { "8002": { kind: "reject", cause: "busy" } }, ...extra });
  }

  async function login(): Promise<RawClient> {
    const c = await RawClient.connect(sim.port!);
    clients.push(c);
    await c.until(() => c.text === "Password:", "the prompt");
    expect(await c.ask("secret", "SNMP Enabled: True\r\r\n")).toBe(BANNER);
    return c;
  }

  it("login: `Password:` with no line end, the banner from `Hi, my name is` to `SNMP Enabled`, lines ending \\r\\r\\n", async () => {
    await start();
    const c = await login();
    expect(c.text).toBe(`Password:${BANNER}`);
    expect(sim.codec.logins).toBe(1);
    expect(sim.codec.received).toEqual([]); // the password is never recorded
  });

  it("registrations as part A's transcript, per session", async () => {
    await start();
    const c = await login();
    expect(await c.ask("notify callstatus", "\r\r\n")).toBe("notify callstatus success\r\r\n");
    expect(await c.ask("notify sysstatus", "\r\r\n")).toBe("notify sysstatus success\r\r\n");
    expect(await c.ask("notify", "\r\r\n")).toBe("registered for 2 notifications:callstatus:sysstatus\r\r\n");
    expect(await c.ask("notify callstatus", "\r\r\n")).toBe("info: event/notification already active:callstatus\r\r\n");
    expect(await c.ask("callstate register", "\r\r\n")).toBe("callstate registered\r\r\n");
    expect(await c.ask("sleep register", "\r\r\n")).toBe("sleep registered\r\r\n");
    expect(await c.ask("all register", "sleep registered\r\r\n")).toBe(
      ["callstate", "camera", "chaircontrol", "linestate", "mute", "pip", "popupinfo", "preset", "screen", "vcbutton", "volume", "sleep"].map((t) => `${t} registered\r\r\n`).join(""),
    );
    const other = await login();
    expect(await other.ask("notify", "\r\r\n")).toBe("registered for 0 notifications\r\r\n");
  });

  it("a wrong password: `password failed`, the prompt again; the third closes the connection", async () => {
    await start();
    const c = await RawClient.connect(sim.port!);
    clients.push(c);
    await c.until(() => c.text === "Password:", "the prompt");
    expect(await c.ask("nope", "Password:")).toBe("password failed\r\r\nPassword:");
    expect(await c.ask("", "Password:")).toBe("Password:"); // a bare line end only shows the prompt again
    await c.ask("nope", "Password:");
    c.socket.write("nope\r");
    await c.until(() => c.closed, "closed");
    expect(c.text.endsWith("password failed\r\r\n")).toBe(true);
    expect(sim.codec.failedLogins).toBe(3);
  });

  it("a dial: the reply, then pushes only to the sessions that registered; callinfo, advnetstats and netstats", async () => {
    await start();
    const a = await login();
    const b = await login();
    await a.ask("notify callstatus", "\r\r\n");
    await a.ask("callstate register", "\r\r\n");
    expect(await a.ask('dial manual 1920 "8001" sip', "state[RINGING]\r\r\n")).toBe(
      "dialing manual\r\r\nnotification:callstatus:outgoing:1:8001:8001:ringing:1920:0:videocall\r\r\ncs: call[1] chan[0] dialstr[8001] state[RINGING]\r\r\n",
    );
    const from = a.text.length;
    await clock.tickAsync(300);
    await a.until(() => a.text.includes("active: call[1] speed[1920]\r\r\n", from), "connected");
    expect(a.text.slice(from)).toBe("notification:callstatus:outgoing:1:8001:8001:connected:1920:0:videocall\r\r\ncs: call[1] chan[0] dialstr[8001] state[CONNECTED]\r\r\nactive: call[1] speed[1920]\r\r\n");
    expect(await b.ask("callinfo all", "callinfo end\r\r\n")).toBe("callinfo begin\r\r\ncallinfo:1:8001:8001:1920:connected:notmuted:outgoing:videocall\r\r\ncallinfo end\r\r\n");
    expect(b.text).not.toContain("notification:"); // b never registered

    sim.control("storm", ["4", "40"]);
    await clock.tickAsync(10_000);
    const adv = await b.ask("advnetstats 0", "ccaps:---\r\r\n");
    // 10 s at 4 %: audio 500 packets -> 20 lost; video 1856 kbps = 193.3 packets/s -> 77 lost.
    expect(adv).toMatch(/^call:0 tar:64 K rar:64 K tvr:1856 K rvr:1856 K\r\r\ntvru:1856 K rvru:1856 K tvfr:30 rvfr:30 vfe:0\r\r\ntapl:20 rapl:20 taj:4\d ms raj:4\d ms tvpl:77 rvpl:77\r\r\ntvj:4\d ms rvj:4\d ms dc:Disabled rsid:8001 ccaps:---\r\r\n$/);
    expect(await b.ask("netstats 0", "rcp:SIP\r\r\n")).toBe("call:0 txrate:1920 K rxrate:1920 K pktloss:97 %pktloss:4.0 %\r\r\ntvp:H.264 rvp:H.264 tvf:1280x720 rvf:1280x720 tap:G.722.1 rap:G.722.1 tcp:SIP rcp:SIP\r\r\n");
    expect(await b.ask("advnetstats 1", "\r\r\n")).toBe("error: connection 1 is not active\r\r\n");

    const end = a.text.length;
    sim.control("hangup", []); // the far end hangs up
    await a.until(() => a.text.includes("ended: call[1]\r\r\n", end), "the end");
    expect(a.text.slice(end)).toBe("notification:callstatus:outgoing:1:8001:8001:disconnected:1920:16:videocall\r\r\ncleared: call[1]\r\r\nended: call[1]\r\r\n");
  });

  it("a refused number ends with its cause; registrations lost show in status", async () => {
    await start();
    const c = await login();
    await c.ask("notify callstatus", "\r\r\n");
    await c.ask('dial manual auto "8002"', "ringing:1920:0:videocall\r\r\n");
    const from = c.text.length;
    await clock.tickAsync(50);
    await c.until(() => c.text.includes("disconnected", from), "the refusal");
    expect(c.text.slice(from)).toBe("notification:callstatus:outgoing:1:8002:8002:disconnected:1920:17:videocall\r\r\n");
    sim.control("registration", ["sip", "off"]);
    const status = await c.ask("status", "status end\r\r\n");
    expect(status).toContain("gatekeeper online\r\r\nsipserver offline\r\r\n");
    expect(status.startsWith("inacall offline\r\r\n")).toBe(true);
  });

  it("mute, volume, content and sleep: replies, and pushes to registered sessions", async () => {
    await start();
    const c = await login();
    await c.ask("mute register", "\r\r\n");
    await c.ask("volume register", "\r\r\n");
    await c.ask("vcbutton register", "\r\r\n");
    await c.ask("sleep register", "\r\r\n");
    expect(await c.ask("mute near on", "mute near on\r\r\nmute near on\r\r\n")).toBe("mute near on\r\r\nmute near on\r\r\n"); // reply + push
    expect(await c.ask("volume set 30", "volume 30\r\r\nvolume 30\r\r\n")).toBe("volume 30\r\r\nvolume 30\r\r\n");
    expect(await c.ask("volume set 51", "\r\r\n")).toBe("error: command has illegal parameters\r\r\n");
    expect(await c.ask("vcbutton play 2", "\r\r\nvcbutton play\r\r\n")).toBe("Control event: vcbutton play\r\r\nvcbutton play\r\r\n");
    expect(await c.ask("vcbutton play", "\r\r\n")).toBe("already active:vcbutton\r\r\n");
    expect(await c.ask("sleep", "sleeping\r\r\n")).toBe("listen going to sleep\r\r\nsleeping\r\r\n");
    expect(await c.ask("wake", "\r\r\nwaking up\r\r\n")).toBe("listen waking up\r\r\nwaking up\r\r\n");
    sim.control("volume", ["12"]); // the room's remote control
    await c.until(() => c.text.endsWith("volume 12\r\r\n"), "the pushed volume");
    expect(await c.ask("bogus", "\r\r\n")).toBe("error: command not found\r\r\n");
  });

  it("reboot: NUL, silence for the boot time, the prompt again; registrations are gone", async () => {
    await start();
    const c = await login();
    await c.ask("notify callstatus", "\r\r\n");
    const from = c.text.length;
    expect(sim.control("reboot", [])).toBe("rebooting; prompt again in 2000 ms");
    await c.until(() => c.text.length > from, "the NUL");
    expect(c.text.slice(from)).toBe("\x00");
    c.socket.write("whoami\r");
    await clock.tickAsync(1999);
    expect(c.text.slice(from)).toBe("\x00"); // nothing answered while booting
    await clock.tickAsync(1);
    await c.until(() => c.text.endsWith("Password:"), "the prompt again");
    expect(await c.ask("secret", "SNMP Enabled: True\r\r\n")).toBe(BANNER);
    expect(await c.ask("notify", "\r\r\n")).toBe("registered for 0 notifications\r\r\n");
  });

  it("a session limit: the connection beyond it is closed; silent and garbage faults", async () => {
    await start({ password: "" });
    const c = await RawClient.connect(sim.port!);
    clients.push(c);
    await c.until(() => c.text === BANNER, "the banner at once (no password)");
    sim.control("sessions", ["1"]);
    const d = await RawClient.connect(sim.port!);
    clients.push(d);
    await d.until(() => d.closed, "closed");
    expect(d.text).toBe("");
    sim.faults.garbage = true;
    expect(await c.ask("volume get", "volume 25\r\r\n")).toBe("\x15\x1a#?!garbled!?#\r\r\nvolume 25\r\r\n");
    sim.faults.garbage = false;
    sim.faults.silent = true;
    c.socket.write("volume get\r");
    const deadline = Date.now() + 3000;
    while (sim.codec.received.length < 2 && Date.now() < deadline) await new Promise((r) => setImmediate(r)); // bounded: until the codec heard it
    sim.faults.silent = false;
    expect(await c.ask("mute near get", "\r\r\n")).toBe("mute near off\r\r\n");
    expect(sim.codec.received.map((r) => r.text)).toEqual(["volume get", "volume get", "mute near get"]);
  });
});
