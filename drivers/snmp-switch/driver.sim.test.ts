/**
 * The switch driver against its simulator over real UDP: what an operator would see in state, the
 * PoE actions in the three vendor variants, protected ports, the durable intent of a power-cycle,
 * traps raising `{port}-down` at once, polling when a trap is lost, strangers' traps dropped, and
 * the secrets never leaving their files. Rates run on an injected clock shared with the simulator.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fileDurable } from "../../agent/durable.js";
import { startSnmpSwitchSimulator, type SnmpSwitchSimHandle, type SnmpSwitchSimSpec } from "../../simulators/snmp-switch/index.js";
import { DET } from "../../simulators/snmp-switch/model.js";
import { fakeClock } from "../../test/helpers/clock.js";
import { logged, memoryLogger } from "../../test/helpers/logger.js";
import { freePort } from "../../test/helpers/net.js";
import { actionContext, healthBecomes, nextEmitted } from "../conformance.js";
import { systemClock } from "../clock.js";
import { createTransport } from "../transport/index.js";
import type { Clock, DriverEvent, DurableStore } from "../types.js";
import { DeviceError } from "../types.js";
import { SnmpSwitchDriver, type SwitchState } from "./driver.js";

const COMMUNITY = "c0mmunity-under-test";
const AUTH = "auth-key-under-test";
const PRIV = "priv-key-under-test";
const SIM_PORTS = { codec: { ifIndex: 7, neighbour: "codec-1" }, "cam-main": { ifIndex: 5, neighbour: "cam-main" }, uplink: { ifIndex: 24, poe: false, neighbour: "core-sw" } };

interface Started {
  sim: SnmpSwitchSimHandle;
  driver: SnmpSwitchDriver;
  logger: ReturnType<typeof memoryLogger>;
  events: DriverEvent[];
  states: SwitchState[];
  start(durable?: DurableStore): Promise<SnmpSwitchDriver>;
}

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function secretsDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "roomgate-switch-"));
  writeFileSync(path.join(dir, "community"), `${COMMUNITY}\n`, { mode: 0o600 });
  writeFileSync(path.join(dir, "auth"), `${AUTH}\n`, { mode: 0o600 });
  writeFileSync(path.join(dir, "priv"), `${PRIV}\n`, { mode: 0o600 });
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function setup(o: { sim?: Partial<SnmpSwitchSimSpec>; options?: Record<string, unknown>; clock?: Clock; version?: "2c" | "3"; traps?: boolean } = {}): Promise<Started> {
  const dir = secretsDir();
  const clock = o.clock ?? systemClock;
  const trapPort = o.traps ? await freePort() : undefined;
  const sim = await startSnmpSwitchSimulator({
    communities: [COMMUNITY],
    users: [{ name: "rg", authKey: AUTH, privKey: PRIV }],
    ports: SIM_PORTS,
    detectMs: 20,
    bootMs: 20,
    ...(trapPort ? { trapTarget: { host: "127.0.0.1", port: trapPort } } : {}),
    clock,
    ...o.sim,
  });
  cleanups.push(() => sim.close());
  const logger = memoryLogger();
  const events: DriverEvent[] = [];
  const states: SwitchState[] = [];
  const secrets = (o.version ?? "2c") === "2c" ? { communityFile: path.join(dir, "community") } : { version: "3", user: "rg", authKeyFile: path.join(dir, "auth"), privKeyFile: path.join(dir, "priv") };
  const options = {
    ...secrets,
    ports: { codec: 7, "cam-main": 5, uplink: { ifIndex: 24, protected: true } },
    timeoutMs: 500,
    statusWatchMs: 20,
    ...(trapPort ? { trapPort, trapAddress: "127.0.0.1" } : {}),
    ...o.options,
  };
  const s: Started = {
    sim,
    driver: undefined as unknown as SnmpSwitchDriver,
    logger,
    events,
    states,
    async start(durable) {
      const driver = new SnmpSwitchDriver();
      driver.on("event", (e) => events.push(e));
      driver.on("state", (st) => states.push(st));
      const transport = await createTransport({ type: "udp", host: "127.0.0.1", port: sim.port }, { clock, logger });
      await driver.start({ deviceId: "access-switch", transport, logger, clock, signal: new AbortController().signal, options, ...(durable ? { durable } : {}) });
      cleanups.push(() => driver.stop());
      s.driver = driver;
      return driver;
    },
  };
  await s.start();
  return s;
}

/** The next driver event that matches (bounded). */
const nextEvent = (driver: SnmpSwitchDriver, match: (e: DriverEvent) => boolean, ms = 3000): Promise<DriverEvent> => nextEmitted(driver, "event", match, ms);

