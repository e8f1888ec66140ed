/**
 * The WAN link to the MCU as the centre sees it (issue 22): a real broker, the simulated reflector
 * behind a path that turns lossy, and the agent with a `kind: link, protocol: stamp` device. A
 * monitoring script sees the link's health and figures retained, the `{link}-quality` alarm raised
 * (retained) when the path loses packets and cleared when it is clean again, and a readiness check
 * that fails the link's loss item with what to tell the network team.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { Agent } from "../agent/agent.js";
import { siteConfigSchema } from "../config/site.js";
import { startStampSimulator, type StampSimHandle } from "../simulators/stamp/index.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";
import { quickReconnect } from "./helpers/quick-reconnect.js";

const SITE = "district-12";
const T = `roomgate/v1/${SITE}`;
let broker: RunningBroker;
let sim: StampSimHandle;
let agent: Agent;
let ops: Watcher;
let n = 0;

async function command(action: string, args: Record<string, unknown>): Promise<any> {
  return ops.command(T, "tech-lan", { id: `c${++n}`, action, args }, 20_000);
}

beforeAll(async () => {
  broker = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger() });
  sim = await startStampSimulator({ host: "127.0.0.1", port: 0 });
  const site = {
    site: SITE,
    broker: { url: broker.url },
    agent: { pollIntervalMs: 1000 },
    readiness: { deadlineMs: 8000, deviceTimeoutMs: 3000 },
    rooms: { hall: { profile: { devices: { "wan-mcu": { loss: true, jitter: true, rtt: true } } } } },
    devices: {
      "wan-mcu": {
        kind: "link",
        protocol: "stamp",
        room: "hall",
        name: "WAN to the province MCU",
        transport: { type: "udp", host: "127.0.0.1", port: sim.port },
        options: { intervalMs: 20, windowMs: 2000, timeoutMs: 300, minProbes: 20, clearHoldMs: 500, reportMs: 500 },
      },
    },
  };
  ops = await Watcher.connect(broker.url, `${T}/#`);
  agent = new Agent({ config: siteConfigSchema.parse(site), logger: memoryLogger(), version: "0.0.0-test", bootSeq: 1, mqttBackoff: { initialMs: 50, maxMs: 300 }, createTransport: quickReconnect });
  await agent.start();
  await ops.waitFor((m) => m.topic === `${T}/dev/wan-mcu/health` && m.json.status === "ok", 10_000, "link ok");
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  await ops?.close();
  await sim?.close();
  await broker?.close();
});

describe("the WAN link, seen by the centre", () => {
  it("publishes its figures retained: a clean path has no loss and a loopback round trip", async () => {
    await ops.waitFor((x) => x.topic === `${T}/dev/wan-mcu/state` && x.json.state.repliesReceived >= 20, 10_000, "figures");
    // A monitoring script that comes later gets the figures retained.
    const late = await Watcher.connect(broker.url, `${T}/dev/wan-mcu/state`);
    const m = await late.waitFor((x) => x.retain, 5000, "retained state").finally(() => late.close());
    expect(m.json.state).toMatchObject({ lossPct: 0, quality: "ok", alarms: [], reflector: `udp:127.0.0.1:${sim.port}` });
    expect(m.json.state.rttMs.p95).toBeLessThan(50);
    const meta = await ops.waitFor((x) => x.topic === `${T}/agent/meta`, 5000, "meta");
    expect(JSON.stringify(meta.json)).toContain("probe.run");
  });

  it("a lossy path raises {link}-quality (retained, major) and the readiness check fails loss with what to tell the network team", async () => {
    const mark = ops.seen.length;
    sim.faults.lossPct = 10;
    const alarm = await ops.waitFor((m) => m.topic === `${T}/alarm/wan-mcu-quality` && m.raw !== "" && m.json.severity === "major", 8000, "quality alarm", mark);
    expect(alarm.json).toMatchObject({ code: "quality", device: "wan-mcu" });
    await ops.waitFor((m) => m.topic === `${T}/dev/wan-mcu/health` && m.json.status === "degraded" && m.json.code === "link_quality", 8000, "degraded", mark);
    await ops.waitFor((m) => m.topic === `${T}/event` && m.json.type === "driver" && m.json.data?.type === "link.alarm", 5000, "the driver's event", mark);

    const res = await command("readiness.run", {});
    expect(res.status).toBe("ok");
    const items = Object.fromEntries(res.data.checks.map((i: any) => [i.id, i]));
    expect(items["wan-mcu.answers"]).toMatchObject({ result: "pass" });
    expect(items["wan-mcu.loss"]).toMatchObject({ result: "fail", code: "loss_high", fix: expect.stringMatching(/^tell the network team: .* loses [\d.]+ % of STAMP probes/) });
    expect(items["wan-mcu.rtt"]).toMatchObject({ result: "pass" });
  });

  it("clean again, the alarm is cleared (an empty retained payload) and the link is ok", async () => {
    const mark = ops.seen.length;
    sim.clean();
    await ops.waitFor((m) => m.topic === `${T}/alarm/wan-mcu-quality` && m.raw === "", 10_000, "quality alarm cleared", mark);
    await ops.waitFor((m) => m.topic === `${T}/dev/wan-mcu/health` && m.json.status === "ok", 10_000, "ok again", mark);
    const list = await command("alarm.list", {});
    expect(list.data.alarms.map((a: any) => a.id)).not.toContain("wan-mcu-quality");
  });
});
