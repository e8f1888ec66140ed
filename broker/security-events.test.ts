import { describe, expect, it } from "vitest";
import { fakeClock } from "../test/helpers/clock.js";
import { memoryLogger } from "../test/helpers/logger.js";
import { SECURITY_TOPIC, SecurityEvents, SecurityEventSchema, type SecurityEvent } from "./security-events.js";

function setup(o: { ratePerSecond?: number; burst?: number; summaryIntervalMs?: number } = {}) {
  const clock = fakeClock();
  const published: SecurityEvent[] = [];
  const events = new SecurityEvents({
    publish: (topic, payload) => {
      expect(topic).toBe(SECURITY_TOPIC);
      published.push(SecurityEventSchema.parse(JSON.parse(payload.toString("utf8"))));
    },
    broker: "central-1",
    clock,
    logger: memoryLogger(),
    ratePerSecond: o.ratePerSecond ?? 1,
    burst: o.burst ?? 3,
    summaryIntervalMs: o.summaryIntervalMs ?? 60_000,
  });
  return { clock, published, events };
}

describe("the broker's security events", () => {
  it("publishes refusals and denials as they happen, each with an id unique to this broker", () => {
    const { clock, published, events } = setup();
    events.authFailed({ reason: "bad_credentials", user: "op-anna", clientId: "console-1", remoteAddress: "10.0.0.5", listener: "tcp" }, "op-anna");
    events.aclDenied({ access: "publish", topic: "roomgate/v1/s1/cmd/op-bob", user: "op-anna", role: "operator", clientId: "console-1" }, "op-anna");
    expect(published).toEqual([
      { id: `${clock.now()}-1`, ts: clock.now(), type: "auth.failed", broker: "central-1", data: { reason: "bad_credentials", user: "op-anna", clientId: "console-1", remoteAddress: "10.0.0.5", listener: "tcp" } },
      { id: `${clock.now()}-2`, ts: clock.now(), type: "acl.denied", broker: "central-1", data: { access: "publish", topic: "roomgate/v1/s1/cmd/op-bob", user: "op-anna", role: "operator", clientId: "console-1" } },
    ]);
  });

  it("holds a storm back over the rate and summarises it once per interval, by type and source", async () => {
    const { clock, published, events } = setup({ ratePerSecond: 1, burst: 3, summaryIntervalMs: 60_000 });
    const start = clock.now();
    for (let i = 0; i < 1000; i++) events.authFailed({ reason: "bad_credentials", unknownUser: true, remoteAddress: "10.9.9.9" }, "10.9.9.9");
    for (let i = 0; i < 5; i++) events.aclDenied({ access: "subscribe", topic: "#", user: "mon-1", role: "monitor" }, "mon-1");
    expect(published).toHaveLength(3); // the burst
    await clock.tickAsync(59_999);
    expect(published).toHaveLength(3);
    await clock.tickAsync(1);
    expect(published).toHaveLength(4);
    expect(published[3]).toMatchObject({
      type: "security.suppressed",
      ts: start + 60_000,
      data: { from: start, to: start + 60_000, counts: { "auth.failed": 997, "acl.denied": 5 }, top: [{ key: "10.9.9.9", count: 997 }, { key: "mon-1", count: 5 }], others: 0 },
    });
    // After the window the bucket has refilled: one event is published at once again.
    events.aclDenied({ access: "publish", topic: "x", user: "mon-1", role: "monitor" }, "mon-1");
    expect(published.at(-1)?.type).toBe("acl.denied");
  });

  it("bounds what it remembers of a storm from many sources", async () => {
    const { clock, published, events } = setup({ ratePerSecond: 1, burst: 1 });
    for (let i = 0; i < 5001; i++) events.authFailed({ reason: "bad_credentials", unknownUser: true, remoteAddress: `10.0.${i >> 8}.${i & 255}` }, `10.0.${i >> 8}.${i & 255}`);
    await clock.tickAsync(60_000);
    const summary = published.at(-1)!;
    expect(summary.type).toBe("security.suppressed");
    const data = summary.data as { top: unknown[]; others: number; counts: Record<string, number> };
    expect(data.counts["auth.failed"]).toBe(5000);
    expect(data.top).toHaveLength(10);
    expect(data.others).toBe(4990);
  });

  it("publishes what it held back when the broker stops, and nothing after", () => {
    const { published, events } = setup({ burst: 1 });
    events.authFailed({ reason: "no_username" }, "a");
    events.authFailed({ reason: "no_username" }, "a");
    events.stop();
    expect(published.map((e) => e.type)).toEqual(["auth.failed", "security.suppressed"]);
    events.authFailed({ reason: "no_username" }, "a");
    expect(published).toHaveLength(2);
  });

  it("cuts a huge denied topic", () => {
    const { published, events } = setup();
    events.aclDenied({ access: "publish", topic: "x/".repeat(5000), user: "u", role: "operator" }, "u");
    expect((published[0]!.data as { topic: string }).topic).toHaveLength(1024);
  });
});