/** Resolves when the simulator's port `ifIndex` links up (its powered device has booted). */
function linkUp(sim: SnmpSwitchSimHandle, ifIndex: number, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (sim.model.off("link", on), reject(new Error(`port ${ifIndex} never linked up`))), ms);
    const on = (p: { ifIndex: number }, up: boolean) => {
      if (p.ifIndex !== ifIndex || !up) return;
      clearTimeout(timer);
      sim.model.off("link", on);
      resolve();
    };
    sim.model.on("link", on);
  });
}

/**
 * Resolves when the simulator's port `ifIndex` is not (false) or is (true) powering its load: at
 * once if it already is (an action that returned may have been overtaken by the simulator's
 * detection timer in a starved process), else on the change.
 */
function portPower(sim: SnmpSwitchSimHandle, ifIndex: number, powered: boolean, ms = 5000): Promise<void> {
  if ((sim.model.byIndex(ifIndex)!.poe!.detection === DET.deliveringPower) === powered) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`port ${ifIndex} never became powered=${powered}`))), ms);
    const off = sim.onPortPower((i, p) => {
      if (i !== ifIndex || p !== powered) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

const alarm = (code: string, action: "raise" | "clear") => (e: DriverEvent) => e.type === "port.alarm" && e.data?.code === code && e.data?.action === action;

describe("switch state, as an operator reads it", () => {
  it("each named port: admin/oper, speed, PoE detection and class, LLDP neighbour; the PSE's power", async () => {
    const { driver } = await setup();
    const s = await driver.poll();
    expect(s.sysDescr).toMatch(/simulated access switch/);
    expect(s.ports.codec).toMatchObject({ ifIndex: 7, admin: "up", oper: "up", speedMbps: 1000, poe: { enabled: true, detection: "deliveringPower", class: 3 }, neighbour: { sysName: "codec-1", portId: "eth0", chassisId: "02:00:00:00:00:01" } });
    expect(s.ports.uplink).toMatchObject({ ifIndex: 24, protected: true, oper: "up", poe: null, neighbour: { sysName: "core-sw" } });
    expect(s.pse).toEqual({ powerW: 370, consumptionW: 30, status: "on" });
    expect(s.alarms).toEqual([]);
  });

  it("rates per second from counter deltas: errors through a 32-bit wrap, octets from the 64-bit counters", async () => {
    const clock = fakeClock();
    const { sim, driver } = await setup({ clock, sim: { counterStart: 4_294_967_200, trafficBps: 8_000_000 } });
    sim.control("errors", ["codec", "20"]);
    const first = await driver.poll();
    expect(first.ports.codec!.inErrorsPerSec).toBeNull(); // one read: no rate yet
    await clock.tickAsync(10_000);
    const s = await driver.poll();
    expect(s.ports.codec).toMatchObject({ inErrorsPerSec: 20, outErrorsPerSec: 10, inDiscardsPerSec: 0, hcCounters: true, inBitsPerSec: 8_000_000 });
    expect(sim.model.byIndex(7)!.counters.inErrors).toBeLessThan(4_294_967_200); // it did wrap
    expect(driver.health).toMatchObject({ status: "degraded", code: "port_errors" });
    expect(driver.health.message).toMatch(/codec 30 errors\/s \(threshold 1\/s\)/);
  });

  it("without ifHC* counters the 32-bit octet counters are used (and said so)", async () => {
    const clock = fakeClock();
    const { driver } = await setup({ clock, sim: { hcCounters: false, trafficBps: 800_000 } });
    await driver.poll();
    await clock.tickAsync(5_000);
    const s = await driver.poll();
    expect(s.ports.codec).toMatchObject({ hcCounters: false, inBitsPerSec: 800_000 });
  });
});

describe("PoE actions in each vendor variant", () => {
  for (const variant of ["rfc3621", "huawei", "cisco"] as const) {
    it(`${variant}: poe.set off and on, and port.powercycle (off, offMs, on, deliveringPower)`, async () => {
      const simPorts = variant === "cisco" ? { codec: { ifIndex: 10107 }, "cam-main": { ifIndex: 10105 }, uplink: { ifIndex: 10124, poe: false } } : SIM_PORTS;
      const ports = variant === "cisco" ? { codec: 10107, "cam-main": 10105, uplink: { ifIndex: 10124, protected: true } } : undefined;
      const { sim, driver } = await setup({ sim: { variant, ports: simPorts }, options: { variant, ...(ports ? { ports } : {}) } });
      const cam = sim.model.byName("cam-main")!;
      expect((await driver.poll()).ports["cam-main"]!.poe).toMatchObject({ enabled: true, detection: "deliveringPower" });
      await driver.actions["poe.set"]!.run({ port: "cam-main", on: false }, actionContext());
      expect(cam.poe).toMatchObject({ enable: false, detection: 1 });
      expect((await driver.poll()).ports["cam-main"]!.poe).toMatchObject({ enabled: false, detection: "disabled" });
      await driver.actions["poe.set"]!.run({ port: "cam-main", on: true }, actionContext());
      await portPower(sim, cam.ifIndex, true);

      const seen: boolean[] = [];
      const off = sim.onPortPower((i, p) => i === cam.ifIndex && seen.push(p));
      const r = (await driver.actions["port.powercycle"]!.run({ port: "cam-main", offMs: 300 }, actionContext())) as Record<string, number>;
      off();
      expect(seen).toEqual([false, true]);
      expect(r).toMatchObject({ port: "cam-main", offMs: 300 });
      expect(r.deliveringAfterMs).toBeGreaterThanOrEqual(0);
      expect(cam.poe!.detection).toBe(3);
    });
  }

  it("a protected port refuses every action that could cut it, with the reason; powering it is allowed", async () => {
    const { sim, driver } = await setup();
    for (const [action, args] of [["poe.set", { port: "uplink", on: false }], ["port.powercycle", { port: "uplink", offMs: 1000 }]] as const) {
      const err = await driver.actions[action]!.run(driver.actions[action]!.args.parse(args), actionContext()).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(DeviceError);
      expect(err).toMatchObject({ code: "invalid_args", message: expect.stringMatching(/port uplink is protected .* could cut it/) });
    }
    expect(sim.model.byIndex(24)!.linked).toBe(true);
    await expect(driver.actions["poe.set"]!.run({ port: "nope", on: true }, actionContext())).rejects.toMatchObject({ code: "invalid_args", message: expect.stringMatching(/no port "nope"; named ports: codec, cam-main, uplink/) });
  });
});

describe("a power-cycle survives the agent dying half-way", () => {
  it("the intent is on disk before the port goes off; a new driver start switches the port back on", async () => {
    const { sim, driver, start, logger, events } = await setup();
    const dir = mkdtempSync(path.join(os.tmpdir(), "roomgate-durable-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "site.durable", "access-switch.json");
    await driver.stop();
    const first = await start(fileDurable(file, logger));
    const cut = portPower(sim, 5, false);
    const abort = new AbortController();
    const cycle = first.actions["port.powercycle"]!.run({ port: "cam-main", offMs: 60_000 }, { signal: abort.signal, deadline: Date.now() + 120_000 }).catch((e: unknown) => e);
    await cut;
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ version: 1, cycles: [{ port: "cam-main", ifIndex: 5 }] });
    expect((await first.poll()).cycling).toEqual(["cam-main"]);
    // The agent dies: nothing more comes from this driver (stopped before its wait ends).
    await first.stop();
    abort.abort();
    expect(await cycle).toBeInstanceOf(DeviceError);
    expect(sim.model.byIndex(5)!.poe!.enable).toBe(false);

    const back = portPower(sim, 5, true);
    const second = await start(fileDurable(file, logger));
    await back;
    expect(sim.model.byIndex(5)!.poe!.enable).toBe(true);
    await logged(logger.records, (r) => r.msg === "PoE switched back on after an unfinished power-cycle", 3000);
    expect(events.some((e) => e.type === "poe.restored" && e.data?.port === "cam-main")).toBe(true);
    expect(second.health.status).toBe("ok");
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ version: 1, cycles: [] });
  });
});

