import { describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { SimulatedMcu, type McuEvent } from "./mcu.js";

function mcu(opts: Partial<ConstructorParameters<typeof SimulatedMcu>[0]> = {}) {
  const clock = fakeClock();
  const m = new SimulatedMcu({ clock, ...opts });
  const events: string[] = [];
  m.on((e: McuEvent) => events.push(e.type === "call" ? `${e.call.id} ${e.call.state}${e.call.endCause ? ` ${e.call.endCause}` : ""}` : `${e.protocol} ${e.registered}`));
  return { clock, m, events };
}

describe("the simulated MCU", () => {
  it("rings, connects and reports media; the far end hangs up by itself after hangupAfterMs", async () => {
    const { clock, m, events } = mcu({ numbers: { "8001": { kind: "answer", ringMs: 500, hangupAfterMs: 2000, name: "District 11" } } });
    const call = m.dial("8001", "sip", 1920);
    expect(call).toMatchObject({ id: 1, state: "ringing", name: "District 11" });
    expect(m.media(1)).toBeUndefined();
    await clock.tickAsync(500);
    expect(m.media(1)!.video.rx).toMatchObject({ lossPct: 0, rateKbps: 1856 });
    await clock.tickAsync(2000);
    expect(events).toEqual(["1 ringing", "1 connected", "1 ended remote hangup"]);
    expect(m.get(1)).toMatchObject({ endReason: "remote", connectedAt: 1_700_000_000_500 });
  });

  it("rejects with its cause, never answers, and refuses everything while unregistered", async () => {
    const { clock, m, events } = mcu({ numbers: { busy: { kind: "reject", cause: "busy" }, void: { kind: "no-answer" } } });
    m.dial("busy", "h323", 768);
    m.dial("void", "sip", 768);
    await clock.tickAsync(60_000);
    expect(events).toEqual(["1 ringing", "2 ringing", "1 ended busy"]);
    expect(m.active().map((c) => c.number)).toEqual(["void"]);
    m.setRegistered("sip", false);
    m.dial("8001", "sip", 768);
    await clock.tickAsync(1);
    expect(events.slice(-2)).toEqual(["sip false", "3 ended not-registered"]);
  });

  it("a loss and jitter storm shows on every connected call, and ends", async () => {
    const { clock, m } = mcu();
    m.dial("8001", "sip", 1024);
    await clock.tickAsync(300);
    m.storm.lossPct = 4;
    m.storm.jitterMs = 60;
    expect(m.media(1)!.audio.tx.lossPct).toBe(4);
    expect(m.media(1)!.audio.tx.jitterMs).toBeGreaterThanOrEqual(62);
    m.storm.lossPct = 0;
    m.storm.jitterMs = 0;
    expect(m.media(1)!.audio.tx.lossPct).toBe(0);
    expect(m.drop(1, "network")).toBe(true);
    expect(m.get(1)).toMatchObject({ state: "ended", endReason: "network" });
  });

  it("an incoming call rings until answered or hung up; close leaves no timer", async () => {
    const { clock, m, events } = mcu();
    m.incoming("9001");
    expect(m.answer(1)).toBe(true);
    expect(m.answer(1)).toBe(false);
    expect(m.hangup(1)).toBe(true);
    m.dial("8001", "sip", 768);
    m.close();
    expect(clock.fake.countTimers()).toBe(0);
    expect(events).toEqual(["1 ringing", "1 connected", "1 ended local hangup", "2 ringing"]);
  });
});
