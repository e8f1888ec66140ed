/**
 * A codec in the technician's readiness check (issue 21, point 5), over MQTT as `roomgate check`
 * runs it: the codec's items (registered, awake, mic) with the reason and the fix, `--fix` repairing
 * what the prepare scene can, and the optional test call to the MCU's test service: it passes, fails
 * with a code for each way a call goes wrong, is skipped on a codec already in a call, and is hung
 * up afterwards whatever happened. A stand-in codec over the simulated MCU, the real agent on a fake
 * clock, a real broker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningBroker } from "../broker/server.js";
import type { NumberBehaviour } from "../simulators/codec-mcu/mcu.js";
import { broker, Cleanup } from "./faults/kit.js";
import { codecSite, stateWhere, type CodecSite } from "./helpers/codec-site.js";

const cleanup = new Cleanup();
let b: RunningBroker;
beforeAll(async () => {
  b = await broker(cleanup);
});
afterAll(() => cleanup.run());

const TEST = "9999@mcu.province.gov";
const ITEM = "codec.codec-1.test-call";

/** Room hall expects codec-1 registered, awake and unmuted; its prepare scene wakes and unmutes it. */
function room(options: Record<string, unknown> = {}, testCall: Record<string, unknown> | null = { number: TEST, connectSec: 10, holdSec: 5 }) {
  return {
    rooms: {
      hall: {
        profile: { devices: { "codec-1": { registered: true, awake: true, mic: "unmuted" } } },
        scenes: {
          prepare: {
            steps: [
              { device: "codec-1", action: "standby.set", args: { on: false } },
              { device: "codec-1", action: "mic.mute", args: { on: false } },
            ],
          },
        },
      },
    },
    devices: {
      "codec-1": {
        kind: "codec", protocol: "standin-codec", room: "hall", transport: { type: "udp", host: "127.0.0.1", port: 9 }, options,
        ...(testCall ? { calls: { testCall } } : {}),
      },
    },
  };
}

/**
 * `readiness.run` over MQTT: once the agent says the check started, `tickMs` pass on its clock (the
 * test call's ringing and hold); the report's items by id.
 */
async function check(s: CodecSite, args: Record<string, unknown> = {}, tickMs = 12_000): Promise<Record<string, any>> {
  const mark = s.ops.seen.length;
  const id = await s.send(undefined, "readiness.run", args);
  await s.ops.waitFor((m) => m.topic === `${s.T}/event` && m.json.type === "readiness.started", 10_000, "readiness.started", mark);
  await s.clock.tickAsync(tickMs);
  const res = await s.answer(id);
  expect(res.status).toBe("ok");
  return Object.fromEntries(res.data.checks.map((i: any) => [i.id, i]));
}

const said = (i: any): string => `${i.result}${i.code ? ` ${i.code}` : ""}${i.message ? `: ${i.message}` : ""}`;

describe("codec readiness items", () => {
  it("fail asleep and muted with the action that fixes each; --fix's prepare scene repairs them; a lost registration fails in the device's words", async () => {
    const s = await codecSite(cleanup, b.url, room({ standby: true, muted: true }, null));
    let items = await check(s, {}, 100);
    expect(Object.keys(items)).toEqual(["codec-1.answers", "codec-1.registered", "codec-1.awake", "codec-1.mic"]);
    expect(said(items["codec-1.registered"])).toBe("pass");
    expect(items["codec-1.awake"]).toMatchObject({ result: "fail", code: "standby", message: "expected awake, got in standby", fix: "wake the codec: standby.set {on: false} (roomgate check --fix runs the prepare scene)" });
    expect(items["codec-1.mic"]).toMatchObject({ result: "fail", code: "muted", message: "expected unmuted, got muted", fix: "mic.mute {on: false} (roomgate check --fix runs the prepare scene)" });

    items = await check(s, { fix: true }, 100);
    expect(["codec-1.registered", "codec-1.awake", "codec-1.mic"].map((k) => said(items[k]))).toEqual(["pass", "pass", "pass"]);
    expect(s.log).toEqual(["codec-1 standby.set false", "codec-1 mic.mute false"]);

    s.codec().mcu.setRegistered("sip", false);
    items = await check(s, {}, 100);
    expect(items["codec-1.registered"]).toMatchObject({
      result: "fail", code: "not_registered", message: "expected registered, got not registered: sip: failed (Failed: 408 Request Timeout)",
    });
  });
});

