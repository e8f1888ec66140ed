import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AlarmManager } from "./alarms.js";
import { fakeClock } from "../test/helpers/clock.js";
import { memoryLogger } from "../test/helpers/logger.js";
import type { Alarm } from "./topics.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function manager(stateDir?: string) {
  const retained = new Map<string, Alarm | null>();
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const clock = fakeClock();
  const m = new AlarmManager({
    site: "s1", stateDir, clock, logger: memoryLogger(),
    sink: { retained: (id, a) => retained.set(id, a), event: (type, _d, data) => events.push({ type, data }) },
  });
  return { m, retained, events, clock };
}

describe("AlarmManager", () => {
  it("raises once, updates on change keeping raisedAt, clears with an empty retained payload", async () => {
    const { m, retained, events, clock } = manager();
    expect(m.raise({ id: "cam-health", source: "health", severity: "major", code: "timeout", device: "cam", message: "cam unreachable" })).toBe(true);
    expect(m.raise({ id: "cam-health", source: "health", severity: "major", code: "timeout", device: "cam", message: "cam unreachable" })).toBe(false);
    const first = retained.get("cam-health")!;
    await clock.tickAsync(5000);
    m.raise({ id: "cam-health", source: "health", severity: "minor", code: "nak", device: "cam", message: "cam degraded" });
    expect(retained.get("cam-health")).toMatchObject({ severity: "minor", raisedAt: first.raisedAt });
    expect(m.clear("cam-health")).toBe(true);
    expect(m.clear("cam-health")).toBe(false);
    expect(retained.get("cam-health")).toBeNull();
    expect(events.map((e) => e.type)).toEqual(["alarm.raised", "alarm.raised", "alarm.cleared"]);
  });

  it("records the acknowledging user, and refuses an alarm that is not active", () => {
    const { m, retained, events } = manager();
    m.raise({ id: "hall-not-secure", source: "session", severity: "critical", code: "not_secure", message: "BYPASS" });
    m.ack("hall-not-secure", "op-anna");
    expect(retained.get("hall-not-secure")!.ack).toMatchObject({ user: "op-anna" });
    expect(events.at(-1)).toMatchObject({ type: "alarm.acked", data: { user: "op-anna" } });
    expect(() => m.ack("nope", "op-anna")).toThrow(/no active alarm "nope"/);
  });

  it("survives a restart with raisedAt and ack; a damaged file starts empty without throwing", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-alarms-"));
    dirs.push(dir);
    const a = manager(dir);
    a.m.raise({ id: "enc-1-tamper", source: "device", severity: "critical", code: "TAMPER", device: "enc-1", message: "tamper" });
    a.m.ack("enc-1-tamper", "op-binh");
    const b = manager(dir);
    expect(b.m.list()).toHaveLength(1);
    expect(b.m.get("enc-1-tamper")!.alarm).toEqual(a.m.get("enc-1-tamper")!.alarm);
    b.m.publishAll();
    expect(b.retained.get("enc-1-tamper")).toMatchObject({ code: "TAMPER", ack: { user: "op-binh" } });
    b.m.reconcile("device", "enc-1", new Set());
    expect(manager(dir).m.list()).toEqual([]);
    writeFileSync(path.join(dir, "s1.alarms.json"), "{not json");
    expect(manager(dir).m.list()).toEqual([]);
  });
});
