/**
 * The codec module's call alarms as a monitoring script sees them on MQTT (issue 21, point 4): a
 * stand-in codec over the simulated MCU, the real agent on a fake clock, a real broker. An operator
 * dials over MQTT; the far end and the network misbehave through the MCU's fault controls.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningBroker } from "../broker/server.js";
import { decodePayload } from "../agent/topics.js";
import { broker, Cleanup } from "./faults/kit.js";
import { codecSite, stateWhere, type CodecSite } from "./helpers/codec-site.js";

const cleanup = new Cleanup();
let b: RunningBroker;
beforeAll(async () => {
  b = await broker(cleanup);
});
afterAll(() => cleanup.run());

/** An operator dials `number` over MQTT: once the codec shows the call, 500 ms of the agent's clock pass. The answer. */
async function dialAnswer(s: CodecSite, number: string): Promise<any> {
  const mark = s.ops.seen.length;
  const id = await s.send("codec-1", "call.dial", { number });
  await stateWhere(s, "codec-1", (st) => st.calls.some((c: any) => c.remote === number), `${number} ringing`, mark);
  await s.clock.tickAsync(500);
  return s.answer(id);
}

/** Dials `number`, which answers after 300 ms; the call as the codec's state shows it. */
async function dial(s: CodecSite, number: string): Promise<{ id: string; since: number }> {
  const mark = s.ops.seen.length;
  expect(await dialAnswer(s, number)).toMatchObject({ status: "ok" });
  const state = await stateWhere(s, "codec-1", (st) => st.calls.some((c: any) => c.remote === number && c.state === "connected"), `${number} connected`, mark);
  return state.json.state.calls.find((c: any) => c.remote === number);
}

const QUALITY = "codec-1-call-quality";
const DROPPED = "codec-1-call-dropped";

describe("call quality", () => {
  it("a loss storm that lasts the window raises codec-1-call-quality naming the call, the medium and the figures; its end clears it after the window", async () => {
    const s = await codecSite(cleanup, b.url, { devices: { "codec-1": { kind: "codec", protocol: "standin-codec", room: "hall", transport: { type: "udp", host: "127.0.0.1", port: 9 }, options: { numbers: { "8001@mcu.province.gov": { kind: "answer", ringMs: 300, name: "Province MCU" } } } } } });
    const { id: call } = await dial(s, "8001@mcu.province.gov");
    const mark = s.ops.seen.length;
    s.codec().mcu.storm.lossPct = 4.5;
    await s.clock.tickAsync(9_000); // readings over 1 % for 9 s: not yet
    await s.sentinel();
    expect(s.ops.seen.slice(mark).filter((m) => m.topic === `${s.T}/alarm/${QUALITY}`)).toEqual([]);
    await s.clock.tickAsync(2_000);
    const alarm = await s.alarm(QUALITY, (m) => m.raw !== "", "call-quality raised", mark);
    expect(alarm.json).toMatchObject({ severity: "major", code: "call_quality", device: "codec-1" });
    expect(alarm.json.message).toBe(
      `codec-1: poor call quality for 10 s or more: call ${call} with 8001@mcu.province.gov (Province MCU): audio.rx: loss 4.5 % (limit 1 %), jitter 3 ms (limit 30 ms)`,
    );

    const calm = s.ops.seen.length;
    s.codec().mcu.storm.lossPct = 0;
    await s.clock.tickAsync(9_000); // under the thresholds, but not yet for the window
    await s.sentinel();
    expect(s.ops.seen.slice(calm).filter((m) => m.topic === `${s.T}/alarm/${QUALITY}`)).toEqual([]);
    await s.clock.tickAsync(2_000);
    await s.alarm(QUALITY, (m) => m.raw === "", "call-quality cleared", calm);
    const cleared = await s.ops.waitFor((m) => m.topic === `${s.T}/event` && m.json.type === "alarm.cleared" && m.json.data.alarm === QUALITY, 5000, "alarm.cleared", calm);
    expect(cleared.json.device).toBe("codec-1");
  });

  it("a spike shorter than the window raises nothing; a storm that outlasts the call ends with the call", async () => {
    const s = await codecSite(cleanup, b.url);
    await dial(s, "8002");
    const mark = s.ops.seen.length;
    s.codec().mcu.storm.jitterMs = 80;
    await s.clock.tickAsync(4_000);
    s.codec().mcu.storm.jitterMs = 0;
    await s.clock.tickAsync(30_000);
    await s.sentinel();
    expect(s.ops.seen.slice(mark).filter((m) => m.topic.includes("/alarm/"))).toEqual([]);

    s.codec().mcu.storm.jitterMs = 80;
    await s.clock.tickAsync(12_000);
    await s.alarm(QUALITY, (m) => m.raw !== "", "call-quality raised", mark);
    const end = s.ops.seen.length;
    expect((await s.command("codec-1", "call.hangup", {})).status).toBe("ok");
    await s.alarm(QUALITY, (m) => m.raw === "", "call-quality cleared by the call's end", end);
  });
});

