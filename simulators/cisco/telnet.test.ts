/**
 * The simulated codec on telnet, byte for byte against the transcripts of part B (C1, C4): the
 * option requests, the login dialogue, terminal-mode status and feedback on the call lifecycle,
 * then JSON mode (C2, C3). The MCU's ringing runs on a fake clock; the socket is real.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { fakeClock, type FakeClock } from "../../test/helpers/clock.js";
import { startCiscoSimulator, type CiscoSimHandle } from "./index.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A telnet client that keeps everything it got and waits (bounded) for text to appear. */
async function connect(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  let got = Buffer.alloc(0);
  let seen = 0;
  const waiters: (() => void)[] = [];
  socket.on("data", (c: Buffer) => {
    got = Buffer.concat([got, c]);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  cleanups.push(async () => void socket.destroy());
  const api = {
    get bytes() {
      return got;
    },
    /** Resolves with the text received from the last mark up to and including `text`. */
    until(text: string, ms = 3000): Promise<string> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${JSON.stringify(text)} within ${ms} ms; got ${JSON.stringify(got.subarray(seen).toString("latin1"))}`)), ms);
        const check = () => {
          const s = got.subarray(seen).toString("latin1");
          const i = s.indexOf(text);
          if (i < 0) return void waiters.push(check);
          clearTimeout(timer);
          seen += Buffer.byteLength(s.slice(0, i + text.length), "latin1");
          resolve(s.slice(0, i + text.length));
        };
        check();
      });
    },
    send(line: string) {
      socket.write(`${line}\r\n`);
    },
  };
  return api;
}

async function sim(clock: FakeClock, extra: Record<string, unknown> = {}): Promise<CiscoSimHandle> {
  const s = await startCiscoSimulator({ link: "tcp", port: 0, clock, password: "s3cret", numbers: { "8001@mcu.prov": { kind: "answer", ringMs: 500 } }, ...extra });
  cleanups.push(() => s.close());
  return s;
}

describe("the Cisco simulator on telnet", () => {
  it("asks DO 24/32/35/39, logs in, answers in terminal mode and feeds back a call's lifecycle (part B)", async () => {
    const clock = fakeClock();
    const s = await sim(clock);
    const c = await connect(s.port!);
    await c.until("login: ");
    expect([...c.bytes.subarray(0, 12)]).toEqual([0xff, 0xfd, 0x18, 0xff, 0xfd, 0x20, 0xff, 0xfd, 0x23, 0xff, 0xfd, 0x27]);
    c.send("admin");
    await c.until("Password: ");
    c.send("s3cret");
    expect(await c.until("OK\r\n")).toBe("\r\nWelcome to room-codec\r\nCisco Codec Release ce11.14.2.3 a8f5b5cfd8b\r\nSW Release Date: 2024-05-14\r\n*r Login successful\r\n\r\nOK\r\n");
    expect(s.shells[0]!.received).toEqual(["admin", "***"]);

    c.send("echo off");
    await c.until("echo off\r\nOK\r\n");
    c.send("xStatus Audio Microphones Mute");
    expect(await c.until("OK\r\n")).toBe("*s Audio Microphones Mute: Off\r\n** end\r\n\r\nOK\r\n");
    c.send("xFeedback register /Status/Call");
    expect(await c.until("OK\r\n")).toBe("** end\r\n\r\nOK\r\n");
    c.send("xFeedback register /Event/CallSuccessful");
    await c.until("OK\r\n");
    c.send("xFeedback register /Event/CallDisconnect");
    await c.until("OK\r\n");

    c.send('xCommand Dial Number: "8001@mcu.prov" Protocol: Sip CallRate: 1920 | resultId="mytag_1"');
    const dialled = await c.until("\r\nOK\r\n");
    expect(dialled).toContain('*s Call 1 Status: Dialling\r\n*s Call 1 Direction: Outgoing\r\n*s Call 1 RemoteNumber: "8001@mcu.prov"\r\n');
    expect(dialled).toContain('*r DialResult (status=OK):\r\n  CallId: 1\r\n  ConferenceId: 1\r\n** resultId: "mytag_1"\r\n** end\r\n\r\nOK\r\n');
    await clock.tickAsync(50);
    expect(await c.until("** end\r\n")).toBe("*s Call 1 Status: Connecting\r\n** end\r\n");
    await clock.tickAsync(450);
    expect(await c.until("** end\r\n")).toBe("*s Call 1 Status: Connected\r\n** end\r\n");
    expect(await c.until("** end\r\n")).toBe('*e CallSuccessful CallId: 1 Protocol: sip Direction: outgoing CallRate: 1920 RemoteURI: "sip:8001@mcu.prov" EncryptionIn: Off EncryptionOut: Off\r\n** end\r\n');

    c.send("xCommand Call Disconnect CallId: 1");
    await c.until("*s Call 1 Status: Disconnecting\r\n** end\r\n");
    expect(await c.until("** end\r\n")).toBe('*e CallDisconnect CallId: 1 CauseValue: 16 CauseString: "" CauseType: LocalDisconnect OrigCallDirection: outgoing RemoteURI: "sip:8001@mcu.prov"\r\n** end\r\n');
    expect(await c.until("** end\r\n")).toBe("*s Call 1 (ghost=True):\r\n** end\r\n");
    await c.until("*r CallDisconnectResult (status=OK):\r\n** end\r\n\r\nOK\r\n");

    c.send("xpreferences outputmode json");
    c.send('xStatus Audio Volume | resultId="rg1"');
    expect(JSON.parse(await c.until("\r\n}\r\n"))).toEqual({ Status: { Audio: { Volume: { Value: "50" } } }, ResultId: "rg1" });
    c.send('xCommand Video Input SetMainVideoSource ConnectorId: 1 SourceId: 1 | resultId="rg2"');
    expect(JSON.parse(await c.until("\r\n}\r\n"))).toEqual({
      CommandResponse: { InputSetMainVideoSourceResult: { status: "Error", Reason: { Value: "Must supply either SourceId or ConnectorId (but not both.)" } } },
      ResultId: "rg2",
    });
    c.send('xCommand Not A Real Command | resultId="rg3"');
    expect(JSON.parse(await c.until("\r\n}\r\n"))).toMatchObject({ CommandResponse: { Result: { status: "Error", Reason: { Value: "Unknown command" } }, XPath: { Value: "/Not/A/Real/Command" } } });
    c.send("Not a real command");
    await c.until("Command not recognized.\r\n");
  });

  it("a wrong password: Login incorrect, and the prompt again after a pause", async () => {
    const clock = fakeClock();
    const s = await sim(clock);
    const c = await connect(s.port!);
    await c.until("login: ");
    c.send("admin");
    await c.until("Password: ");
    c.send("guess");
    await c.until("Login incorrect\r\n");
    expect(s.refusedLogins).toBe(1);
    await clock.tickAsync(300);
    await c.until("login: ");
  });

  it("JSON feedback: only what the session registered, ghosts of removed calls, events; at most maxFeedback expressions", async () => {
    const clock = fakeClock();
    const s = await sim(clock, { maxFeedback: 3 });
    const c = await connect(s.port!);
    await c.until("login: ");
    c.send("admin");
    await c.until("Password: ");
    c.send("s3cret");
    await c.until("OK\r\n");
    c.send("echo off");
    await c.until("OK\r\n");
    c.send("xpreferences outputmode json");
    for (const [i, e] of ["/Status/Audio/Volume", "/Status/Call", "/Event/CallDisconnect"].entries()) {
      c.send(`xFeedback register ${e} | resultId="r${i}"`);
      expect(JSON.parse(await c.until("\r\n}\r\n"))).toEqual({ ResultId: `r${i}` });
    }
    c.send('xFeedback register /Status/Standby | resultId="r9"');
    expect(JSON.parse(await c.until("\r\n}\r\n"))).toMatchObject({ CommandResponse: { FeedbackRegisterResult: { status: "Error" } }, ResultId: "r9" });

    s.control("mute", ["on"]); // not registered: nothing
    s.control("volume", ["70"]);
    expect(JSON.parse(await c.until("\r\n}\r\n"))).toEqual({ Status: { Audio: { Volume: { Value: "70" } } } });
    s.control("incoming", ["9001"]);
    expect(JSON.parse(await c.until("\r\n}\r\n"))).toMatchObject({ Status: { Call: [{ id: "1", Status: { Value: "Ringing" }, Direction: { Value: "Incoming" } }] } });
    s.control("hangup", ["1"]);
    expect(JSON.parse(await c.until("\r\n}\r\n"))).toEqual({ Status: { Call: [{ id: "1", Status: { Value: "Disconnecting" } }] } });
    expect(JSON.parse(await c.until("\r\n}\r\n"))).toMatchObject({ Event: { CallDisconnect: { CallId: { Value: "1" }, CauseType: { Value: "RemoteDisconnect" } } } });
    expect(JSON.parse(await c.until("\r\n}\r\n"))).toEqual({ Status: { Call: [{ id: "1", ghost: "True" }] } });
  });

  it("a full codec turns the next session away; a reboot cuts the session and listens again only once booted", async () => {
    const clock = fakeClock();
    const s = await sim(clock, { maxSessions: 1 });
    const c = await connect(s.port!);
    await c.until("login: ");
    const extra = await connect(s.port!);
    await extra.until("Maximum number of sessions reached\r\n");
    expect(s.link.sessions).toBe(1);

    expect(s.control("reboot", ["1000"])).toBe("rebooting; back in 1000 ms");
    await expect.poll(() => s.link.plugged).toBe(false);
    await expect.poll(() => s.link.sessions).toBe(0);
    await s.replug(); // a replug while it boots changes nothing
    expect(s.link.plugged).toBe(false);
    await expect(connect(s.port!)).rejects.toMatchObject({ code: "ECONNREFUSED" });

    await clock.tickAsync(1000);
    await expect.poll(() => s.link.plugged).toBe(true);
    const again = await connect(s.port!);
    await again.until("login: ");
  });
});
