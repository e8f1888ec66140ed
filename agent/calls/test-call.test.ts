/**
 * The test call against what real codecs may do that the stand-in does not: show the number as a
 * URI, answer the dial before their state says connected, refuse the hang-up. Pure: the codec is a
 * script of states and answers, on a fake clock.
 */
import { describe, expect, it } from "vitest";
import { siteConfigSchema } from "../../config/site.js";
import { DeviceError } from "../../drivers/types.js";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { TestCalls } from "./test-call.js";

const config = siteConfigSchema.parse({
  site: "s1",
  broker: { url: "mqtt://127.0.0.1:1883" },
  rooms: { hall: { profile: {} } },
  devices: {
    c1: { kind: "codec", protocol: "poly", room: "hall", transport: { type: "tcp", host: "127.0.0.1", port: 24 }, calls: { testCall: { number: "9999", holdSec: 2 } } },
  },
});

const stats = { lossPct: 0.2, jitterMs: 6, rateKbps: 64 };
const call = (state: string, quality = true) => ({
  id: "5", direction: "outgoing", remote: "sip:9999@mcu.province.gov", state, protocol: "sip", rateKbps: 1920, since: 0,
  ...(quality ? { quality: { audio: { rx: stats, tx: stats }, video: { rx: stats, tx: stats }, at: 0 } } : {}),
});

function codec(opts: { hangup?: DeviceError } = {}) {
  const clock = fakeClock();
  let state: Record<string, unknown> = { calls: [] };
  const ran: string[] = [];
  const tests = new TestCalls({
    config, clock, logger: memoryLogger(),
    read: async () => state,
    stateOf: () => state,
    run: async (_d, action, args) => {
      ran.push(`${action} ${JSON.stringify(args)}`);
      if (action === "call.dial") state = { calls: [call("connecting", false)] }; // answered before its state says so
      if (action === "call.hangup" && opts.hangup) throw opts.hangup;
      return {};
    },
  });
  const push = (s: Record<string, unknown>) => {
    state = s;
    tests.onState("c1", s);
  };
  return { clock, tests, ran, push };
}

describe("the test call on a real codec's quirks", () => {
  it("finds its call shown as a URI, waits for the connected state, judges the readings, and hangs up that call", async () => {
    const c = codec();
    const item = c.tests.evaluate("hall", c.clock.now() + 20_000);
    await c.clock.tickAsync(0);
    expect(c.tests.isTestCall("c1", { id: "5", remote: "sip:9999@mcu.province.gov" })).toBe(true);
    c.push({ calls: [call("connected")] });
    await c.clock.tickAsync(2000);
    const [result] = await item;
    expect(result).toMatchObject({ key: "c1.test-call", result: "pass", message: "connected in 0 s, held 2 s: worst loss 0.2 %, jitter 6 ms" });
    expect(c.ran).toEqual(['call.dial {"number":"9999","protocol":"auto"}', 'call.hangup {"callId":"5"}']);
  });

  it("a hang-up the codec refuses fails the item: the room is left in a call", async () => {
    const c = codec({ hangup: new DeviceError("timeout", "no answer within 2500 ms") });
    const item = c.tests.evaluate("hall", c.clock.now() + 20_000);
    await c.clock.tickAsync(0);
    c.push({ calls: [call("connected")] });
    await c.clock.tickAsync(2000);
    const [result] = await item;
    expect(result).toMatchObject({
      result: "fail", code: "hangup_failed",
      message: "connected in 0 s, held 2 s: worst loss 0.2 %, jitter 6 ms; then the hang-up failed: no answer within 2500 ms",
      fix: "hang the call up at the codec (call.hangup), then check its link",
    });
  });
});