describe("dropped calls", () => {
  it("a far-end hang-up raises codec-1-call-dropped and publishes call.dropped with the cause, the far end and how long it lasted; the next call clears it", async () => {
    const s = await codecSite(cleanup, b.url);
    const { id: call, since } = await dial(s, "8001");
    await s.clock.tickAsync(125_000 - (s.clock.now() - since));
    const mark = s.ops.seen.length;
    s.codec().mcu.drop(Number(call), "remote");
    const event = await s.ops.waitFor((m) => m.topic === `${s.T}/event` && m.json.type === "call.dropped", 5000, "call.dropped", mark);
    expect(event.json.device).toBe("codec-1");
    expect(decodePayload("event", event.raw)).toMatchObject({ ok: true }); // its data passes event-call-dropped.schema.json
    expect(event.json.data).toEqual({
      callId: call, remote: "8001", direction: "outgoing", local: false, cause: "remote hangup", reason: "remote", connectedMs: 125_000,
    });
    const alarm = await s.alarm(DROPPED, (m) => m.raw !== "", "call-dropped raised", mark);
    expect(alarm.json).toMatchObject({ severity: "major", code: "call_dropped", device: "codec-1" });
    expect(alarm.json.message).toBe(`codec-1: call ${call} with 8001 ended by the far end after 2 min 5 s (remote hangup)`);
    // The driver's own event came first, then the module's.
    const driverEvent = s.ops.seen.findIndex((m, i) => i >= mark && m.topic === `${s.T}/event` && m.json.type === "driver" && m.json.data.type === "call.ended");
    expect(driverEvent).toBeGreaterThanOrEqual(mark);
    expect(driverEvent).toBeLessThan(s.ops.seen.indexOf(event));

    // Acknowledging records who saw it; the alarm stays until the room is in a call again.
    expect((await s.command(undefined, "alarm.ack", { alarm: DROPPED })).data.ack.user).toBe("op-anna");
    const back = s.ops.seen.length;
    await dial(s, "8001");
    await s.alarm(DROPPED, (m) => m.raw === "", "call-dropped cleared by the next call", back);
  });

  it("a network loss is a drop too; a local hang-up and a refused dial raise nothing", async () => {
    const s = await codecSite(cleanup, b.url, { devices: { "codec-1": { kind: "codec", protocol: "standin-codec", room: "hall", transport: { type: "udp", host: "127.0.0.1", port: 9 }, options: { numbers: { busy: { kind: "reject", cause: "busy" } } } } } });
    const { id: call } = await dial(s, "8001");
    const mark = s.ops.seen.length;
    expect((await s.command("codec-1", "call.hangup", { callId: call })).status).toBe("ok");
    await s.ops.waitFor((m) => m.topic === `${s.T}/event` && m.json.data?.type === "call.ended", 5000, "the local call.ended", mark);
    expect(await dialAnswer(s, "busy")).toMatchObject({ status: "error", error: { code: "call_rejected" } });
    await s.sentinel();
    expect(s.ops.seen.slice(mark).filter((m) => m.topic.includes("/alarm/") || m.json?.type === "call.dropped")).toEqual([]);

    const second = await dial(s, "8001");
    const lost = s.ops.seen.length;
    s.codec().mcu.drop(Number(second.id), "network");
    const alarm = await s.alarm(DROPPED, (m) => m.raw !== "", "call-dropped raised", lost);
    expect(alarm.json.message).toContain("lost on the network");
  });
});

describe("the secure-session interlock", () => {
  it("a BYPASS of the encryptor during a classified session hangs the call up first, in the same turn as the status, then runs the other steps; a local hang-up, so no drop", async () => {
    const udp = (port: number) => ({ type: "udp", host: "127.0.0.1", port });
    const s = await codecSite(cleanup, b.url, {
      rooms: {
        hall: {
          secure: {
            encryptor: "enc",
            failsafe: [
              { device: "codec-1", action: "call.hangup" },
              { device: "lamp", action: "lamp.set", args: { on: false } },
            ],
          },
        },
      },
      devices: {
        enc: { kind: "crypto", protocol: "standin-enc", room: "hall", transport: udp(10) },
        lamp: { kind: "gpio", protocol: "standin-lamp", room: "hall", transport: udp(11) },
      },
    });
    s.encryptor().set("SECURE");
    await stateWhere(s, "enc", (st) => st.secure === true, "encryptor SECURE", 0);
    expect(await s.command(undefined, "session.start", { classified: true })).toMatchObject({ status: "ok", data: { room: "hall" } });
    await dial(s, "8001@mcu.province.gov");
    const mark = s.ops.seen.length;

    s.encryptor().set("BYPASS");
    // Synchronous with the encryptor's status: no media leaves the room after the line that revealed it.
    expect(s.codec().activeCalls).toEqual([]);
    const report = await s.ops.waitFor((m) => m.topic === `${s.T}/event` && m.json.type === "session.failsafe", 5000, "session.failsafe", mark);
    expect(report.json.data.steps.map((x: any) => `${x.device} ${x.action} ${x.status}`)).toEqual(["codec-1 call.hangup ok", "lamp lamp.set ok"]);
    expect(s.log).toEqual(["codec-1 call.dial 8001@mcu.province.gov", "codec-1 call.hangup *", "lamp lamp.set false (calls up: 0)"]);
    await s.alarm("hall-not-secure", (m) => m.raw !== "", "not_secure", mark);
    const ended = await s.ops.waitFor((m) => m.topic === `${s.T}/event` && m.json.data?.type === "call.ended", 5000, "call.ended", mark);
    expect(ended.json.data.data).toMatchObject({ local: true, reason: "local" });
    await s.sentinel();
    expect(s.ops.seen.slice(mark).filter((m) => m.topic.endsWith(`/alarm/${DROPPED}`) || m.json?.type === "call.dropped")).toEqual([]);
  });
});
