/**
 * The Firmata driver against the simulated Uno over a real pty at 57600 baud: handshake,
 * relay power-cycle timing as the board sees it, door contact, over-temperature alarm raise and
 * clear, a board that never completes the handshake, pins the board cannot serve, malformed sysex,
 * blinking and a board reset. Real time; every wait is on an event and bounded.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { actionContext, healthBecomes, startDriver, type DriverFixture, type StartedDriver } from "../conformance.js";
import type { DriverEvent } from "../types.js";
import { startFirmataSimulator, type FirmataSimHandle } from "../../simulators/firmata/index.js";
import { FirmataDriver, type FirmataState } from "./driver.js";

const PINS = {
  "rack-power": { relay: 7, type: "NO" },
  "on-air": { led: 13 },
  "rack-temp": { thermometer: "A0", model: "LM35", overC: 40 },
  door: { switch: 2 },
};
const BASE = { pins: PINS, samplingMs: 20, handshakeTimeoutMs: 1500, versionQueryMs: 50, timeoutMs: 500 };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: Record<string, unknown> = BASE, before?: (sim: FirmataSimHandle) => void): Promise<{ sim: FirmataSimHandle } & StartedDriver> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "roomgate-firmata-"));
  const devicePath = path.join(dir, "gpio");
  const sim = await startFirmataSimulator({ devicePath, temperatures: { A0: 25 }, doors: { "2": "open" } });
  cleanups.push(async () => {
    await sim.close();
    await rm(dir, { recursive: true, force: true });
  });
  before?.(sim);
  const fixture = { transport: { type: "serial", path: devicePath, baudRate: 57600 }, options, createDriver: () => new FirmataDriver() } as unknown as DriverFixture;
  const started = await startDriver(fixture);
  cleanups.push(() => started.driver.stop());
  return { sim, ...started };
}

/** Resolves with the first driver state that matches (the current one counts), failing after `ms`. */
function stateBecomes(d: FirmataDriver, match: (s: FirmataState) => boolean, ms = 3000): Promise<FirmataState> {
  return new Promise((resolve, reject) => {
    void d.poll().then((s) => {
      if (!match(s)) return;
      clearTimeout(timer);
      d.off("state", on);
      resolve(s);
    }, () => undefined);
    const timer = setTimeout(() => {
      d.off("state", on);
      reject(new Error(`state never matched within ${ms} ms`));
    }, ms);
    const on = (s: FirmataState): void => {
      if (!match(s)) return;
      clearTimeout(timer);
      d.off("state", on);
      resolve(s);
    };
    d.on("state", on);
  });
}