describe("the test call", () => {
  it("dials the MCU's test service, holds the call under the thresholds, hangs it up, and passes", async () => {
    const s = await codecSite(cleanup, b.url, room());
    const items = await check(s);
    expect(items[ITEM]).toMatchObject({
      result: "pass",
      name: `codec-1: test call to ${TEST} connects within 10 s and holds 5 s under 1 % loss and 30 ms jitter`,
      message: "connected in 0.3 s, held 5 s: worst loss 0 %, jitter 4 ms",
    });
    expect(s.log).toEqual([`codec-1 call.dial ${TEST}`, "codec-1 call.hangup 1"]);
    expect(s.codec().activeCalls).toEqual([]);
  });

  it("fails with a code for each way the call goes wrong, and always hangs up; the test call raises no call alarm", async () => {
    const s = await codecSite(cleanup, b.url, room());
    const mcu = s.codec().mcu;
    const cases: [string, () => void, Record<string, unknown>, string | RegExp][] = [
      ["call_rejected", () => mcu.setNumber(TEST, { kind: "reject", cause: "busy" }), {}, `fail call_rejected: ${TEST}: ${TEST} refused the call: busy`],
      ["no_answer", () => mcu.setNumber(TEST, { kind: "no-answer" }), {}, `fail no_answer: ${TEST} did not answer within 10 s (the call was ringing)`],
      ["call_dropped", () => mcu.setNumber(TEST, { kind: "answer", ringMs: 300, hangupAfterMs: 2000 } satisfies NumberBehaviour), {}, "fail call_dropped: the call ended after 2 s of the hold: remote (remote hangup)"],
      ["poor_quality", () => {
        mcu.setNumber(TEST, { kind: "answer", ringMs: 300 });
        mcu.storm.lossPct = 3;
      }, {}, /^fail poor_quality: audio\.rx: loss 3 % \(limit 1 %\), jitter 3 ms \(limit 30 ms\), 0\.\d s into the hold$/], // at the first reading
      ["timeout", () => {
        mcu.storm.lossPct = 0;
      }, { deadlineMs: 5000 }, "fail timeout: the check's deadline came 1.7 s into the 5 s hold"],
    ];
    const mark = s.ops.seen.length;
    for (const [code, setUp, args, expected] of cases) {
      setUp();
      const from = s.log.length;
      const items = await check(s, args);
      if (typeof expected === "string") expect(said(items[ITEM]), code).toBe(expected);
      else expect(said(items[ITEM]), code).toMatch(expected);
      expect(items[ITEM].fix, code).toBeTruthy();
      // Hung up whatever happened: the codec's last action was the hang-up, and no call is left.
      expect(s.log.slice(from).at(-1), code).toMatch(/^codec-1 call\.hangup /);
      expect(s.codec().activeCalls, code).toEqual([]);
    }
    await s.sentinel();
    expect(s.ops.seen.slice(mark).filter((m) => m.topic.includes("/alarm/") || m.json?.type === "call.dropped")).toEqual([]);
  });

  it("is not made while the codec is in a call (skipped with the reason), and the call is left alone", async () => {
    const s = await codecSite(cleanup, b.url, room());
    const mark = s.ops.seen.length;
    const dial = await s.send("codec-1", "call.dial", { number: "8001" });
    await stateWhere(s, "codec-1", (st) => st.calls.length > 0, "the call ringing", mark);
    await s.clock.tickAsync(500);
    expect((await s.answer(dial)).status).toBe("ok");
    const items = await check(s, {}, 100);
    expect(items[ITEM]).toMatchObject({
      result: "skip", code: "in_call", message: "not made: codec-1 is in a call (call 1 with 8001, connected); a test call would interrupt it",
    });
    expect(s.log).toEqual(["codec-1 call.dial 8001"]);
    expect(s.codec().activeCalls.map((c) => c.state)).toEqual(["connected"]);
  });

  it("is hung up when the agent stops in the middle of it", async () => {
    const s = await codecSite(cleanup, b.url, room());
    const mark = s.ops.seen.length;
    await s.send(undefined, "readiness.run", {});
    await s.ops.waitFor((m) => m.topic === `${s.T}/event` && m.json.type === "readiness.started", 10_000, "readiness.started", mark);
    await s.clock.tickAsync(2000);
    expect(s.codec().activeCalls.map((c) => c.state)).toEqual(["connected"]);
    const stopping = s.agent.stop();
    await s.clock.tickAsync(5000);
    await stopping;
    expect(s.log).toEqual([`codec-1 call.dial ${TEST}`, "codec-1 call.hangup 1"]);
    expect(s.codec().activeCalls).toEqual([]);
  });
});
