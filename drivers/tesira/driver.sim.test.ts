/**
 * The Tesira driver against the Tesira simulator on real links (telnet on 127.0.0.1, RS-232 on a
 * pty), real clock. The story: the DSP reboots in the middle of a session and live values
 * flow again without anyone touching the agent. Every wait is on an event and bounded.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startDriver, actionContext, healthBecomes, nextEmitted, type DriverFixture, type StartedDriver } from "../conformance.js";
import { startTesiraSimulator, type TesiraSimHandle } from "../../simulators/tesira/index.js";
import type { DriverEvent } from "../types.js";
import { TesiraDriver } from "./driver.js";
import type { TesiraState } from "./state.js";

const options = {
  timeoutMs: 500,
  connectTimeoutMs: 2000,
  bannerTimeoutMs: 500,
  pushIntervalMs: 0,
  levelSubscribeMs: 0, // pushes on change only: a value seen after the reboot came from a change
  channels: {
    mics: { tag: "MicMute", attribute: "mute", index: 1, levelTag: "MicLevel" }, // issue 5's shorthand
    program: { level: { tag: "Program Level", index: 2 } },
  },
};

/** Resolves with the first emitted value that matches, failing after `ms`. */
const next = <T>(driver: TesiraDriver, event: "state" | "event", match: (v: T) => boolean, ms = 5000): Promise<T> => nextEmitted(driver, event, match, ms);

