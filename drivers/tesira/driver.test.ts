import { describe, expect, it } from "vitest";
import { fakeClock, type FakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import type { DeviceError, DriverEvent, Health } from "../types.js";
import { TesiraDriver } from "./driver.js";
import { FakeTransport, lineResponder } from "../transport/fake.js";
import type { TesiraState } from "./state.js";

const CHANNELS = {
  mics: { mute: { tag: "MicMute", index: 1 }, level: { tag: "Mic Level", index: 1 } },
  program: { level: { tag: "ProgramLevel", index: 2 } },
};
const NOT_FOUND = '-ERR address not found: {"deviceId":0 "classCode":0 "instanceNum":0}';
const BANNER = "Welcome to the Tesira Text Protocol Server...\r\n";

/** A DSP played line by line from PROTOCOLS.md (hand-written text, not the codec). */
function dsp(t: FakeTransport) {
  const d = { mute: false, mic: -10, prog: -20, silent: false, alreadySubscribed: false, missing: new Set<string>() };
  t.responder = lineResponder((line) => {
    if (d.silent) return;
    const out = (answer: string) => `${line}\r\n${answer}\r\n`; // the session echoes, then answers
    const tag = /^"([^"]+)"|^(\S+)/.exec(line)!;
    if (d.missing.has(tag[1] ?? tag[2]!)) return out(NOT_FOUND);
    const fixed: Record<string, string> = {
      "DEVICE get version": '+OK "value":"4.7.1.23"',
      "MicMute get mute 1": `+OK "value":${d.mute}`,
      '"Mic Level" get level 1': `+OK "value":${d.mic.toFixed(6)}`,
      "ProgramLevel get level 2": `+OK "value":${d.prog.toFixed(6)}`,
      "DEVICE recallPreset 1001": "+OK",
    };
    if (fixed[line]) return out(fixed[line]);
    let m = /^(?:MicMute|"Mic Level"|ProgramLevel) subscribe (mute|level) \d (\S+)/.exec(line);
    if (m) {
      if (d.alreadySubscribed) return out("-ERR ALREADY_SUBSCRIBED");
      const value = m[1] === "mute" ? String(d.mute) : (m[2]!.includes("program") ? d.prog : d.mic).toFixed(6);
      return out(`! "publishToken":"${m[2]}" "value":${value}\r\n+OK`);
    }
    if ((m = /^MicMute set mute 1 (true|false)$/.exec(line))) {
      d.mute = m[1] === "true";
      return out("+OK");
    }
    if (line === "MicMute toggle mute 1") {
      d.mute = !d.mute;
      return out("+OK");
    }
    if ((m = /^"Mic Level" set level 1 (\S+)$/.exec(line))) {
      d.mic = Number(m[1]);
      return out("+OK");
    }
    if ((m = /^"Mic Level" (increment|decrement) level 1 (\S+)$/.exec(line))) {
      d.mic += (m[1] === "increment" ? 1 : -1) * Number(m[2]);
      return out("+OK");
    }
    return out("-ERR Parse error at 0: verb was not one of the commands supported by Services");
  });
  return d;
}

const SYNC = [
  "DEVICE get version",
  "MicMute subscribe mute 1 rg_mics_mute",
  '"Mic Level" subscribe level 1 rg_mics_level 500',
  "ProgramLevel subscribe level 2 rg_program_level 500",
  "MicMute get mute 1",
  '"Mic Level" get level 1',
  "ProgramLevel get level 2",
];

