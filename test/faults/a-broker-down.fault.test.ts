/**
 * Fault a: the link to the centre is down for 10 minutes while the site makes 100 events a minute.
 *
 * Events: the ticker device (ticker-driver.ts) emits tick n = 1..1000, one every 600 ms of the
 * agent's fake clock, so 10 minutes pass in about a second. The agent reaches the broker through
 * the fault proxy, which is cut for the whole outage (the agent's reconnect attempts are refused).
 * Counted: every event id of the boot up to the sentinel (recorder.ts), plus the ticker's own numbers
 * 1..1000, each exactly once and marked historical.
 */
import { afterAll, describe, expect, it } from "vitest";
import { fakeClock } from "../helpers/clock.js";
import { Cleanup, broker, proxyTo, recorder, startAgent, tempDir, untilConnected, untilDisconnected } from "./kit.js";
import { figuresOnFailure, finishScenario } from "./report.js";
import { TICK_EVENT, tickerLoader } from "./ticker-driver.js";

const SITE = "fault-a";
const TICKS = 1000;
const META = { scenario: "a", title: "broker link down 10 min, 100 events/min", file: import.meta.url };
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

describe("fault a: broker link down 10 minutes at 100 events a minute", () => {
  it("delivers all 1000 events after the link is back: none lost, none twice, in order, marked historical", async () => {
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
        broker: { url: proxy.url },
        agent: { pollIntervalMs: 5000 },
        devices: {
          tick: {
            kind: "gpio", protocol: "ticker",
            transport: { type: "udp", host: "127.0.0.1", port: 9 },
            options: { intervalMs: 600, count: TICKS },
          },
        },
      },
      { clock, loadDriver: ticker.loadDriver, stateDir: tempDir(cleanup, "a") },
    );
    await untilConnected(run, 10_000, clock);
    await rec.waitHealth("tick", "ok", 10_000);

    // The link goes down; the agent notices before any tick (its reconnects are refused from now on).
    const mark = run.logs.records.length;
    rec.markCut();
    proxy.cut();
    await untilDisconnected(run, 10_000, mark);
    await clock.tickAsync(10 * 60_000);
    expect(ticker.drivers[0]!.count).toBe(TICKS);
    expect(rec.events.filter((e) => e.type === "driver")).toEqual([]); // nothing leaked through the cut
    expect(proxy.stats().refused).toBeGreaterThan(0); // the agent kept trying

    const back = rec.seen.length;
    // Known without the agent's word: its health event and every tick are events 1..TICKS+1 of boot 1.
    rec.expectThrough(1, ticker.drivers[0]!.count + 1);
    proxy.restore();
    await untilConnected(run, 10_000, clock);
    await rec.waitOnline(10_000, back);
    const sentinel = await rec.sentinel(20_000);

    const ticks = rec.eventsOf(sentinel.boot).filter((e) => e.type === "driver" && e.json.data?.type === TICK_EVENT);
    expect(ticks.map((e) => e.json.data.data.n)).toEqual(Array.from({ length: TICKS }, (_, i) => i + 1));
    expect(ticks.every((e) => e.historical)).toBe(true);
    // 100 a minute on the agent's clock: the last tick is 10 minutes after the first, less one interval.
    expect(ticks.at(-1)!.json.ts - ticks[0]!.json.ts).toBe((TICKS - 1) * 600);
    // Live traffic after the replay is not historical.
    expect(sentinel.historical).toBe(false);

    const { analysis } = await finishScenario({
      ...META,
      recorder: rec, brokerUrl: b.url, currentHealth: (d) => run.agent.health(d)?.status, wantHealth: { tick: "ok" },
    });
    expect(analysis.expected).toBeGreaterThanOrEqual(TICKS + 2); // ticks + health ok + the sentinel's audit
  }, 45_000);
});
