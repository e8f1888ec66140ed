/**
 * Honest health without flapping storms: the debounce rule of agent/device.ts, on a fake clock with a
 * stand-in driver (a pure unit test: nothing crosses a transport).
 */
import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { DeviceRunner, HEALTH_HOLD_MS, RESET_AFTER_TIMEOUTS, type HealthRecord } from "./device.js";
import { fakeClock, type FakeClock } from "../test/helpers/clock.js";
import { memoryLogger } from "../test/helpers/logger.js";
import { DeviceError, type Driver, type DriverEvents, type Health } from "../drivers/types.js";
import type { Transport } from "../drivers/transport/types.js";

class StandInDriver extends EventEmitter<DriverEvents<Record<string, unknown>>> implements Driver {
  readonly kind = "camera" as const;
  readonly protocol = "standin";
  readonly actions = {};
  readonly stateFields = ["x"] as const;
  health: Health = { status: "unknown" };
  async start(): Promise<void> {
    this.set({ status: "ok" });
  }
  async stop(): Promise<void> {}
  async poll(): Promise<Record<string, unknown>> {
    return { x: 1 };
  }
  set(h: Health): void {
    this.health = h;
    this.emit("health", h);
  }
}

const runners: DeviceRunner[] = [];
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
});

async function runner(clock: FakeClock): Promise<{ driver: StandInDriver; published: HealthRecord[] }> {
  const driver = new StandInDriver();
  const published: HealthRecord[] = [];
  const transport = new EventEmitter() as unknown as Transport;
  const r = new DeviceRunner({
    id: "cam",
    config: { kind: "camera", protocol: "standin", transport: { type: "tcp", host: "127.0.0.1", port: 1 }, options: {} },
    pollIntervalMs: 600_000,
    clock,
    logger: memoryLogger(),
    loadDriver: async () => ({ createDriver: () => driver }),
    createTransport: async () => transport,
    onState: () => undefined,
    onHealth: (_id, h) => published.push(h),
    onEvent: () => undefined,
  });
  runners.push(r);
  await r.start();
  return { driver, published };
}

const statuses = (p: HealthRecord[]): string[] => p.map((h) => h.status);
const down: Health = { status: "unreachable", code: "timeout" };

describe("health debounce", () => {
  it("publishes a change after a quiet spell at once", async () => {
    const clock = fakeClock();
    const { driver, published } = await runner(clock);
    expect(statuses(published)).toEqual(["ok"]);
    await clock.tickAsync(HEALTH_HOLD_MS * 3);
    driver.set(down);
    expect(statuses(published)).toEqual(["ok", "unreachable"]);
  });

  it("coalesces a flapping link: the latest health at each window's end, windows doubling", async () => {
    const clock = fakeClock();
    const { driver, published } = await runner(clock);
    await clock.tickAsync(HEALTH_HOLD_MS * 3);
    // A loose cable: down/up every 250 ms for 30 s (120 changes).
    for (let i = 0; i < 120; i++) {
      driver.set(i % 2 === 0 ? down : { status: "ok" });
      await clock.tickAsync(250);
    }
    // Published: the first change at once, then one per window of 2, 4, 8, 16 s.
    expect(published.length).toBeLessThanOrEqual(6);
    expect(published.length).toBeGreaterThanOrEqual(3);
    // It settles down, and the retained health catches up with the truth within one window.
    driver.set({ status: "ok" });
    await clock.tickAsync(60_000);
    expect(published.at(-1)!.status).toBe("ok");
    // After the quiet spell, the next change is published at once again.
    driver.set(down);
    expect(published.at(-1)!.status).toBe("unreachable");
  });

  it("says nothing when the health comes back to what was published inside the window", async () => {
    const clock = fakeClock();
    const { driver, published } = await runner(clock);
    driver.set(down); // inside the first window: held
    driver.set({ status: "ok" });
    await clock.tickAsync(HEALTH_HOLD_MS * 2);
    expect(statuses(published)).toEqual(["ok"]);
  });

  it("keeps the current truth readable at any time", async () => {
    const clock = fakeClock();
    const { driver } = await runner(clock);
    const r = runners.at(-1)!;
    driver.set(down);
    expect(r.health.status).toBe("unreachable");
  });
});

describe("a link that looks open but answers nothing", () => {
  it("is reset after RESET_AFTER_TIMEOUTS polls in a row end in timeout, and the centre hears of it", async () => {
    const clock = fakeClock();
    const driver = new StandInDriver();
    let answering = false;
    driver.poll = async () => {
      if (answering) return { x: 1 };
      throw new DeviceError("timeout", "no answer within 500 ms");
    };
    const resets: string[] = [];
    const events: string[] = [];
    const transport = Object.assign(new EventEmitter(), {
      state: "open",
      description: "tcp:10.0.0.9:5200",
      reset: (reason: string) => resets.push(reason),
    }) as unknown as Transport;
    const r = new DeviceRunner({
      id: "led",
      config: { kind: "ledwall", protocol: "standin", transport: { type: "tcp", host: "10.0.0.9", port: 5200 }, options: {} },
      pollIntervalMs: 1000,
      clock,
      logger: memoryLogger(),
      loadDriver: async () => ({ createDriver: () => driver }),
      createTransport: async () => transport,
      onState: () => undefined,
      onHealth: () => undefined,
      onEvent: (_id, e) => events.push(e.type),
    });
    runners.push(r);
    await r.start();
    await clock.tickAsync(1000 * (RESET_AFTER_TIMEOUTS - 2) + 10); // first poll at start, then one a second
    expect(resets).toEqual([]);
    await clock.tickAsync(1000);
    expect(resets).toHaveLength(1);
    expect(events).toEqual(["link_reset"]);
    answering = true;
    await clock.tickAsync(5000);
    expect(resets).toHaveLength(1);
  });
});