describe("link alarms: traps at once, polling as the fallback", () => {
  it("a linkDown trap raises {port}-down at once (no poll), the linkUp clears it", async () => {
    const { sim, driver } = await setup({ traps: true });
    await driver.poll();
    const raised = nextEvent(driver, alarm("codec-down", "raise"));
    sim.control("cable", ["codec", "off"]);
    expect((await raised).data).toEqual({ code: "codec-down", severity: "major", action: "raise" });
    const cleared = nextEvent(driver, alarm("codec-down", "clear"));
    sim.control("cable", ["codec", "on"]);
    await cleared;
    expect((await driver.poll()).traps).toMatchObject({ listening: true, received: 2, dropped: 0 });
  });

  it("a lost trap: the next poll raises the alarm, and clears it when the port is back", async () => {
    const { sim, driver, events } = await setup({ traps: true });
    await driver.poll();
    sim.control("traps", ["off"]);
    sim.control("cable", ["codec", "off"]);
    expect(events.filter((e) => e.type === "port.alarm")).toEqual([]);
    expect((await driver.poll()).alarms).toEqual(["codec-down"]);
    expect(events.some(alarm("codec-down", "raise"))).toBe(true);
    sim.control("cable", ["codec", "on"]);
    expect((await driver.poll()).alarms).toEqual([]);
    expect(events.some(alarm("codec-down", "clear"))).toBe(true);
    expect(sim.trapsSent.lost).toBe(2);
  });

  it("a trap with the wrong community, or from a stranger's address, is dropped and counted", async () => {
    const { sim, driver, logger, events } = await setup({ traps: true });
    const down = [{ oid: "1.3.6.1.2.1.2.2.1.1.7", type: 2, value: 7 }];
    await sim.sendTrap("1.3.6.1.6.3.1.1.5.3", down, { community: "guess" });
    await sim.sendTrap("1.3.6.1.6.3.1.1.5.3", down, { sourceAddress: "127.0.0.2" });
    await logged(logger.records, (r) => r.msg === "trap dropped" && /stranger/.test(JSON.stringify(r.obj)), 3000, "the stranger's trap dropped");
    await logged(logger.records, (r) => r.msg === "trap dropped" && /community/.test(JSON.stringify(r.obj)), 3000, "the wrong community's trap dropped");
    expect(events.filter((e) => e.type === "port.alarm")).toEqual([]);
    expect((await driver.poll()).traps).toMatchObject({ received: 0, dropped: 2 });
  });

  it("PoE faults and power denied raise alarms that clear when the port delivers again", async () => {
    const { sim, driver } = await setup();
    await driver.poll();
    sim.control("poe", ["cam-main", "denied"]);
    expect((await driver.poll()).alarms).toEqual(["cam-main-down", "cam-main-poe-denied"]);
    const camBack = linkUp(sim, 5);
    sim.control("poe", ["cam-main", "ok"]);
    await camBack;
    sim.control("poe", ["codec", "overload"]);
    expect((await driver.poll()).alarms).toEqual(["codec-down", "codec-poe-fault"]);
    const codecBack = linkUp(sim, 7);
    sim.control("poe", ["codec", "ok"]);
    await codecBack;
    expect((await driver.poll()).alarms).toEqual([]);
    expect(driver.health.status).toBe("ok");
  });
});

