/**
 * The X32 driver against the simulator over real UDP: pushes from the desk, sets seen by another
 * client, meters, garbage, and a desk reboot survived with no operator action.
 * Real time (real sockets); every wait is on an event and bounded.
 */
import { afterEach, describe, expect, it } from "vitest";
import { actionContext, healthBecomes, nextEmitted, startDriver, type DriverFixture, type StartedDriver } from "../conformance.js";
import { startX32Simulator, type X32ServerHandle } from "../../simulators/x32/index.js";
import { X32Driver, type X32State } from "./driver.js";

const CHANNELS = { mics: { path: "/ch/01" }, program: { path: "/main/st" } };

/** Resolves with the first state (the driver's `state` event) that matches, failing after `ms`. */
const stateBecomes = (d: StartedDriver["driver"], match: (s: X32State) => boolean, ms = 5000): Promise<X32State> => nextEmitted(d, "state", match, ms);

/** Resolves on the simulator's next (re)subscription of this kind, failing after `ms`. */
function subscribed(sim: X32ServerHandle, kind: "xremote" | "meters", ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sim.events.off("subscribe", on);
      reject(new Error(`no ${kind} subscription within ${ms} ms`));
    }, ms);
    const on = (e: { kind: string; peer: string }): void => {
      if (e.kind !== kind) return;
      clearTimeout(timer);
      sim.events.off("subscribe", on);
      resolve(e.peer);
    };
    sim.events.on("subscribe", on);
  });
}

describe("X32 driver <-> simulator (UDP)", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(options: Record<string, unknown> = {}, simSpec: Record<string, unknown> = {}) {
    const sim = await startX32Simulator({ host: "127.0.0.1", port: 0, ...simSpec });
    cleanups.push(() => sim.close());
    const fixture = {
      transport: { type: "udp", host: "127.0.0.1", port: sim.port },
      options: { channels: CHANNELS, timeoutMs: 300, retryMs: 200, pushIntervalMs: 0, ...options },
      createDriver: () => new X32Driver(),
    } as unknown as DriverFixture;
    const start = async () => {
      const started = await startDriver(fixture);
      cleanups.push(() => started.driver.stop());
      return started;
    };
    return { sim, start };
  }

  it("starts with the desk's identity and values", async () => {
    const { start } = await setup({}, { name: "FOH", model: "M32", firmware: "4.06" });
    const { driver } = await start();
    const s = (await driver.poll()) as X32State;
    expect(s).toMatchObject({ name: "FOH", model: "M32", firmware: "4.06", ip: "127.0.0.1", garbledPackets: 0 });
    expect(s.channels).toEqual({
      mics: { muted: false, levelDb: 0, signalDb: null },
      program: { muted: false, levelDb: 0, signalDb: null },
    });
  });

  it("a change on the desk is pushed through /xremote into the driver's state", async () => {
    const { sim, start } = await setup();
    const { driver } = await start();
    const seen = stateBecomes(driver, (s) => s.channels["program"]?.muted === true);
    expect(sim.deskChange("/main/st/mix/on", { type: "i", value: 0 })).toBe(1);
    await seen;
  });

  it("one driver's set reaches another client as a push (and is not echoed to the setter)", async () => {
    const { sim, start } = await setup();
    const a = await start();
    const b = await start();
    const seenByB = stateBecomes(b.driver, (s) => s.channels["mics"]?.levelDb === -20);
    const result = await a.driver.actions["level.set"]!.run({ channel: "mics", db: -20 }, actionContext());
    expect(result).toEqual({ ok: true, channel: "mics", levelDb: -20 });
    await seenByB;
    expect(sim.stats.pushes).toBe(1); // to b only
  });

  it("meters: /meters/1 gives signalDb for /ch/NN strips", async () => {
    const { sim, start } = await setup({ meters: true }, { signalDb: -20 });
    const { driver } = await start();
    await stateBecomes(driver, (s) => s.channels["mics"]?.signalDb === -20);
    sim.mixer.setSignal(1, -6);
    const s = await stateBecomes(driver, (x) => x.channels["mics"]?.signalDb === -6);
    expect(s.channels["program"]!.signalDb).toBeNull(); // /main/st is not in the input meter bank
  });

  it("garbage from the desk is counted, and answers still get through", async () => {
    const { sim, start } = await setup();
    const { driver } = await start();
    sim.faults.garbage = true;
    const s = (await driver.poll()) as X32State;
    expect(s.garbledPackets).toBeGreaterThanOrEqual(5); // one before each of the 5 answers
    expect(driver.health.status).toBe("ok");
  });

  it("a desk reboot is survived: unreachable while it boots, then resubscribed, and pushes flow again", async () => {
    const { sim, start } = await setup({ renewMs: 500 }, { rebootMs: 1000 });
    const { driver } = await start();
    sim.reboot();
    expect(sim.subscribers().xremote).toEqual([]);
    await healthBecomes(driver, (h) => h.status === "unreachable", 3000);
    await subscribed(sim, "xremote", 5000); // no operator action: the driver finds the desk and renews
    expect(driver.health.status).toBe("ok");
    const seen = stateBecomes(driver, (s) => s.channels["mics"]?.muted === true);
    expect(sim.deskChange("/ch/01/mix/on", { type: "i", value: 0 })).toBe(1);
    await seen;
  });
});
