/**
 * The WAN link probe against the simulated reflector over real UDP, as the centre would see it: a
 * clean link's figures, the `{link}-quality` alarm raised by loss, jitter and delay storms and cleared
 * (once, with hysteresis) when the link is clean again, a silent reflector going unreachable,
 * strangers and garbage dropped and counted, and the technician's burst.
 *
 * Real sockets and the real clock, with a 2 s window and 50 probes a second so the storms show in
 * seconds; every wait is on a driver event and bounded. Each test has its own reflector and driver,
 * so they run concurrently (vitest's maxConcurrency, 5 at a time): the file takes about as long as
 * its longest test (three windows of a link at the warn limit), not the sum of them, and the figures
 * are judged while other links share the process.
 */
import dgram from "node:dgram";
import { describe, it, type ExpectStatic, type TestContext } from "vitest";
import { actionContext, healthBecomes, nextEmitted, startDriver, type DriverFixture, type StartedDriver } from "../conformance.js";
import type { UdpTransport } from "../transport/udp.js";
import type { DriverEvent } from "../types.js";
import { startStampSimulator, type StampSimHandle } from "../../simulators/stamp/index.js";
import { StampDriver, type StampState } from "./driver.js";

const WINDOW_MS = 2000;
const OPTIONS = { intervalMs: 20, windowMs: WINDOW_MS, timeoutMs: 300, minProbes: 20, clearHoldMs: 500, reportMs: 0, connectTimeoutMs: 2000 };

type Drv = StartedDriver["driver"];

/** Resolves with the first state (the driver's `state` event) that matches, failing after `ms`. */
const stateBecomes = (d: Drv, match: (s: StampState) => boolean, ms = 8000): Promise<StampState> => nextEmitted(d, "state", match, ms);

