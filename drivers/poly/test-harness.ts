/**
 * Test-only: the Poly driver against the Poly simulator on a real link, and event waits that are
 * bounded. Used by the driver's *.sim tests.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startPolySimulator, type PolySimHandle, type PolySimulatorSpec } from "../../simulators/poly/index.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { fakeClock, type FakeClock } from "../../test/helpers/clock.js";
import type { CodecState } from "../codec/vocabulary.js";
import { healthBecomes, nextEmitted, startDriver, type StartedDriver } from "../conformance.js";
import { createTransport, type TransportSpec } from "../transport/index.js";
import type { ActionContext, Clock, Driver, DriverContext, DriverEvent, Health } from "../types.js";
import { PolyDriver } from "./driver.js";

export const PASSWORD = "s3cret-Poly!";

/** Driver options for tests: quick, with the test password. */
export const quick = { timeoutMs: 800, connectTimeoutMs: 4000, commandGapMs: 5, promptWaitMs: 200, authRetryMs: 1000, dialTimeoutMs: 1500, password: PASSWORD };

export interface Rig {
  sim: PolySimHandle;
  driver: PolyDriver;
  started: StartedDriver | { ctx: DriverContext; logger: ReturnType<typeof memoryLogger> };
  records: { msg?: string }[];
  events: DriverEvent[];
  clock: Clock;
  run(action: string, args: unknown): Promise<unknown>;
}

type Cleanup = () => Promise<unknown> | void;

/** The simulator on `link` and a started driver on a real clock; `cleanups` tears both down. */
export async function rig(cleanups: Cleanup[], link: "tcp" | "serial" | "ssh", spec: Partial<PolySimulatorSpec> = {}, options: Record<string, unknown> = {}): Promise<Rig> {
  let sim: PolySimHandle;
  let transport: TransportSpec;
  if (link === "serial") {
    const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-poly-drv-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    sim = await startPolySimulator({ link, devicePath: path.join(dir, "codec"), baudRate: 115200, password: PASSWORD, ...spec } as PolySimulatorSpec);
    transport = { type: "serial", path: sim.devicePath!, baudRate: 115200 };
  } else if (link === "ssh") {
    sim = await startPolySimulator({ link, port: 0, password: PASSWORD, ...spec } as PolySimulatorSpec);
    transport = { type: "ssh", host: "127.0.0.1", port: sim.port!, username: "admin", password: PASSWORD, hostFingerprint: sim.hostFingerprint!, keepaliveMs: 2000 };
  } else {
    sim = await startPolySimulator({ link, port: 0, password: PASSWORD, ...spec } as PolySimulatorSpec);
    transport = { type: "tcp", host: "127.0.0.1", port: sim.port! };
  }
  cleanups.push(() => sim.close());
  const opts = link === "ssh" ? { ...quick, password: undefined, ...options } : { ...quick, ...options };
  const events: DriverEvent[] = []; // from the start: a refused password is reported while starting
  const create = () => {
    const d = new PolyDriver();
    d.on("event", (e) => events.push(e));
    return d as never;
  };
  const started = await startDriver({ transport, options: withoutUndefined(opts), createDriver: create } as never);
  cleanups.push(() => started.driver.stop());
  const driver = started.driver as unknown as PolyDriver;
  const run = (action: string, args: unknown) => driver.actions[action]!.run(driver.actions[action]!.args.parse(args), actx(started.clock, 10_000));
  return { sim, driver, started, records: started.logger.records, events, clock: started.clock, run };
}

/**
 * The same on an injected fake clock shared by the simulator (ringing, media counters) and the
 * driver (its Δt between polls): for figures that need time to pass. Commands are not paced
 * (commandGapMs 0), so nothing waits on the fake clock but what the test ticks.
 */
export async function fakeRig(cleanups: Cleanup[], spec: Partial<PolySimulatorSpec> = {}): Promise<Rig & { clock: FakeClock }> {
  const clock = fakeClock();
  const sim = await startPolySimulator({ link: "tcp", port: 0, password: PASSWORD, clock, ...spec } as PolySimulatorSpec);
  cleanups.push(() => sim.close());
  const logger = memoryLogger();
  const transport = await createTransport({ type: "tcp", host: "127.0.0.1", port: sim.port! }, { clock, logger, backoff: { initialMs: 20, maxMs: 200, jitter: 0 } });
  const ctx: DriverContext = { deviceId: "codec", transport, logger, clock, signal: new AbortController().signal, options: { ...quick, commandGapMs: 0 } };
  const driver = new PolyDriver();
  cleanups.push(() => driver.stop());
  await driver.start(ctx);
  const events: DriverEvent[] = [];
  driver.on("event", (e) => events.push(e));
  const run = (action: string, args: unknown) => driver.actions[action]!.run(driver.actions[action]!.args.parse(args), actx(clock, 600_000));
  return { sim, driver, started: { ctx, logger }, records: logger.records, events, clock, run };
}

export function actx(clock: Clock, ms: number): ActionContext {
  return { signal: new AbortController().signal, deadline: clock.now() + ms };
}

/** Resolves with the first `state` or `event` the driver emits that matches; fails after `ms` (real time). */
export function next<T extends CodecState | DriverEvent>(driver: PolyDriver, kind: "state" | "event", match: (v: T) => boolean, ms = 6000): Promise<T> {
  return nextEmitted(driver, kind, match, ms);
}

/** The conformance suite's bounded health wait, for a driver whose state is CodecState. */
export function healthIs(driver: PolyDriver, match: (h: Health) => boolean, ms?: number): Promise<Health> {
  return healthBecomes(driver as unknown as Driver, match, ms);
}

/** Waits, a turn of the event loop at a time and bounded, until `ok()`; for simulator-side facts. */
export async function eventually(ok: () => boolean, what: string, ms = 6000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise<void>((r) => setImmediate(r));
  }
}

function withoutUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
