/**
 * Fault g: the agent-broker link goes half-open (the proxy keeps both sockets but forwards nothing,
 * not even a close). Only the MQTT keepalive can tell; with keepaliveSec 1 it must, within seconds.
 *
 * Events: the ticker device emits 20 ticks while the link is good, then 30 into the black hole.
 * Counted: every event id up to the sentinel, and the tick numbers 1..50 exactly once each.
 */
import { afterAll, describe, expect, it } from "vitest";
import { fakeClock } from "../helpers/clock.js";
import { Cleanup, broker, proxyTo, recorder, startAgent, untilConnected, untilDisconnected } from "./kit.js";
import { figuresOnFailure, finishScenario } from "./report.js";
import { TICK_EVENT, tickerLoader } from "./ticker-driver.js";
import { nextEvent } from "./wait.js";

const SITE = "fault-g";
const META = { scenario: "g", title: "half-open link (blackhole), keepalive 1 s", file: import.meta.url };
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

describe("fault g: half-open link to the broker", () => {
  it("detects the dead link by keepalive, reconnects and delivers every event once", async () => {
    const clock = fakeClock();
    const b = await broker(cleanup);
    const proxy = await proxyTo(cleanup, b);
    const rec = await recorder(cleanup, b.url, SITE);
    figuresOnFailure({ ...META, recorder: () => rec });
    const ticker = tickerLoader();
    const run = await startAgent(
      cleanup,
      {
        site: SITE,
        region: ["province", SITE],
        broker: { url: proxy.url, keepaliveSec: 1 },
        agent: { pollIntervalMs: 5000 },
        devices: { tick: { kind: "gpio", protocol: "ticker", transport: { type: "udp", host: "127.0.0.1", port: 9 } } },
      },
      { clock, loadDriver: ticker.loadDriver },
    );
    await untilConnected(run, 10_000, clock);
    await rec.waitOnline(10_000, 0);
    await rec.waitHealth("tick", "ok", 10_000);
    const tick = ticker.drivers[0]!;

    tick.emitTicks(20);
    await rec.waitEvent((e) => e.json.data?.data?.n === 20, 10_000, "tick 20, live");

    const mark = run.logs.records.length;
    const wentDark = rec.seen.length;
    proxy.blackhole(true);
    const swallowed = nextEvent(proxy, "dropped", 5_000, (_id, dir) => dir === "up");
    tick.emitTicks(30);
    await swallowed; // the first of them went into the void
    // mqtt.js's keepalive (real time): a ping without answer ends the connection in a few seconds.
    await untilDisconnected(run, 10_000, mark);
    // The broker gave up on its side too and published the last will.
    await rec.waitFor((m) => m.topic === `${rec.prefix}/agent/state` && m.json?.state === "lost", 10_000, "last will", wentDark);
    expect(rec.events.filter((e) => e.json.data?.data?.n > 20)).toEqual([]);

    // Known without the agent's word: its health event and every tick are events 1..51 of boot 1.
    rec.expectThrough(1, tick.count + 1);
    proxy.blackhole(false);
    const back = rec.seen.length;
    await untilConnected(run, 15_000, clock);
    await rec.waitOnline(10_000, back);
    await rec.sentinel(15_000);

    const ticks = rec.eventsOf(1).filter((e) => e.type === "driver" && e.json.data?.type === TICK_EVENT);
    expect(ticks.map((e) => e.json.data.data.n)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(proxy.stats().connections).toBeGreaterThanOrEqual(2);

    await finishScenario({
      ...META,
      recorder: rec, brokerUrl: b.url, currentHealth: (d) => run.agent.health(d)?.status, wantHealth: { tick: "ok" },
    });
  }, 40_000);
});
