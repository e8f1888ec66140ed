/**
 * The call alarms across an agent restart (persisted alarms are re-judged on the codec's first state,
 * not raised twice nor left stale), and what the watch ignores: other kinds of device, a test call,
 * a malformed call.ended. Pure: states and events handed in, a fake clock, a real AlarmManager.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AlarmManager } from "../alarms.js";
import { siteConfigSchema } from "../../config/site.js";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { CallWatch, dropAlarmId, qualityAlarmId } from "./watch.js";

const dir = mkdtempSync(path.join(tmpdir(), "roomgate-callwatch-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = siteConfigSchema.parse({
  site: "s1",
  broker: { url: "mqtt://127.0.0.1:1883" },
  devices: {
    c1: { kind: "codec", protocol: "poly", transport: { type: "tcp", host: "127.0.0.1", port: 24 }, calls: { quality: { windowSec: 5 } } },
    cam: { kind: "camera", protocol: "visca", transport: { type: "udp", host: "127.0.0.1", port: 52381 } },
  },
});

const figures = (lossPct: number) => ({ lossPct, jitterMs: 5, rateKbps: 64 });
const call = (id: string, lossPct: number | null, state = "connected") => ({
  id, direction: "outgoing", remote: "8001", state, protocol: "sip", rateKbps: 1920, since: 0,
  ...(lossPct === null ? {} : { quality: { audio: { rx: figures(lossPct), tx: figures(0) }, video: { rx: figures(0), tx: figures(0) }, at: 0 } }),
});

/** An agent's life: alarms persisted in `dir`, so a second boot restores them. */
function boot(testCalls: string[] = []) {
  const clock = fakeClock();
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const logger = memoryLogger();
  const alarms = new AlarmManager({ site: "s1", stateDir: dir, clock, logger, sink: { retained: () => undefined, event: (type, _d, data) => events.push({ type, data }) } });
  const watch = new CallWatch({
    config, clock, logger, alarms,
    event: (type, data) => events.push({ type, data }),
    isTestCall: (_d, c) => testCalls.includes(c.id),
  });
  const raised = () => events.filter((e) => e.type === "alarm.raised").map((e) => e.data.alarm);
  return { clock, alarms, watch, events, raised, logger };
}

describe("call alarms across a restart", () => {
  it("a quality alarm still true on the first state is kept (not raised again); one no longer true is cleared", async () => {
    const a = boot();
    a.watch.onState("c1", { calls: [call("7", 4)] });
    await a.clock.tickAsync(6000);
    expect(a.raised()).toEqual([qualityAlarmId("c1")]);
    a.watch.stop();

    const b = boot();
    expect(b.alarms.get(qualityAlarmId("c1"))).toBeDefined();
    b.watch.onState("c1", { calls: [call("7", 4)] });
    await b.clock.tickAsync(6000);
    expect(b.alarms.get(qualityAlarmId("c1"))?.alarm.raisedAt).toBe(a.alarms.get(qualityAlarmId("c1"))?.alarm.raisedAt);
    expect(b.raised()).toEqual([]);
    b.watch.stop();

    const c = boot();
    c.watch.onState("c1", { calls: [] });
    expect(c.alarms.get(qualityAlarmId("c1"))).toBeUndefined();
  });

  it("a drop alarm restored from disk is cleared by the first connected call", () => {
    const a = boot();
    a.watch.onEvent("c1", { type: "call.ended", data: { callId: "3", remote: "8001", direction: "outgoing", local: false, cause: "RemoteDisconnect", reason: "remote", connectedMs: 9000 } });
    expect(a.raised()).toEqual([dropAlarmId("c1")]);

    const b = boot();
    b.watch.onState("c1", { calls: [call("4", null, "ringing")] });
    expect(b.alarms.get(dropAlarmId("c1"))).toBeDefined();
    b.watch.onState("c1", { calls: [call("4", null)] });
    expect(b.alarms.get(dropAlarmId("c1"))).toBeUndefined();
  });
});

describe("what the call watch leaves alone", () => {
  it("devices of another kind, the readiness test call, a call with no figures, and a malformed call.ended (logged)", async () => {
    const w = boot(["9"]);
    w.watch.onState("cam", { calls: [call("1", 50)] });
    w.watch.onState("c1", { calls: [call("9", 50), call("2", null)] });
    await w.clock.tickAsync(60_000);
    w.watch.onEvent("c1", { type: "call.ended", data: { callId: "9", remote: "8001", direction: "outgoing", local: false, cause: "x", reason: "remote", connectedMs: 100 } });
    w.watch.onEvent("c1", { type: "call.ended", data: { callId: "2" } });
    expect(w.raised()).toEqual([]);
    expect(w.logger.records).toContainEqual(expect.objectContaining({ level: "warn", msg: "call.ended without the vocabulary's fields: ignored" }));
    w.watch.stop();
  });
});
