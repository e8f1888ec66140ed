import { describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { DeviceError } from "../types.js";
import { TtpSession, type TtpOk } from "./session.js";

/** A session whose writes are recorded; the test plays the DSP by feeding text. */
function harness(telnet = false) {
  const clock = fakeClock();
  const written: string[] = [];
  const seen = { pushes: [] as [string, unknown][], banners: 0, ignored: [] as string[], unmatched: [] as string[], garbled: [] as string[], dropped: [] as number[] };
  const session = new TtpSession({
    clock,
    maxLineLength: 256,
    write: async (b) => {
      written.push(b.toString("latin1"));
    },
    handlers: {
      onPush: (t, v) => seen.pushes.push([t, v]),
      onBanner: () => seen.banners++,
      onContact: () => undefined,
      onDropped: (n) => seen.dropped.push(n),
      onGarbled: (l) => seen.garbled.push(l),
      onIgnored: (l) => seen.ignored.push(l),
      onUnmatched: (l) => seen.unmatched.push(l),
    },
  });
  session.telnet = telnet;
  const feed = (text: string) => session.receive(Buffer.from(text, "latin1"));
  return { clock, session, written, seen, feed };
}

const settle = () => new Promise<void>((r) => setImmediate(r));

describe("TtpSession", () => {
  it("a transcript: echoes ignored, pushes interleaved with answers, one command on the wire at a time", async () => {
    const { session, written, seen, feed } = harness();
    const a = session.request("MicLevel subscribe level 1 rg_mics_level 500", { timeoutMs: 1000 });
    const b = session.request("MicMute get mute 1", { timeoutMs: 1000 });
    await settle();
    expect(written).toEqual(["MicLevel subscribe level 1 rg_mics_level 500\n"]); // b waits its turn
    feed('MicLevel subscribe level 1 rg_mics_level 500\r\n! "publishToken":"rg_mics_level" "value":-10.000000\r\n');
    feed('! "publishToken":"other" "value":-3.5\r\n+OK\r\n');
    await expect(a).resolves.toMatchObject({ raw: "+OK" });
    await settle();
    expect(written[1]).toBe("MicMute get mute 1\n");
    feed('MicMute get mute 1\r\n! "publishToken":"rg_mics_level" "value":-9.500000\r\n+OK "value":true\r\n');
    const ok: TtpOk = await b;
    expect(ok.value).toBe(true);
    expect(seen.pushes).toEqual([["rg_mics_level", -10], ["other", -3.5], ["rg_mics_level", -9.5]]);
    expect(seen.ignored).toEqual([]); // the echoes were of the command on the wire
  });

  it("-ERR becomes device_error with the device's text, the command and the tag", async () => {
    const { session, feed } = harness();
    const p = session.request('"Mic Mute" get mute 1', { timeoutMs: 1000 });
    await settle();
    feed('-ERR address not found: {"deviceId":0 "classCode":0 "instanceNum":0}\n');
    const err = (await p.catch((e: unknown) => e)) as DeviceError;
    expect(err).toBeInstanceOf(DeviceError);
    expect(err.code).toBe("device_error");
    expect(err.message).toContain('"Mic Mute"');
    expect(err.details).toEqual({
      code: "address_not_found",
      device: '-ERR address not found: {"deviceId":0 "classCode":0 "instanceNum":0}',
      command: '"Mic Mute" get mute 1',
      tag: "Mic Mute",
    });
    const q = session.request("DEVICE recallPreset 9", { timeoutMs: 1000 });
    await settle();
    feed("-CANNOT_DELIVER\n");
    await expect(q).rejects.toMatchObject({ code: "device_error", details: { code: "cannot_deliver", device: "-CANNOT_DELIVER" } });
  });

  it("times out by its deadline; once the session has echoed, a late answer is not taken for the next command", async () => {
    const { clock, session, feed, seen } = harness();
    const first = session.request("Level1 get level 1", { timeoutMs: 500 });
    await settle();
    feed("Level1 get level 1\n"); // echoed, but the answer is late
    const failed = first.catch((e: unknown) => e);
    await clock.tickAsync(500);
    expect(await failed).toMatchObject({ code: "timeout", details: { stage: "reply" } });
    const second = session.request("Mute1 get mute 1", { timeoutMs: 500 });
    await settle();
    feed('+OK "value":-30.000000\n'); // the late answer to the first command
    feed('Mute1 get mute 1\n+OK "value":false\n');
    await expect(second).resolves.toMatchObject({ value: false });
    expect(seen.unmatched).toEqual(['+OK "value":-30.000000']);
  });

  it("banner, garbled and over-long lines are reported, never answers", async () => {
    const { session, feed, seen } = harness();
    const p = session.request("Level1 get level 1", { timeoutMs: 1000 });
    await settle();
    feed("Welcome to the Tesira Text Protocol Server...\r\n");
    feed('+OK "value":#garbled#\r\n');
    feed(`${"x".repeat(300)}\n`);
    feed('+OK "value":1.5\r\n');
    await expect(p).resolves.toMatchObject({ value: 1.5 });
    expect(seen).toMatchObject({ banners: 1, garbled: ['+OK "value":#garbled#'], dropped: [300] });
  });

  it("telnet on: answers negotiation split across chunks and keeps the text around it", async () => {
    const { session, feed, written, seen } = harness(true);
    feed("\xff");
    feed("\xfd\x18\xff\xfb");
    feed("\x01Welcome to the Tesira Text Protocol Server...\r\n");
    await settle();
    expect(written).toEqual(["\xff\xfc\x18", "\xff\xfe\x01"]);
    expect(seen.banners).toBe(1);
    expect(session.pending).toBe(0);
  });

  it("resetLink fails what is pending with the given error", async () => {
    const { session } = harness();
    const a = session.request("A get x 1", { timeoutMs: 1000 });
    const b = session.request("B get x 1", { timeoutMs: 1000 });
    session.resetLink(new DeviceError("not_connected", "gone"));
    await expect(a).rejects.toMatchObject({ code: "not_connected" });
    await expect(b).rejects.toMatchObject({ code: "not_connected" });
    expect(session.pending).toBe(0);
  });
});