/** Every `link.alarm` event from now on, and a wait for the next that matches. */
function alarmLog(d: Drv): { events: DriverEvent[]; next(match: (e: DriverEvent) => boolean, ms?: number): Promise<DriverEvent> } {
  const events: DriverEvent[] = [];
  const waiters: { match: (e: DriverEvent) => boolean; resolve: (e: DriverEvent) => void }[] = [];
  d.on("event", (e) => {
    if (e.type !== "link.alarm") return;
    events.push(e);
    for (const w of [...waiters]) {
      if (!w.match(e)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(e);
    }
  });
  return {
    events,
    next: (match, ms = 8000) => {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching link.alarm within ${ms} ms; got ${JSON.stringify(events)}`)), ms);
        waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
  };
}

const raised = (e: DriverEvent): boolean => e.data?.action === "raise";
/**
 * Raised, perhaps re-graded (warn and critical as the storm fills and leaves the window), cleared
 * once, last: what "no flapping" means for one storm.
 */
function raisedThenClearedOnce(expect: ExpectStatic, events: DriverEvent[]): void {
  const actions = events.map((e) => e.data?.action);
  expect(actions.at(-1)).toBe("clear");
  expect(actions.filter((a) => a === "clear")).toHaveLength(1);
  const bands = events.filter(raised).map((e) => e.data?.band);
  expect(bands.length).toBeLessThanOrEqual(3);
  bands.forEach((b, i) => i > 0 && expect(b).not.toBe(bands[i - 1]));
}
const cleared = (e: DriverEvent): boolean => e.data?.action === "clear";
/** A full window of probes has been answered or lost since `t`. */
const fullWindowAfter = (t: number) => (s: StampState) => s.since <= t && (s.lastReplyAt ?? 0) > t + WINDOW_MS;
/**
 * The link has been probed for a whole window: a storm from now on meets an established link, as on
 * a WAN, rather than the first few probes, where one step or one stall of the process weighs on the
 * figures as much as the storm.
 */
const establishedLink = (d: Drv): Promise<StampState> => stateBecomes(d, (s) => (s.lastReplyAt ?? 0) >= s.since + WINDOW_MS);

describe.concurrent("STAMP link driver <-> simulated reflector (UDP)", () => {
  /** A reflector and a driver for one test, closed when that test finishes (tests run concurrently). */
  async function setup(ctx: TestContext, options: Record<string, unknown> = {}): Promise<{ sim: StampSimHandle; started: StartedDriver; driver: Drv }> {
    const sim = await startStampSimulator({ host: "127.0.0.1", port: 0 });
    // onTestFinished hooks run in reverse order of registration: the driver stops before its reflector closes.
    ctx.onTestFinished(() => sim.close());
    const fixture = {
      transport: { type: "udp", host: "127.0.0.1", port: sim.port },
      options: { ...OPTIONS, ...options },
      createDriver: () => new StampDriver(),
    } as unknown as DriverFixture;
    const started = await startDriver(fixture);
    ctx.onTestFinished(() => started.driver.stop());
    return { sim, started, driver: started.driver };
  }

  it("a clean link is ok, with sane figures", async (ctx) => {
    const { expect } = ctx;
    const { driver } = await setup(ctx);
    expect(driver.health).toEqual({ status: "ok" });
    await stateBecomes(driver, (s) => s.repliesReceived >= 60);
    const s = (await driver.poll()) as StampState;
    expect(s).toMatchObject({
      reflector: expect.stringMatching(/^udp:127\.0\.0\.1:\d+$/), windowMs: WINDOW_MS, lost: 0, lossPct: 0,
      reordered: 0, duplicates: 0, late: 0, quality: "ok", bands: { loss: "ok", jitter: "ok", rtt: "ok" },
      alarms: [], malformed: 0, strangers: 0,
    });
    expect(s.probesSent).toBeLessThanOrEqual(WINDOW_MS / 20 + 10);
    const rtt = s.rttMs!;
    expect(rtt.min).toBeGreaterThanOrEqual(0);
    expect(rtt.min).toBeLessThanOrEqual(rtt.p50);
    expect(rtt.p50).toBeLessThanOrEqual(rtt.p95);
    expect(rtt.p95).toBeLessThanOrEqual(rtt.max);
    expect(rtt.p50).toBeLessThan(20); // loopback, even on a busy machine
    expect(s.jitterMs).toBeLessThan(10);
  });

  it("5 % loss raises {link}-quality (critical: major) within the window; clean again, it clears once", async (ctx) => {
    const { expect } = ctx;
    const { sim, driver } = await setup(ctx);
    const alarms = alarmLog(driver);
    sim.faults.lossPct = 5;
    const t0 = Date.now();
    // As the window fills, one loss in it may first read as the warn band: wait for critical.
    const raise = await alarms.next((e) => raised(e) && e.data?.band === "critical", WINDOW_MS + 2000);
    expect(Date.now() - t0).toBeLessThan(WINDOW_MS + 1000);
    expect(raise.data).toMatchObject({ code: "quality", severity: "major", band: "critical", bands: { loss: "critical" } });
    expect(driver.health).toEqual({ status: "degraded", code: "link_quality", message: "quality critical: loss above 1 %" });
    const lossy = await stateBecomes(driver, fullWindowAfter(t0));
    // A loss counts once its probe's timeout (300 ms) has passed, an answer at once: over a 2 s window
    // 5 % reads about 4.25 %, and one probe either way weighs 1-1.5 % (fewer probes when the machine is busy).
    expect(lossy.lossPct).toBeGreaterThan(2.5);
    expect(lossy.lossPct).toBeLessThan(7);
    expect(lossy.alarms).toEqual(["quality"]);

    sim.clean();
    const t1 = Date.now();
    await alarms.next(cleared, WINDOW_MS + OPTIONS.clearHoldMs + 3000);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(OPTIONS.clearHoldMs); // hysteresis: never at the first good figure
    await healthBecomes(driver, (h) => h.status === "ok", 1000);
    raisedThenClearedOnce(expect, alarms.events);
    expect((await driver.poll()).alarms).toEqual([]);
  });

  it("a link at the warn limit (1 % loss) raises once and does not flap", async (ctx) => {
    const { expect } = ctx;
    const { sim, driver } = await setup(ctx, { clearHoldMs: WINDOW_MS });
    const alarms = alarmLog(driver);
    sim.faults.lossPct = 1;
    const t0 = Date.now();
    await alarms.next(raised, 3 * WINDOW_MS);
    await stateBecomes(driver, (s) => (s.lastReplyAt ?? 0) > t0 + 3 * WINDOW_MS, 4 * WINDOW_MS);
    expect(alarms.events.filter(cleared)).toEqual([]); // raised (maybe re-graded), never cleared in between
    expect(alarms.events.length).toBeLessThanOrEqual(2);
    expect(driver.health.status).toBe("degraded");
  });

  it("a jitter storm raises the alarm on jitter alone; clean again, it clears", async (ctx) => {
    const { expect } = ctx;
    const { sim, driver } = await setup(ctx);
    await establishedLink(driver);
    const alarms = alarmLog(driver);
    sim.faults.jitterMs = 45; // each reply waits 0..135 ms more: mean |ΔRTT| ~45 ms, p95 RTT < 150
    const raise = await alarms.next((e) => raised(e) && e.data?.band === "critical", WINDOW_MS + 3000);
    expect(raise.data).toMatchObject({ severity: "major", bands: { jitter: "critical", rtt: "ok", loss: "ok" } });
    const stormy = await stateBecomes(driver, (s) => (s.jitterMs ?? 0) > 30 && s.repliesReceived >= 50);
    expect(stormy.reordered).toBeGreaterThan(0); // 20 ms apart, up to 135 ms late: they overtake each other
    expect(stormy.lossPct).toBe(0);
    sim.clean();
    await alarms.next(cleared, 2 * (WINDOW_MS + OPTIONS.clearHoldMs) + 3000);
    raisedThenClearedOnce(expect, alarms.events);
  });

  it("a delay storm: 200 ms round trips are the warn band (minor); 400 ms critical (major); clean again, it clears", async (ctx) => {
    const { expect } = ctx;
    const { sim, driver } = await setup(ctx, { timeoutMs: 1000 });
    // On the first 20 probes, the step from 0 to 200 ms alone would read as 10 ms of jitter.
    await establishedLink(driver);
    const alarms = alarmLog(driver);
    sim.faults.delayMs = 200;
    const warn = await alarms.next(raised, WINDOW_MS + 3000);
    expect(warn.data).toMatchObject({ severity: "minor", band: "warn", bands: { rtt: "warn", jitter: "ok", loss: "ok" } });
    expect(driver.health.message).toBe("quality warn: rtt above 150 ms");
    sim.faults.delayMs = 400;
    const critical = await alarms.next((e) => e.data?.band === "critical", WINDOW_MS + 3000);
    expect(critical.data).toMatchObject({ action: "raise", severity: "major" });
    const s = await stateBecomes(driver, (x) => (x.rttMs?.p50 ?? 0) > 390);
    expect(s.rttMs!.p50).toBeLessThan(450);
    sim.clean();
    await alarms.next(cleared, WINDOW_MS + OPTIONS.clearHoldMs + 3000);
  });

  it("a silent reflector: degraded by loss, then unreachable after a window without a reply; back when it answers", async (ctx) => {
    const { expect } = ctx;
    const { sim, driver } = await setup(ctx);
    const alarms = alarmLog(driver);
    sim.faults.silent = true;
    // The driver's start resolved on a reply just now (only promise continuations since).
    const t0 = Date.now();
    await healthBecomes(driver, (h) => h.status === "degraded", WINDOW_MS);
    const h = await healthBecomes(driver, (x) => x.status === "unreachable", 2 * WINDOW_MS);
    expect(h).toEqual({ status: "unreachable", code: "timeout", message: expect.stringMatching(/^no reply from udp:127\.0\.0\.1:\d+ for 2 s$/) });
    // Not at the first losses (degraded came first), but after a whole window of silence.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(WINDOW_MS - OPTIONS.intervalMs);
    await expect(driver.poll()).rejects.toMatchObject({ code: "timeout" });
    expect((await alarms.next(raised)).data).toMatchObject({ band: "critical" });
    sim.faults.silent = false;
    await healthBecomes(driver, (x) => x.status !== "unreachable", 2000);
    await healthBecomes(driver, (x) => x.status === "ok", WINDOW_MS + OPTIONS.clearHoldMs + 3000);
  });

  it("strangers (a sequence number never sent, another port) and garbage are dropped and counted; figures stay clean", async (ctx) => {
    const { expect } = ctx;
    const { sim, started, driver } = await setup(ctx);
    sim.faults.stranger = true;
    sim.faults.garbage = true;
    // And one from this test's own socket, straight at the driver's port: the connected socket drops it.
    const localPort = (started.ctx.transport as UdpTransport).localPort;
    const outsider = dgram.createSocket("udp4");
    ctx.onTestFinished(() => new Promise<void>((resolve) => outsider.close(() => resolve())));
    outsider.send(Buffer.alloc(44, 1), localPort, "127.0.0.1");
    const s = await stateBecomes(driver, (x) => x.strangers >= 20 && x.malformed >= 20);
    expect(s).toMatchObject({ lossPct: 0, duplicates: 0, reordered: 0, quality: "ok", alarms: [] });
    expect(driver.health.status).toBe("ok");
    expect(started.logger.records.some((r) => r.msg === "datagram from the reflector dropped")).toBe(true);
  });

  it("reordered and duplicated replies are counted, and are not loss", async (ctx) => {
    const { expect } = ctx;
    const { sim, driver } = await setup(ctx);
    sim.faults.reorderPct = 10;
    sim.faults.duplicatePct = 10;
    const s = await stateBecomes(driver, (x) => x.reordered >= 5 && x.duplicates >= 5 && x.repliesReceived >= 50);
    expect(s.lossPct).toBe(0);
    expect(s.quality).toBe("ok");
  });

  it("probe.run answers a burst's figures now; probe.reset starts a new window", async (ctx) => {
    const { expect } = ctx;
    const { sim, driver } = await setup(ctx, { intervalMs: 200 });
    sim.faults.lossPct = 20;
    const burst = (await driver.actions["probe.run"]!.run({ count: 10, spacingMs: 10 }, actionContext())) as Record<string, unknown>;
    expect(burst).toMatchObject({ sent: 10, received: expect.any(Number), rttMs: expect.objectContaining({ p50: expect.any(Number) }) });
    expect(burst.received).toBeGreaterThanOrEqual(7);
    expect(burst.received).toBeLessThanOrEqual(9);
    const before = Date.now();
    const reset = (await driver.actions["probe.reset"]!.run({}, actionContext())) as { since: number };
    expect(reset.since).toBeGreaterThanOrEqual(before);
    const s = await driver.poll();
    expect(s.since).toBe(reset.since);
    expect(s.probesSent).toBeLessThanOrEqual(3);
  });
});
