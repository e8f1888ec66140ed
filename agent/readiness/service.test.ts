/**
 * The check's rules with the devices replaced by functions (pure: deadlines, busy, skips): a
 * device that never answers fails by the deadline and the check still ends then.
 */
import { describe, expect, it } from "vitest";
import { ReadinessService } from "./service.js";
import { siteConfigSchema } from "../../config/site.js";
import { DeviceError } from "../../drivers/types.js";
import { ReadinessSchema } from "../topics.js";
import { readiness as visca } from "../../drivers/visca/readiness.js";
import type { CheckDeps } from "./check.js";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";

const config = siteConfigSchema.parse({
  site: "s1",
  broker: { url: "mqtt://127.0.0.1:1883" },
  readiness: { deadlineMs: 5000, deviceTimeoutMs: 4000 },
  rooms: { hall: { profile: { devices: { good: { power: "on" }, hung: { power: "on" }, off: { power: "on" } } } } },
  devices: Object.fromEntries(["good", "hung", "off"].map((id, i) => [id, { kind: "camera", protocol: "visca", transport: { type: "udp", host: "127.0.0.1", port: 1000 + i } }])),
});

function setup(modules: CheckDeps["modules"] = undefined) {
  const clock = fakeClock();
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const retained: unknown[] = [];
  const svc = new ReadinessService({
    config, clock, logger: memoryLogger(), bootSeq: 7,
    read: (device) => {
      if (device === "good") return Promise.resolve({ power: "on" });
      if (device === "off") return Promise.reject(new DeviceError("not_connected", "off is not running (health unreachable/transport_closed)"));
      return new Promise(() => undefined); // hung: never answers, never rejects
    },
    spec: async () => visca,
    connect: async () => 1,
    runAction: async () => undefined,
    retain: (r) => retained.push(r),
    event: (type, data) => events.push({ type, data }),
    ...(modules ? { modules } : {}),
  });
  return { clock, svc, events, retained };
}

describe("readiness check rules", () => {
  it("a device that never answers is a failed item with unreachable, and the check ends at its deadline", async () => {
    const { clock, svc, retained, events } = setup();
    const run = svc.run({ user: "tech-minh" });
    await clock.tickAsync(5000);
    const r = await run;
    expect(r.durationMs).toBe(5000);
    expect(ReadinessSchema.safeParse(r).success).toBe(true);
    const by = Object.fromEntries(r.checks.map((i) => [i.id, `${i.result}${i.code ? `/${i.code}` : ""}`]));
    expect(by).toEqual({
      "good.answers": "pass", "good.power": "pass",
      "hung.answers": "fail/unreachable", "hung.power": "fail/unreachable",
      "off.answers": "fail/unreachable", "off.power": "skip/unreachable",
    });
    expect(r).toMatchObject({ id: "chk-7-1", result: "fail", requestedBy: "tech-minh", counts: { pass: 2, fail: 3, skip: 1 } });
    expect(retained).toEqual([r]);
    expect(events.map((e) => e.type)).toEqual(["readiness.started", ...Array(6).fill("readiness.item"), "readiness.finished"]);
  });

  it("a request while a check runs is answered busy with the running check's id", async () => {
    const { clock, svc } = setup();
    const first = svc.run();
    await expect(svc.run()).rejects.toMatchObject({ code: "busy", details: { running: "chk-7-1" } });
    await clock.tickAsync(5000);
    await first;
    const again = svc.run();
    await clock.tickAsync(5000);
    expect((await again).id).toBe("chk-7-2");
  });

  it("refuses rooms without a profile, naming the ones that have one", async () => {
    const { svc } = setup();
    await expect(svc.run({ rooms: ["lobby"] })).rejects.toMatchObject({ code: "invalid_args", message: expect.stringContaining("hall") });
  });

  it("judges the agent modules' own items beside the devices, under the same deadline", async () => {
    const { clock, svc, events } = setup(() => [
      {
        module: "codec-interlock",
        readiness: {
          plan: (room) => (room === "hall" ? [{ key: "registered", name: "codec registered" }] : []),
          evaluate: async () => [{ key: "registered", name: "codec registered", result: "fail", code: "not_registered", message: "codec is not registered" }],
        },
      },
      {
        module: "poe",
        readiness: {
          plan: () => [{ key: "ports", name: "PoE ports powered" }],
          evaluate: () => Promise.reject(new DeviceError("timeout", "the switch did not answer")),
        },
      },
      { module: "quiet", readiness: { plan: () => [], evaluate: async () => [] } },
    ]);
    const run = svc.run();
    await clock.tickAsync(5000);
    const r = await run;
    expect(ReadinessSchema.safeParse(r).success).toBe(true);
    const by = Object.fromEntries(r.checks.map((i) => [i.id, `${i.result}${i.code ? `/${i.code}` : ""}`]));
    expect(by).toMatchObject({ "codec-interlock.registered": "fail/not_registered", "poe.ports": "fail/timeout" });
    expect(Object.keys(by).filter((id) => id.startsWith("quiet."))).toEqual([]);
    const started = events.find((e) => e.type === "readiness.started")!.data.items as { id: string }[];
    expect(started.map((i) => i.id)).toEqual(expect.arrayContaining(["codec-interlock.registered", "poe.ports"]));
  });
});
