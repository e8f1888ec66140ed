/**
 * Fault h: the link is cut while a QoS 1 message is in flight (sent, not yet acknowledged). This is
 * what an unplugged uplink does to a busy agent, made deterministic: the proxy first swallows the
 * PUBLISH (blackhole), then cuts the connection (a reset, not a keepalive timeout).
 *
 * Events: the ticker device, driven by hand: 5 live, 1 in flight at the cut, 5 after reconnect.
 * Counted: every id up to the sentinel, ticks 1..11 exactly once.
 * A second case: the agent is told to stop at the moment its link dies; stop must still return.
 */
import { afterAll, describe, expect, it } from "vitest";
import { fakeClock } from "../helpers/clock.js";
import { Cleanup, broker, proxyTo, recorder, startAgent, untilConnected, untilDisconnected } from "./kit.js";
import { figuresOnFailure, finishScenario } from "./report.js";
import { TICK_EVENT, tickerLoader } from "./ticker-driver.js";
import { nextEvent, within } from "./wait.js";

const META = { scenario: "h", title: "link reset with a message in flight", file: import.meta.url };
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

function site(name: string, url: string): Record<string, unknown> {
  return {
    site: name,
    region: ["province", name],
    broker: { url },
    agent: { pollIntervalMs: 5000 },
    devices: { tick: { kind: "gpio", protocol: "ticker", transport: { type: "udp", host: "127.0.0.1", port: 9 } } },
  };
}

describe("fault h: link cut with a message in flight", () => {
  it("sends the in-flight message and everything after it once the link is back", async () => {
    const clock = fakeClock();
    const b = await broker(cleanup);
    const proxy = await proxyTo(cleanup, b);
    const rec = await recorder(cleanup, b.url, "fault-h");
    figuresOnFailure({ ...META, recorder: () => rec });
    const ticker = tickerLoader();
    const run = await startAgent(cleanup, site("fault-h", proxy.url), { clock, loadDriver: ticker.loadDriver });
    await untilConnected(run, 10_000, clock);
    await rec.waitOnline(10_000, 0);
    await rec.waitHealth("tick", "ok", 10_000);
    const tick = ticker.drivers[0]!;
    tick.emitTicks(5);
    await rec.waitEvent((e) => e.json.data?.data?.n === 5, 10_000, "tick 5, live");

    // Tick 6 leaves the agent and is swallowed; then the connection is reset under it.
    proxy.blackhole(true);
    const swallowed = nextEvent(proxy, "dropped", 5_000, (_id, dir) => dir === "up");
    tick.emitTicks(1);
    await swallowed;
    const mark = run.logs.records.length;
    proxy.cut();
    await untilDisconnected(run, 10_000, mark);

    const back = rec.seen.length;
    proxy.restore();
    await untilConnected(run, 10_000, clock);
    await rec.waitOnline(10_000, back);
    tick.emitTicks(5);
    // Known without the agent's word: its health event and every tick are events 1..12 of boot 1.
    rec.expectThrough(1, tick.count + 1);
    await rec.sentinel(10_000);

    const ticks = rec.eventsOf(1).filter((e) => e.type === "driver" && e.json.data?.type === TICK_EVENT);
    expect(ticks.map((e) => e.json.data.data.n)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(ticks[5]!.historical).toBe(true); // tick 6 was replayed after the outage

    await finishScenario({
      ...META,
      recorder: rec, brokerUrl: b.url, currentHealth: (d) => run.agent.health(d)?.status, wantHealth: { tick: "ok" },
    });
  }, 40_000);

  it("stops (SIGTERM path) even when the link dies while the final `offline` is in flight", async () => {
    const clock = fakeClock();
    const b = await broker(cleanup);
    const proxy = await proxyTo(cleanup, b);
    const rec = await recorder(cleanup, b.url, "fault-h2");
    const ticker = tickerLoader();
    const run = await startAgent(cleanup, site("fault-h2", proxy.url), { clock, loadDriver: ticker.loadDriver });
    await untilConnected(run, 10_000, clock);
    await rec.waitOnline(10_000, 0);

    proxy.blackhole(true);
    const swallowed = nextEvent(proxy, "dropped", 5_000, (_id, dir) => dir === "up");
    const stopping = run.agent.stop();
    await swallowed; // the `offline` publish went out and will never be acknowledged
    proxy.cut();
    await within(stopping, 5_000, "agent.stop() to return after its link died");
    expect(run.agent.mqttConnected).toBe(false);
  }, 20_000);
});
