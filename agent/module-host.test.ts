/**
 * The module host's rules with modules reduced to what they declare and record: start in order,
 * stop in reverse, a broken module skipped with its actions, duplicates refused before anything
 * starts, listeners gone after stop, an undeclared event type logged once.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ModuleHost, type BaseContext } from "./module-host.js";
import { ModuleConflictError, type AgentModule, type ModuleContext } from "./module.js";
import { AlarmManager } from "./alarms.js";
import { builtInModules } from "./modules/index.js";
import { siteConfigSchema } from "../config/site.js";
import { DeviceError } from "../drivers/types.js";
import { fakeClock } from "../test/helpers/clock.js";
import { memoryLogger } from "../test/helpers/logger.js";

const config = siteConfigSchema.parse({
  site: "s1",
  broker: { url: "mqtt://127.0.0.1:1883" },
  rooms: { hall: { secure: { encryptor: "enc-1" } } },
  devices: { "enc-1": { kind: "crypto", protocol: "enc1", room: "hall", transport: { type: "tcp", host: "127.0.0.1", port: 1 } } },
});

function base(): BaseContext {
  const clock = fakeClock();
  const nobody = () => Promise.reject(new DeviceError("unknown_device", "no devices here"));
  return {
    site: "s1", config, bootSeq: 1, startedAt: 0, clock,
    alarms: new AlarmManager({ site: "s1", clock, logger: memoryLogger(), sink: { retained: () => undefined, event: () => undefined } }),
    devices: { ids: () => [], has: () => false, health: () => undefined, state: () => undefined, read: nobody, run: nobody, runWithin: nobody, readiness: async () => undefined },
    connect: async () => 1,
    setRetained: () => undefined,
    republish: () => undefined,
    verify: async () => [],
  };
}

/** A module that records its calls into `log`; `fail` makes its start throw. */
function recorder(name: string, log: string[], opts: { actions?: string[]; fail?: boolean; events?: string[] } = {}): AgentModule & { ctx?: ModuleContext } {
  const m: AgentModule & { ctx?: ModuleContext } = {
    name,
    events: opts.events ?? [],
    actions: (ctx) => {
      m.ctx = ctx;
      return Object.fromEntries((opts.actions ?? [`${name}.do`]).map((a) => [a, { description: a, args: z.strictObject({}), run: async () => ({ by: name }) }]));
    },
    start: async () => {
      log.push(`start ${name}`);
      if (opts.fail) throw new Error(`${name} cannot start`);
    },
    stop: async () => {
      log.push(`stop ${name}`);
    },
  };
  return m;
}

function host(modules: AgentModule[]) {
  const logger = memoryLogger();
  const events: string[] = [];
  const h = new ModuleHost({ modules, base: base(), logger, publishEvent: (type) => events.push(type) });
  return { h, logger, events };
}

describe("agent modules", () => {
  it("start in order, stop in reverse; a module whose start throws is logged, released and left out", async () => {
    const log: string[] = [];
    const { h, logger } = host([recorder("a", log), recorder("b", log, { fail: true }), recorder("c", log)]);
    h.declare();
    await h.start();
    expect(log).toEqual(["start a", "start b", "stop b", "start c"]);
    expect(logger.records).toContainEqual(expect.objectContaining({ level: "error", obj: { module: "b", err: "b cannot start" } }));
    expect(Object.keys(h.target().actions)).toEqual(["a.do", "c.do"]);
    expect(Object.keys(h.meta().actions)).toEqual(["a.do", "c.do"]);
    await expect(h.target().run("c.do", {}, { signal: new AbortController().signal, deadline: 1 })).resolves.toEqual({ by: "c" });
    await h.stop();
    expect(log.slice(4)).toEqual(["stop c", "stop a"]);
    expect(h.target().actions).toEqual({});
  });

  it("a module whose actions() throws is logged and left out before anything starts", async () => {
    const log: string[] = [];
    const bad: AgentModule = { ...recorder("bad", log), actions: () => { throw new Error("schema bug"); } };
    const { h, logger } = host([bad, recorder("ok", log)]);
    h.declare();
    await h.start();
    expect(log).toEqual(["start ok"]);
    expect(Object.keys(h.meta().actions)).toEqual(["ok.do"]);
    expect(logger.records).toContainEqual(expect.objectContaining({ level: "error", obj: { module: "bad", err: "schema bug" } }));
  });

  it("refuses two modules declaring one action before any starts, naming both", async () => {
    const log: string[] = [];
    const { h } = host([recorder("alarms", log, { actions: ["alarm.ack"] }), recorder("codec", log, { actions: ["codec.mute", "alarm.ack"] })]);
    expect(() => h.declare()).toThrow(ModuleConflictError);
    expect(() => h.declare()).toThrow('agent action "alarm.ack" is declared by two modules: alarms and codec');
    expect(log).toEqual([]);
    expect(() => host([recorder("x", log), recorder("x", log, { actions: ["y"] })]).h.declare()).toThrow(expect.objectContaining({ code: "duplicate_module" }));
  });

  it("the built-in modules claim distinct actions, and remove their device-state listeners in stop", async () => {
    const { h } = host(builtInModules());
    h.declare();
    await h.start();
    // The secure-session interlock hears every device state; the codec module every state and event.
    expect(h.listenerCount).toEqual({ state: 2, event: 1 });
    h.deviceState("enc-1", { secure: false, state: "TUNNEL_DOWN" });
    await h.stop();
    expect(h.listenerCount).toEqual({ state: 0, event: 0 });
  });

  it("hands every driver event to the modules that listen, in order; one listener's throw is logged and the next still hears it", async () => {
    const log: string[] = [];
    const heard: string[] = [];
    const a = recorder("a", log);
    const b = recorder("b", log);
    const { h, logger } = host([a, b]);
    h.declare();
    await h.start();
    const offA = a.ctx!.onDeviceEvent(() => {
      throw new Error("listener bug");
    });
    const offB = b.ctx!.onDeviceEvent((device, e) => heard.push(`${device} ${e.type} ${JSON.stringify(e.data)}`));
    h.deviceEvent("codec-1", { type: "call.ended", data: { callId: "7", local: false } });
    expect(heard).toEqual(['codec-1 call.ended {"callId":"7","local":false}']);
    expect(logger.records).toContainEqual(expect.objectContaining({ level: "error", obj: { device: "codec-1", type: "call.ended", err: "listener bug" } }));
    offA();
    offB();
    expect(h.listenerCount).toEqual({ state: 0, event: 0 });
    await h.stop();
  });

  it("logs an event type a module did not declare, once", () => {
    const log: string[] = [];
    const m = recorder("m", log, { events: ["m.done"] });
    const { h, logger, events } = host([m]);
    h.declare();
    m.ctx!.publishEvent("m.done", {});
    m.ctx!.publishEvent("m.other", {});
    m.ctx!.publishEvent("m.other", {});
    expect(events).toEqual(["m.done", "m.other", "m.other"]);
    expect(logger.records.filter((r) => r.level === "warn").map((r) => r.obj)).toEqual([{ module: "m", type: "m.other" }]);
  });
});
