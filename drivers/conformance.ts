/**
 * The one conformance suite every driver passes against its simulator (STYLE.md rule 7; the
 * transports have their own in transport/conformance.ts). A driver's `*.conformance.test.ts`
 * calls `driverConformance(name, makeFixture)` with a real simulator on a real endpoint.
 *
 * Real I/O, so the clock is real (wrapped to count timers: "stop leaves nothing running" is proven
 * by no timer left, not by sleeping). Every wait is on an event and bounded.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { memoryLogger } from "../test/helpers/logger.js";
import { trackingClock } from "./transport/conformance.js";
import { createTransport, type TransportSpec } from "./transport/index.js";
import { DeviceError, type ActionContext, type Clock, type Driver, type DriverContext, type Health, type Logger } from "./types.js";

/** The device side: a running simulator and its fault controls. */
export interface DriverFixture {
  /** The transport the driver should open to reach the simulator. */
  transport: TransportSpec;
  /**
   * Driver options. Request deadlines of about 1 s (1.5 s for the Poly): short enough that the fault
   * tests are quick, long enough that a first poll in a worker sharing two cores with four others
   * is not a miss (400 ms over a 9600-baud pty was missed once in a full run).
   */
  options: Record<string, unknown>;
  createDriver(): Driver;
  /** An action that must succeed on a healthy device, and a check that it took effect (read from the simulator). */
  goodAction: { name: string; args: unknown; verify?(): void | Promise<void> };
  /** Args that the action's schema must refuse (for the `invalid_args` path). */
  badArgs: { name: string; args: unknown };
  /** Pull the cable / take the network away; resolves when gone. */
  unplug(): Promise<void>;
  replug(): Promise<void>;
  /** Keep the link but answer nothing. */
  silence(on: boolean): void;
  teardown(): Promise<void>;
}

const WAIT_MS = 8_000;

/** Resolves with the first health that matches (the current one counts), failing after `ms`. */
export function healthBecomes(driver: Driver, match: (h: Health) => boolean, ms = WAIT_MS): Promise<Health> {
  if (match(driver.health)) return Promise.resolve(driver.health);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      driver.off("health", on);
      reject(new Error(`health never matched within ${ms} ms; last ${JSON.stringify(driver.health)}`));
    }, ms);
    const on = (h: Health): void => {
      if (!match(h)) return;
      clearTimeout(timer);
      driver.off("health", on);
      resolve(h);
    };
    driver.on("health", on);
  });
}

/**
 * Resolves with the first `state` or `event` the driver emits from now on that matches, failing
 * after `ms`: the sim tests' wait on what an operator would see next (never a fixed sleep).
 */
export function nextEmitted<T>(driver: Pick<Driver, "on" | "off">, kind: "state" | "event", match: (v: T) => boolean, ms = WAIT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      driver.off(kind, on as never);
      reject(new Error(`no matching ${kind} within ${ms} ms`));
    }, ms);
    const on = (v: T): void => {
      if (!match(v)) return;
      clearTimeout(timer);
      driver.off(kind, on as never);
      resolve(v);
    };
    driver.on(kind, on as never);
  });
}

/** An action context with a real-clock deadline. */
export const actionContext = (ms = 10_000): ActionContext => ({ signal: new AbortController().signal, deadline: Date.now() + ms });

export interface StartedDriver {
  driver: Driver;
  ctx: DriverContext;
  logger: Logger & { records: { msg?: string }[] };
  clock: Clock & { pending(): number };
}

/** Builds the transport and context a real agent would, and starts the driver. */
export async function startDriver(fixture: DriverFixture, deviceId = "dev-under-test"): Promise<StartedDriver> {
  const logger = memoryLogger();
  const clock = trackingClock();
  const transport = await createTransport(fixture.transport, { clock, logger, backoff: { initialMs: 20, maxMs: 200, jitter: 0 } });
  const abort = new AbortController();
  const ctx: DriverContext = { deviceId, transport, logger, clock, signal: abort.signal, options: fixture.options };
  const driver = fixture.createDriver();
  await driver.start(ctx);
  return { driver, ctx, logger, clock };
}

