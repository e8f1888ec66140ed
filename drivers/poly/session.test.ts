/**
 * The Poly requester on a fake clock: one command at a time, paced, each with its deadline; the
 * device's lines offered as they would arrive.
 */
import { describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import * as cmd from "./codec.js";
import { parseLine } from "./lines.js";
import { PolySession } from "./session.js";

function session(gapMs = 200) {
  const clock = fakeClock();
  const written: { at: number; text: string }[] = [];
  const s = new PolySession({ clock, gapMs, lineEnding: "\r", write: async (b) => void written.push({ at: clock.now() - 1_700_000_000_000, text: b.toString("latin1") }) });
  const say = (text: string) => s.offer(parseLine(text), text);
  return { clock, s, written, say };
}

describe("PolySession", () => {
  it("writes one command at a time, each `gapMs` after the previous reply ended", async () => {
    const { clock, s, written, say } = session(200);
    const a = s.request(cmd.muteSet(true), { timeoutMs: 1000 });
    const b = s.request(cmd.volumeGet, { timeoutMs: 1000 });
    await clock.tickAsync(0);
    expect(written).toEqual([{ at: 0, text: "mute near on\r" }]);
    await clock.tickAsync(50);
    expect(say("mute near on")).toBe(true);
    await expect(a).resolves.toEqual([{ kind: "mute", side: "near", on: true }]);
    await clock.tickAsync(199);
    expect(written).toHaveLength(1);
    await clock.tickAsync(1);
    expect(written[1]).toEqual({ at: 250, text: "volume get\r" });
    say("volume 30");
    await expect(b).resolves.toEqual([{ kind: "volume", level: 30 }]);
  });

  it("an echo and a pushed line are not the reply; error: lines are device_error with the device's words", async () => {
    const { clock, s, say } = session(0);
    const p = s.request(cmd.status, { timeoutMs: 1000 });
    await clock.tickAsync(0);
    expect(say("status")).toBe(true); // SSH echo, swallowed
    expect(say("notification:mutestatus:near:0:::muted")).toBe(false);
    say("sipserver online");
    say("status end");
    await expect(p).resolves.toHaveLength(2);
    const q = s.request(cmd.presetGo(3), { timeoutMs: 1000 });
    await clock.tickAsync(0);
    say("error: command not found");
    await expect(q).rejects.toMatchObject({ code: "device_error", details: { device: "error: command not found", command: "preset near go 3" } });
  });

  it("an unanswered command ends `timeout` by its deadline and the next one still goes", async () => {
    const { clock, s, written, say } = session(100);
    const a = s.request(cmd.callinfoAll, { timeoutMs: 500 });
    const b = s.request(cmd.muteGet, { timeoutMs: 500 });
    const failed = expect(a).rejects.toMatchObject({ code: "timeout" });
    await clock.tickAsync(500);
    await failed;
    await clock.tickAsync(100);
    expect(written.map((w) => w.text)).toEqual(["callinfo all\r", "mute near get\r"]);
    say("mute near off");
    await expect(b).resolves.toHaveLength(1);
    expect(clock.fake.countTimers()).toBe(0);
  });

  it("clear fails everything pending and leaves no timer", async () => {
    const { clock, s } = session(200);
    const all = [s.request(cmd.muteGet, { timeoutMs: 500 }), s.request(cmd.volumeGet, { timeoutMs: 500 })];
    await clock.tickAsync(0);
    s.clear(new (await import("../types.js")).DeviceError("not_connected", "the codec is rebooting"));
    for (const p of all) await expect(p).rejects.toMatchObject({ code: "not_connected" });
    expect(clock.fake.countTimers()).toBe(0);
  });
});
