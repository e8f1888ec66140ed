/**
 * The Poly driver against the Poly simulator and its MCU, on real links: what an operator sees of
 * calls. A dial connects and the state shows the call and its quality; refused, unanswered and
 * dropped dials end coded, never hang; a far end that hangs up is a `call.ended` that was not ours;
 * the room's controls round-trip. Every wait is on an event and bounded.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { CallEnded, CodecCall, CodecState } from "../codec/vocabulary.js";
import { DeviceError, type DriverEvent } from "../types.js";
import { eventually, fakeRig, next, rig } from "./test-harness.js";

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const numbers = {
  "8002": { kind: "reject" as const, cause: "busy" as const, name: "District 12" },
  "8003": { kind: "no-answer" as const },
  "8004": { kind: "answer" as const, ringMs: 60_000 },
};

const ended = (e: DriverEvent) => e.type === "call.ended";
const failure = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as DeviceError);

describe("Poly driver: calls", () => {
  it("a dial connects; the state shows the call, and its quality from the counters between polls", async () => {
    const { sim, driver, clock, run } = await fakeRig(cleanups);
    const dialled = run("call.dial", { number: "8001@mcu.province.gov", protocol: "sip", rateKbps: 1920 }) as Promise<CodecCall>;
    await next<CodecState>(driver, "state", (s) => s.calls[0]?.state === "ringing");
    await clock.tickAsync(300); // the far end answers after 300 ms
    const call = await dialled;
    expect(call).toMatchObject({ direction: "outgoing", remote: "8001@mcu.province.gov", state: "connected", rateKbps: 1920 });

    sim.control("storm", ["5", "50"]);
    await clock.tickAsync(10_000);
    const stormy = (await driver.poll()).calls[0]!;
    expect(stormy).toMatchObject({ id: call.id, state: "connected", protocol: "sip" });
    const q = stormy.quality!;
    // 10 s at 5 %: the lost-packet counters rose by 25 (audio) and 96 (video) in that time.
    expect(q.audio.rx.lossPct).toBeCloseTo(5, 0);
    expect(q.video.rx.lossPct).toBeCloseTo(5, 0);
    expect(q.video.tx.jitterMs).toBeGreaterThanOrEqual(52);
    expect(q.video.rx.rateKbps).toBe(1856);
    expect(q.audio.tx.rateKbps).toBe(64);

    sim.control("storm", ["off"]);
    await clock.tickAsync(10_000);
    const calm = (await driver.poll()).calls[0]!.quality!;
    expect(calm.video.rx.lossPct).toBe(0); // only what was lost since the last poll counts
    expect(calm.video.rx.jitterMs).toBeLessThanOrEqual(4);
    expect(driver.health.status).toBe("ok");
  });

  it("a refused dial ends call_rejected with the cause; a dial nobody answers is hung up and ends no_answer", async () => {
    const { sim, driver, events, run } = await rig(cleanups, "tcp", { numbers });
    const busy = await failure(run("call.dial", { number: "8002" }));
    expect(busy).toMatchObject({ code: "call_rejected", details: { call: { cause: "17", reason: "rejected", local: false } } });

    const t0 = Date.now();
    const silent = await failure(run("call.dial", { number: "8003" }));
    expect(silent).toMatchObject({ code: "no_answer" });
    expect(Date.now() - t0).toBeLessThan(4000); // dialTimeoutMs 1500, never a hang
    await eventually(() => sim.mcu.active().length === 0, "the attempt hung up at the MCU");
    expect(sim.codec.received.map((r) => r.text)).toContain(`hangup video ${(silent as DeviceError).details!["callId"]}`);
    await eventually(() => events.filter(ended).length === 2, "two call.ended events");
    expect(events.filter(ended).map((e) => e.data as unknown as CallEnded)).toMatchObject([
      { remote: "8002", local: false, reason: "rejected", connectedMs: 0 },
      { remote: "8003", local: true, reason: "no_answer", connectedMs: 0 },
    ]);
    expect(driver.health.status).toBe("ok");
  });

  it("a call dropped while ringing ends call_dropped; unregistered, a dial ends not_registered", async () => {
    const { sim, driver, run } = await rig(cleanups, "tcp", { numbers }, { dialTimeoutMs: 30_000 });
    const dialled = failure(run("call.dial", { number: "8004" }));
    const ringing = await next<CodecState>(driver, "state", (s) => s.calls[0]?.state === "ringing");
    sim.control("drop", [ringing.calls[0]!.id]); // the network drops it before anyone answers
    expect(await dialled).toMatchObject({ code: "call_dropped", details: { call: { cause: "38", reason: "network" } } });

    sim.control("registration", ["sip", "off"]);
    const refused = await failure(run("call.dial", { number: "8001", protocol: "sip" }));
    expect(refused).toMatchObject({ code: "not_registered" });
    expect((refused as DeviceError).message).toContain("sipserver offline");
  });

  it("a far end that hangs up: call.ended local:false; our own hang-up: local:true", async () => {
    const { sim, driver, events, run } = await rig(cleanups, "tcp");
    const first = (await run("call.dial", { number: "8001" })) as CodecCall;
    const gone = next<DriverEvent>(driver, "event", ended);
    sim.control("hangup", []);
    expect((await gone).data).toMatchObject({ callId: first.id, remote: "8001", direction: "outgoing", local: false, reason: "remote", cause: "16" });
    expect(((await gone).data as unknown as CallEnded).connectedMs).toBeGreaterThanOrEqual(0);

    const second = (await run("call.dial", { number: "8005", protocol: "h323", rateKbps: 768 })) as CodecCall;
    const mine = next<DriverEvent>(driver, "event", ended);
    expect(await run("call.hangup", { callId: second.id })).toEqual({ hungUp: [second.id] });
    expect((await mine).data).toMatchObject({ callId: second.id, local: true, reason: "local" });
    expect((await driver.poll()).calls).toEqual([]);
    expect(events.filter(ended)).toHaveLength(2);
  });

  it("an incoming call rings in the state and is answered", async () => {
    const { sim, driver, run } = await rig(cleanups, "tcp");
    sim.control("incoming", ["9001"]);
    const ringing = await next<CodecState>(driver, "state", (s) => s.calls.some((c) => c.direction === "incoming" && c.state === "ringing"));
    const id = ringing.calls[0]!.id;
    const connected = next<CodecState>(driver, "state", (s) => s.calls[0]?.state === "connected");
    expect(await run("call.answer", {})).toEqual({ callId: id });
    await connected;
    await expect(run("call.answer", { callId: "77" })).rejects.toMatchObject({ code: "invalid_args" });
  });

  it("mic, volume, camera, content and standby round-trip; a change made at the codec is pushed", async () => {
    const { sim, driver, run } = await rig(cleanups, "tcp");
    expect(await run("mic.mute", { on: true })).toEqual({ muted: true });
    expect(await run("volume.set", { percent: 50 })).toEqual({ percent: 50 });
    expect(await run("camera.select", { source: 3 })).toEqual({ source: 3 });
    expect(await run("camera.preset", { preset: 7 })).toEqual({ preset: 7 });
    expect(await run("content.start", { source: 2 })).toEqual({ active: true, direction: "sending", source: 2 });
    expect(await run("standby.set", { on: true })).toEqual({ standby: true });
    expect([sim.codec.mic, sim.codec.volume, sim.codec.camera, sim.codec.content, sim.codec.asleep]).toEqual([true, 25, 3, { active: true, source: 2 }, true]);
    expect(await driver.poll()).toMatchObject({ mic: { muted: true }, volume: 50, camera: { source: 3 }, content: { active: true, direction: "sending", source: 2 }, standby: true, model: "Group 500", software: "6.2.2" });
    await expect(run("camera.select", { source: 5 })).rejects.toMatchObject({ code: "invalid_args" });

    const pushed = next<CodecState>(driver, "state", (s) => !s.mic.muted && s.volume === 24 && !s.standby);
    sim.control("mute", ["off"]); // someone at the codec, with its remote control
    sim.control("volume", ["12"]);
    expect(await run("standby.set", { on: false })).toEqual({ standby: false });
    await pushed;
    expect(await run("content.stop", {})).toEqual({ active: false });
    expect(sim.codec.content).toEqual({ active: false });
  });
});