export function driverConformance(name: string, makeFixture: () => Promise<DriverFixture>): void {
  describe(`driver conformance: ${name}`, () => {
    const cleanups: (() => Promise<unknown>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    async function setup(): Promise<{ fixture: DriverFixture } & StartedDriver> {
      const fixture = await makeFixture();
      cleanups.push(() => fixture.teardown());
      const started = await startDriver(fixture);
      cleanups.push(() => started.driver.stop());
      return { fixture, ...started };
    }

    it("declares itself fully: kind, protocol, state fields, and actions whose args export to JSON Schema", () => {
      const driver = (async () => (await makeFixture()))();
      return driver.then(async (fixture) => {
        cleanups.push(() => fixture.teardown());
        const d = fixture.createDriver();
        expect(d.kind).toMatch(/^(camera|display|ledwall|audio|crypto|gpio|codec|link|switch)$/);
        expect(d.protocol).toMatch(/^[a-z0-9-]+$/);
        expect(d.stateFields.length).toBeGreaterThan(0);
        expect(d.health.status).toBe("unknown");
        const names = Object.keys(d.actions);
        expect(names.length).toBeGreaterThan(0);
        for (const actionName of names) {
          expect(actionName).toMatch(/^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)*$/);
          const spec = d.actions[actionName]!;
          expect(spec.description.length, actionName).toBeGreaterThan(0);
          expect(() => z.toJSONSchema(spec.args, { io: "input" }), actionName).not.toThrow();
        }
        await d.stop(); // stop before start is harmless
      });
    });

    it("starts on first contact with health ok; poll returns exactly the declared state fields", async () => {
      const { driver } = await setup();
      expect(driver.health.status).toBe("ok");
      const state = await driver.poll();
      expect(Object.keys(state).sort()).toEqual([...driver.stateFields].sort());
    });

    it("runs a good action and refuses bad args by schema", async () => {
      const { fixture, driver } = await setup();
      const good = driver.actions[fixture.goodAction.name];
      expect(good, fixture.goodAction.name).toBeDefined();
      await good!.run(good!.args.parse(fixture.goodAction.args), actionContext());
      await fixture.goodAction.verify?.();
      const bad = driver.actions[fixture.badArgs.name];
      expect(bad!.args.safeParse(fixture.badArgs.args).success).toBe(false);
    });

    it("unplug: health unreachable and requests fail with a coded error; replug: ok again", async () => {
      const { fixture, driver } = await setup();
      await fixture.unplug();
      const failed = await driver.poll().then(
        () => null,
        (e: unknown) => e,
      );
      // A poll that raced the unplug may still succeed once; the next one must fail.
      const err = failed ?? (await driver.poll().then(() => null, (e: unknown) => e));
      expect(err).toBeInstanceOf(DeviceError);
      expect((err as DeviceError).code).toMatch(/^(timeout|not_connected)$/);
      await healthBecomes(driver, (h) => h.status === "unreachable");
      await fixture.replug();
      await healthBecomes(driver, (h) => h.status === "ok");
      expect(Object.keys(await driver.poll()).sort()).toEqual([...driver.stateFields].sort());
    });

    it("a silent device: the request ends with `timeout` by its deadline, never hangs", async () => {
      const { fixture, driver } = await setup();
      fixture.silence(true);
      const t0 = Date.now();
      await expect(driver.poll()).rejects.toMatchObject({ code: "timeout" });
      expect(Date.now() - t0).toBeLessThan(WAIT_MS);
      await healthBecomes(driver, (h) => h.status === "unreachable" || h.status === "degraded");
      fixture.silence(false);
      await driver.poll().catch(() => undefined); // the first answer back may still be a late one
      await expect(driver.poll()).resolves.toBeTypeOf("object");
    });

    it("an absent device: start settles (health not ok, or a DeviceError), and recovers when it appears", async () => {
      const fixture = await makeFixture();
      cleanups.push(() => fixture.teardown());
      await fixture.unplug();
      let started: StartedDriver | undefined;
      try {
        started = await startDriver(fixture);
        cleanups.push(() => started!.driver.stop());
        expect(started.driver.health.status).not.toBe("ok");
      } catch (err) {
        expect(err).toBeInstanceOf(DeviceError);
        return;
      }
      await fixture.replug();
      await healthBecomes(started.driver, (h) => h.status === "ok");
    });

    it("stop is idempotent, closes the transport and leaves no timer running", async () => {
      const { driver, ctx, clock } = await setup();
      await driver.stop();
      await driver.stop();
      expect(ctx.transport.state).toBe("closed");
      expect(clock.pending()).toBe(0);
    });
  });
}