describe("credentials and bad replies", () => {
  it("SNMPv3: credentials the switch refuses are fault/auth_failed; fixed, it comes back by itself", async () => {
    const { sim, driver } = await setup({ version: "3" });
    expect(driver.health.status).toBe("ok");
    sim.control("credentials", ["wrong"]);
    await expect(driver.poll()).rejects.toMatchObject({ code: "device_error", details: { snmp: "auth_failed" } });
    expect(driver.health).toMatchObject({ status: "fault", code: "auth_failed" });
    sim.control("credentials", ["right"]);
    await healthBecomes(driver, (h) => h.status === "ok");
  });

  it("a truncated reply is a coded error (malformed_reply), never a crash", async () => {
    const { sim, driver } = await setup();
    sim.faults.garbage = true;
    await expect(driver.poll()).rejects.toMatchObject({ code: "device_error", details: { snmp: "malformed" } });
    expect(driver.health).toMatchObject({ status: "degraded", code: "malformed_reply" });
    sim.faults.garbage = false;
    await healthBecomes(driver, (h) => h.status === "ok");
  });

  it("the community and v3 keys appear in no log line, state, event, health or error", async () => {
    const seen: unknown[] = [];
    for (const version of ["2c", "3"] as const) {
      const { sim, driver, logger, events, states } = await setup({ version, traps: version === "2c" });
      const healths: unknown[] = [];
      driver.on("health", (h) => healths.push(h));
      await driver.poll();
      sim.control("credentials", ["wrong"]);
      seen.push(await driver.poll().catch((e: unknown) => ({ message: (e as Error).message, details: (e as DeviceError).details })));
      sim.control("credentials", ["right"]);
      await healthBecomes(driver, (h) => h.status === "ok");
      await driver.actions["poe.set"]!.run({ port: "codec", on: true }, actionContext());
      seen.push(logger.records, events, states, healths, await driver.poll());
    }
    const text = JSON.stringify(seen);
    expect(text.length).toBeGreaterThan(1000);
    for (const secret of [COMMUNITY, AUTH, PRIV]) expect(text).not.toContain(secret);
  });
});