function fixture(sim: TesiraSimHandle, transport: DriverFixture["transport"], opts: Record<string, unknown> = options): DriverFixture {
  return {
    transport,
    options: opts,
    createDriver: () => new TesiraDriver(),
    goodAction: { name: "mute.set", args: { channel: "mics", on: true } },
    badArgs: { name: "level.set", args: { channel: "mics", db: 13 } },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    silence: (on) => {
      sim.faults.silent = on;
    },
    teardown: () => sim.close(),
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tcp(opts?: Record<string, unknown>): Promise<{ sim: TesiraSimHandle; started: StartedDriver }> {
  const sim = await startTesiraSimulator({ link: "tcp", port: 0, bootMs: 300 });
  cleanups.push(() => sim.close());
  const started = await startDriver(fixture(sim, { type: "tcp", host: "127.0.0.1", port: sim.port! }, opts));
  cleanups.push(() => started.driver.stop());
  return { sim, started };
}

async function serial(): Promise<{ sim: TesiraSimHandle; started: StartedDriver }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-tesira-sim-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const sim = await startTesiraSimulator({ link: "serial", devicePath: path.join(dir, "dsp"), bootMs: 300 });
  cleanups.push(() => sim.close());
  const started = await startDriver(fixture(sim, { type: "serial", path: sim.devicePath!, baudRate: 115200 }));
  cleanups.push(() => started.driver.stop());
  return { sim, started };
}

/** The story both links must tell. */
async function rebootStory(sim: TesiraSimHandle, driver: TesiraDriver): Promise<void> {
  expect(driver.health.status).toBe("ok");
  sim.control("level", ["MicLevel", "1", "-21"]);
  await next<TesiraState>(driver, "state", (s) => s.channels["mics"]?.levelDb === -21);

  const rebooted = next<DriverEvent>(driver, "event", (e) => e.type === "dsp_rebooted");
  const resubscribed = next<TesiraState>(driver, "state", (s) => s.reboots === 1 && s.subscriptions === 3 && s.channels["mics"]?.levelDb === -10);
  expect(sim.control("reboot", [])).toBe("rebooting; Welcome banner in 300 ms");
  expect([...sim.dsp.sessions].every((s) => s.subs.size === 0)).toBe(true); // the DSP forgot them
  await rebooted;
  await resubscribed; // boot value -10 read back after subscribing again
  expect([...sim.dsp.sessions].map((s) => s.subs.size)).toEqual([3]);

  // Someone moves a fader on the DSP: only a live subscription can tell the driver.
  sim.control("level", ["MicLevel", "1", "-33"]);
  sim.control("mute", ["MicMute", "1", "on"]);
  const pushed = await next<TesiraState>(driver, "state", (s) => s.channels["mics"]?.levelDb === -33 && s.channels["mics"]?.muted === true);
  expect(pushed.channels["mics"]).toEqual({ muted: true, levelDb: -33 });
  await healthBecomes(driver, (h) => h.status === "ok");
}

describe("Tesira driver against the simulator", () => {
  it("telnet: refuses every option, then after a DSP reboot pushed values flow again with no operator action", async () => {
    const { sim, started } = await tcp();
    expect(sim.telnetAnswers[0]).toEqual(["WONT 24", "WONT 32", "WONT 35", "WONT 39", "DONT 1", "DONT 3"]);
    expect(sim.dsp.received.slice(0, 4)).toEqual([
      "DEVICE get version",
      "MicMute subscribe mute 1 rg_mics_mute",
      "MicLevel subscribe level 1 rg_mics_level 0",
      '"Program Level" subscribe level 2 rg_program_level 0',
    ]);
    const state = (await started.driver.poll()) as TesiraState;
    expect(state).toMatchObject({ firmware: "4.7.1.23", subscriptions: 3, channels: { mics: { muted: false, levelDb: -10 }, program: { muted: null, levelDb: -20 } } });
    await rebootStory(sim, started.driver as TesiraDriver);
  });

  it("serial: after a DSP reboot (banner on the port) pushed values flow again", async () => {
    const { sim, started } = await serial();
    await rebootStory(sim, started.driver as TesiraDriver);
  });

  it("an echo storm and garbage lines are counted, never taken for answers", async () => {
    const { sim, started } = await tcp();
    const driver = started.driver as TesiraDriver;
    sim.control("echostorm", ["on"]);
    sim.faults.garbage = true;
    const run = (name: string, args: unknown) => driver.actions[name]!.run(args, actionContext());
    expect(await run("level.set", { channel: "program", db: -6 })).toEqual({ channel: "program", levelDb: -6 });
    expect(await run("mute.toggle", { channel: "mics" })).toEqual({ channel: "mics", muted: true });
    expect(await run("level.step", { channel: "mics", db: 2.5 })).toEqual({ channel: "mics", levelDb: -7.5 });
    const state = (await driver.poll()) as TesiraState;
    expect(state.channels).toEqual({ mics: { muted: true, levelDb: -7.5 }, program: { muted: null, levelDb: -6 } });
    expect(state.garbledLines).toBeGreaterThanOrEqual(5);
    expect(state.ignoredLines).toBeGreaterThanOrEqual(50);
    expect(sim.dsp.block("Program Level").levels[1]).toBe(-6);
    expect(driver.health.status).toBe("ok");
  });

  it("a channel whose tag the design lacks: degraded/address_not_found, the other channels work", async () => {
    const { started } = await tcp({ ...options, channels: { ...options.channels, stage: { mute: { tag: "StageMute" } } } });
    const driver = started.driver as TesiraDriver;
    expect(driver.health).toMatchObject({ status: "degraded", code: "address_not_found" });
    await expect(driver.actions["mute.set"]!.run({ channel: "stage", on: true }, actionContext())).rejects.toMatchObject({
      code: "device_error",
      details: { code: "address_not_found", tag: "StageMute" },
    });
    const muted = next<TesiraState>(driver, "state", (s) => s.channels["mics"]?.muted === true); // preset 1002 mutes the mics
    expect(await driver.actions["preset.recall"]!.run({ preset: 1002 }, actionContext())).toEqual({ preset: 1002 });
    await muted;
    await expect(driver.actions["preset.recall"]!.run({ preset: 4242 }, actionContext())).rejects.toMatchObject({
      code: "device_error",
      details: { code: "invalid_parameter", device: "-ERR INVALID_PARAMETER" },
    });
  });
});