function nextEvent(d: FirmataDriver, type: string, ms = 3000): Promise<DriverEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${ms} ms`)), ms);
    const on = (e: DriverEvent): void => {
      if (e.type !== type) return;
      clearTimeout(timer);
      d.off("event", on);
      resolve(e);
    };
    d.on("event", on);
  });
}

describe("Firmata driver against the simulated board (pty, 57600)", () => {
  it("handshakes, sets the pins up and reports firmware, outputs and inputs", async () => {
    const { sim, driver } = await setup();
    expect(driver.health).toEqual({ status: "ok" });
    expect(sim.board.outputs()[7]).toBe(1); // NO relay, initially on: pin high
    expect(sim.board.outputs()[13]).toBe(0);
    expect(sim.board.pinMode(2)).toBe(0x0b); // door input with pull-up
    expect(sim.board.pinMode(14)).toBe(0x02);
    expect(sim.board.samplingIntervalMs).toBe(20);
    const d = driver as FirmataDriver;
    await stateBecomes(d, (s) => s.temperatures["rack-temp"] !== null && s.switches.door !== null);
    const state = await driver.poll();
    expect(state).toEqual({
      relays: { "rack-power": true },
      leds: { "on-air": "off" },
      switches: { door: "open" },
      temperatures: { "rack-temp": 24.9 }, // LM35 25 °C -> ADC 51 -> 249 mV
      firmware: "StandardFirmata.ino 2.5",
      garbledFrames: 0,
    });
  });

  it("relay.pulse: the board sees the relay pin go low, then high again after the pulse time", async () => {
    const { sim, driver } = await setup();
    const seen: [number, number, number][] = [];
    sim.onOutput((pin, v) => seen.push([pin, v, Date.now()]));
    const t0 = Date.now();
    await driver.actions["relay.pulse"]!.run({ name: "rack-power", ms: 300 }, actionContext());
    const took = Date.now() - t0;
    const relay = seen.filter(([pin]) => pin === 7);
    expect(relay.map(([, v]) => v)).toEqual([0, 1]);
    const offFor = relay[1]![2] - relay[0]![2];
    expect(offFor).toBeGreaterThanOrEqual(295);
    expect(offFor).toBeLessThan(600);
    expect(took).toBeGreaterThanOrEqual(300);
    expect((await driver.poll()).relays).toEqual({ "rack-power": true });
  });

  it("relay.set off and on, confirmed by the board; an unknown relay is refused", async () => {
    const { sim, driver } = await setup();
    await driver.actions["relay.set"]!.run({ name: "rack-power", on: false }, actionContext());
    expect(sim.board.outputs()[7]).toBe(0);
    expect((await driver.poll()).relays).toEqual({ "rack-power": false });
    await driver.actions["relay.set"]!.run({ name: "rack-power", on: true }, actionContext());
    expect(sim.board.outputs()[7]).toBe(1);
    await expect(driver.actions["relay.set"]!.run({ name: "on-air", on: true }, actionContext())).rejects.toMatchObject({ code: "invalid_args" });
  });

  it("door contact: closing and opening it shows in state", async () => {
    const { sim, driver } = await setup();
    const d = driver as FirmataDriver;
    await stateBecomes(d, (s) => s.switches.door === "open");
    const closed = stateBecomes(d, (s) => s.switches.door === "closed");
    sim.control("door", ["2", "closed"]);
    await closed;
    const opened = stateBecomes(d, (s) => s.switches.door === "open");
    sim.control("door", ["2", "open"]);
    await opened;
  });

  it("over temperature: raises an alarm event and degrades health above overC, clears below it", async () => {
    const { sim, driver } = await setup();
    const d = driver as FirmataDriver;
    const raised = nextEvent(d, "gpio.alarm");
    sim.control("temp", ["A0", "45"]);
    expect((await raised).data).toMatchObject({ code: "over_temperature", severity: "major", action: "raise", pin: "rack-temp", overC: 40 });
    await healthBecomes(driver, (h) => h.status === "degraded" && h.code === "over_temperature");
    const cleared = nextEvent(d, "gpio.alarm");
    sim.control("temp", ["A0", "30"]);
    expect((await cleared).data).toMatchObject({ code: "over_temperature", action: "clear", pin: "rack-temp" });
    await healthBecomes(driver, (h) => h.status === "ok");
    expect((await d.poll()).temperatures["rack-temp"]).toBeCloseTo(29.8, 1);
  });

  it("a board that never completes the handshake: health unreachable/handshake_timeout, then recovers", async () => {
    const { sim, driver } = await setup({ ...BASE, handshakeTimeoutMs: 400 }, (s) => {
      s.control("nohandshake", ["on"]);
    });
    expect(driver.health).toMatchObject({ status: "unreachable", code: "handshake_timeout" });
    await expect(driver.poll()).rejects.toMatchObject({ code: "not_connected" });
    sim.control("nohandshake", ["off"]);
    await healthBecomes(driver, (h) => h.status === "ok");
    expect(sim.board.outputs()[7]).toBe(1);
  });

  it("pins the board cannot serve: health fault/bad_config naming the pin", async () => {
    const { driver } = await setup({ ...BASE, pins: { "rack-power": { relay: 7 }, ghost: { relay: 25 } } });
    expect(driver.health).toMatchObject({ status: "fault", code: "bad_config" });
    expect(driver.health.message).toContain('pin "ghost"');
    expect(driver.health.message).toContain("25");
  });

  it("a pin without the needed mode (0 is the serial RX pin) is refused the same way", async () => {
    const { driver } = await setup({ ...BASE, pins: { lamp: { led: 0 } } });
    expect(driver.health).toMatchObject({ status: "fault", code: "bad_config" });
    expect(driver.health.message).toMatch(/pin "lamp": pin 0 cannot be an led .*modes: none/);
  });

  it("malformed sysex from the board is counted and reported, and the board keeps working", async () => {
    const { sim, driver } = await setup();
    const d = driver as FirmataDriver;
    const garbled = nextEvent(d, "garbled_frame");
    sim.faults.garbage = true;
    expect((await garbled).data).toMatchObject({ reason: "malformed", bytes: "f079f7" });
    await driver.actions["relay.set"]!.run({ name: "rack-power", on: false }, actionContext());
    expect(sim.board.outputs()[7]).toBe(0);
    const state = await driver.poll();
    expect(state.garbledFrames).toBeGreaterThan(0);
    expect(driver.health.status).toBe("ok");
  });

  it("led.blink toggles the lamp until led.set", async () => {
    const { sim, driver } = await setup();
    const levels: number[] = [];
    const enough = new Promise<void>((resolve) => {
      sim.onOutput((pin, v) => {
        if (pin !== 13) return;
        levels.push(v);
        if (levels.length >= 4) resolve();
      });
    });
    await driver.actions["led.blink"]!.run({ name: "on-air", ms: 50 }, actionContext());
    await enough;
    expect(levels.slice(0, 4)).toEqual([1, 0, 1, 0]);
    expect((await driver.poll()).leds).toEqual({ "on-air": "blinking" });
    await driver.actions["led.set"]!.run({ name: "on-air", on: true }, actionContext());
    expect(sim.board.outputs()[13]).toBe(1);
    expect((await driver.poll()).leds).toEqual({ "on-air": "on" });
  });

  it("a board reset (banner mid-run) restores pin modes and outputs", async () => {
    const { sim, driver } = await setup();
    const restored = new Promise<void>((resolve) => sim.onOutput((pin, v) => pin === 7 && v === 1 && resolve()));
    sim.control("reset", []);
    expect(sim.board.outputs()[7]).toBe(0); // the reset dropped the relay
    expect(sim.board.pinMode(2)).toBe(0x01);
    await restored;
    await driver.poll(); // the setup went out before the relay write; the poll's answer comes after it
    expect(sim.board.pinMode(2)).toBe(0x0b);
  });
});