async function flush(rounds = 20) {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

interface Setup {
  clock: FakeClock;
  t: FakeTransport;
  d: ReturnType<typeof dsp>;
  driver: TesiraDriver;
  states: TesiraState[];
  healths: Health[];
  events: DriverEvent[];
  started: Promise<void>;
}

function setup(kind: "tcp" | "serial" = "tcp", options: Record<string, unknown> = {}): Setup {
  const clock = fakeClock();
  const t = new FakeTransport(kind);
  const d = dsp(t);
  const driver = new TesiraDriver();
  const states: TesiraState[] = [];
  const healths: Health[] = [];
  const events: DriverEvent[] = [];
  driver.on("state", (s) => states.push(s));
  driver.on("health", (h) => healths.push(h));
  driver.on("event", (e) => events.push(e));
  const started = driver.start({
    deviceId: "dsp-main",
    transport: t,
    logger: memoryLogger(),
    clock,
    signal: new AbortController().signal,
    options: { channels: CHANNELS, ...options },
  });
  return { clock, t, d, driver, states, healths, events, started };
}

/** Telnet: options refused, banner printed; start resolves after the sync. */
async function ready(s: Setup): Promise<void> {
  s.t.feed("\xff\xfd\x18\xff\xfb\x01");
  await flush();
  s.t.feed(BANNER);
  await s.started;
}

const ctx = (clock: FakeClock) => ({ signal: new AbortController().signal, deadline: clock.now() + 5000 });

describe("TesiraDriver over telnet", () => {
  it("refuses telnet options, waits for the banner, then reads the firmware, subscribes and reads every channel", async () => {
    const s = setup();
    s.t.feed("\xff\xfd\x18\xff\xfb\x01");
    await flush();
    expect(s.t.writtenText()).toEqual(["\xff\xfc\x18\xff\xfe\x01"]); // WONT 24, DONT 1; no command before the banner
    s.t.feed(BANNER);
    await s.started;
    expect(s.t.lines).toEqual(SYNC);
    expect(s.driver.health).toEqual({ status: "ok" });
    const state = await s.driver.poll();
    expect(state).toEqual({
      channels: { mics: { muted: false, levelDb: -10 }, program: { muted: null, levelDb: -20 } },
      firmware: "4.7.1.23",
      subscriptions: 3,
      reboots: 0,
      droppedLines: 0,
      garbledLines: 0,
      ignoredLines: 0,
    });
  });

  it("pushed values update state; at most one state event per pushIntervalMs, the latest value wins", async () => {
    const s = setup();
    await ready(s);
    await s.clock.tickAsync(2000);
    const before = s.states.length;
    for (const v of [-9, -8, -7, -6]) s.t.feed(`! "publishToken":"rg_mics_level" "value":${v}.000000\r\n`);
    s.t.feed('! "publishToken":"rg_mics_mute" "value":true\r\n');
    expect(s.states.length - before).toBe(1); // the first change goes out at once
    expect(s.states.at(-1)!.channels["mics"]).toEqual({ muted: false, levelDb: -9 });
    await s.clock.tickAsync(999);
    expect(s.states.length - before).toBe(1);
    await s.clock.tickAsync(1);
    expect(s.states.length - before).toBe(2);
    expect(s.states.at(-1)!.channels["mics"]).toEqual({ muted: true, levelDb: -6 });
  });

  it("the banner again (DSP reboot): event, counter, and every subscription made again with no operator action", async () => {
    const s = setup();
    await ready(s);
    s.t.written.length = 0;
    s.d.mic = -50; // the design's boot value
    s.t.feed(BANNER);
    await flush();
    expect(s.t.lines).toEqual(SYNC);
    expect(s.events.map((e) => e.type)).toContain("dsp_rebooted");
    s.t.feed('! "publishToken":"rg_mics_level" "value":-48.000000\r\n');
    const state = await s.driver.poll();
    expect(state.reboots).toBe(1);
    expect(state.subscriptions).toBe(3);
    expect(state.channels["mics"]!.levelDb).toBe(-50); // the poll read it back after the push
  });

  it("-ERR ALREADY_SUBSCRIBED counts as subscribed", async () => {
    const s = setup();
    s.d.alreadySubscribed = true;
    await ready(s);
    expect(s.driver.health.status).toBe("ok");
    expect((await s.driver.poll()).subscriptions).toBe(3);
  });

  it("an unknown instance tag: health degraded/address_not_found naming the tag; actions on it fail with device_error", async () => {
    const s = setup();
    s.d.missing.add("ProgramLevel");
    await ready(s);
    expect(s.driver.health).toMatchObject({ status: "degraded", code: "address_not_found" });
    expect(s.driver.health.message).toContain('"ProgramLevel"');
    const err = (await s.driver.actions["level.set"]!.run({ channel: "program", db: -3 }, ctx(s.clock)).catch((e: unknown) => e)) as DeviceError;
    expect(err).toMatchObject({ code: "device_error", details: { code: "address_not_found", tag: "ProgramLevel", device: NOT_FOUND } });
    expect((await s.driver.poll()).channels["program"]).toEqual({ muted: null, levelDb: null });
    s.d.missing.clear();
    await s.driver.poll();
    expect(s.driver.health.status).toBe("ok");
  });
});

describe("TesiraDriver actions", () => {
  it("mute.set, mute.toggle, level.set, level.step and preset.recall write the TTP commands and update state", async () => {
    const s = setup();
    await ready(s);
    s.t.written.length = 0;
    const run = (name: string, args: unknown) => s.driver.actions[name]!.run(args, ctx(s.clock));
    expect(await run("mute.set", { channel: "mics", on: true })).toEqual({ channel: "mics", muted: true });
    expect(await run("mute.toggle", { channel: "mics" })).toEqual({ channel: "mics", muted: false });
    expect(await run("level.set", { channel: "mics", db: -12.5 })).toEqual({ channel: "mics", levelDb: -12.5 });
    expect(await run("level.step", { channel: "mics", db: -3 })).toEqual({ channel: "mics", levelDb: -15.5 });
    expect(await run("level.step", { channel: "mics", db: 1.5 })).toEqual({ channel: "mics", levelDb: -14 });
    expect(await run("preset.recall", { preset: 1001 })).toEqual({ preset: 1001 });
    expect(s.t.lines.slice(0, 10)).toEqual([
      "MicMute set mute 1 true",
      "MicMute toggle mute 1",
      "MicMute get mute 1",
      '"Mic Level" set level 1 -12.5',
      '"Mic Level" decrement level 1 3',
      '"Mic Level" get level 1',
      '"Mic Level" increment level 1 1.5',
      '"Mic Level" get level 1',
      "DEVICE recallPreset 1001",
      "MicMute get mute 1", // the refresh after a recall re-reads every channel
    ]);
  });

  it("rejects out-of-range levels and unknown channels with invalid_args, sending nothing", async () => {
    const s = setup();
    await ready(s);
    s.t.written.length = 0;
    const run = (name: string, args: unknown) => s.driver.actions[name]!.run(args, ctx(s.clock));
    await expect(run("level.set", { channel: "mics", db: 12.01 })).rejects.toMatchObject({ code: "invalid_args" });
    await expect(run("level.set", { channel: "mics", db: -100.5 })).rejects.toMatchObject({ code: "invalid_args" });
    expect(s.driver.actions["level.set"]!.args.safeParse({ channel: "mics", db: 13 }).success).toBe(false);
    // -10 dB + 23 dB would be 13 dB: over the top of the range.
    await expect(run("level.step", { channel: "mics", db: 23 })).rejects.toMatchObject({ code: "invalid_args", details: { levelDb: -10, step: 23 } });
    await expect(run("mute.set", { channel: "stage", on: true })).rejects.toMatchObject({
      code: "invalid_args",
      message: 'unknown channel "stage"; known: mics, program',
    });
    await expect(run("mute.set", { channel: "program", on: true })).rejects.toMatchObject({ code: "invalid_args", message: 'channel "program" has no mute control (see its options)' });
    expect(s.t.written).toEqual([]);
  });
});

describe("TesiraDriver timing and links", () => {
  it("a silent DSP: the command ends with timeout at its deadline and health is unreachable; the next answer makes it ok", async () => {
    const s = setup("tcp", { timeoutMs: 700 });
    await ready(s);
    s.d.silent = true;
    const failed = s.driver.actions["mute.set"]!.run({ channel: "mics", on: true }, ctx(s.clock)).catch((e: unknown) => e);
    await s.clock.tickAsync(699);
    expect(s.driver.health.status).toBe("ok");
    await s.clock.tickAsync(1);
    expect(await failed).toMatchObject({ code: "timeout" });
    expect(s.driver.health).toMatchObject({ status: "unreachable", code: "timeout" });
    s.d.silent = false;
    await s.driver.actions["mute.set"]!.run({ channel: "mics", on: true }, ctx(s.clock));
    expect(s.driver.health.status).toBe("ok");
  });

  it("keepalive: a cheap get after keepaliveMs without traffic; unanswered, the link is reset", async () => {
    const s = setup("tcp", { keepaliveMs: 30_000, timeoutMs: 1000 });
    await ready(s);
    s.t.written.length = 0;
    await s.clock.tickAsync(29_999);
    expect(s.t.lines).toEqual([]);
    await s.clock.tickAsync(1);
    expect(s.t.lines).toEqual(["DEVICE get version"]);
    s.d.silent = true;
    await s.clock.tickAsync(30_000);
    expect(s.t.lines).toEqual(["DEVICE get version", "DEVICE get version"]);
    await s.clock.tickAsync(1000);
    expect(s.t.resets).toEqual(["keepalive unanswered"]);
  });

  it("telnet without a banner: probes after bannerTimeoutMs and is ready on the answer", async () => {
    const s = setup("tcp", { bannerTimeoutMs: 2000 });
    await flush();
    await s.clock.tickAsync(1999);
    expect(s.t.lines).toEqual([]);
    await s.clock.tickAsync(1);
    await s.started;
    expect(s.t.lines).toEqual(["DEVICE get version", ...SYNC]);
    expect(s.driver.health.status).toBe("ok");
  });

  it("serial: no negotiation, a probe at once; a banner later is a reboot", async () => {
    const s = setup("serial");
    await s.started;
    expect(s.t.lines).toEqual(["DEVICE get version", ...SYNC]);
    expect(s.driver.health.status).toBe("ok");
    s.t.feed(BANNER);
    await flush();
    expect((await s.driver.poll()).reboots).toBe(1);
  });

  it("the link drops: pending commands fail not_connected, health unreachable/transport_closed; back up, it syncs again", async () => {
    const s = setup();
    await ready(s);
    s.d.silent = true;
    const pending = s.driver.actions["mute.set"]!.run({ channel: "mics", on: true }, ctx(s.clock)).catch((e: unknown) => e);
    await flush();
    s.t.drop();
    expect(await pending).toMatchObject({ code: "not_connected" });
    expect(s.driver.health).toMatchObject({ status: "unreachable", code: "transport_closed" });
    await expect(s.driver.poll()).rejects.toMatchObject({ code: "not_connected" });
    s.d.silent = false;
    s.t.written.length = 0;
    s.t.goOpen();
    s.t.feed(BANNER);
    await flush();
    expect(s.t.lines).toEqual(SYNC);
    expect(s.driver.health.status).toBe("ok");
  });

  it("bad options: fault/bad_config naming the path", async () => {
    const s = setup("tcp", { channels: { Mics: { mute: { tag: "MicMute" } } } });
    await expect(s.started).rejects.toMatchObject({ code: "invalid_args" });
    expect(s.driver.health).toMatchObject({ status: "fault", code: "bad_config" });
    expect(s.driver.health.message).toContain("options.channels.Mics");
  });

  it("stop is idempotent and leaves no timer behind", async () => {
    const s = setup();
    await ready(s);
    s.t.feed('! "publishToken":"rg_mics_level" "value":-1\r\n! "publishToken":"rg_mics_level" "value":-2\r\n');
    await s.driver.stop();
    await s.driver.stop();
    expect(s.clock.fake.countTimers()).toBe(0);
    expect(s.t.state).toBe("closed");
    expect(s.t.listenerCount("data") + s.t.listenerCount("status")).toBe(0);
  });
});
