/**
 * The outbox's bounds and drop policy (issue 9): what is kept when the broker stays away too long,
 * and that the count of what was dropped survives a restart and is reported exactly once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MqttSession, type SessionOptions } from "./mqtt-session.js";
import { startBroker } from "../broker/server.js";
import { fakeClock } from "../test/helpers/clock.js";
import { memoryLogger } from "../test/helpers/logger.js";
import { Watcher } from "../test/helpers/mqtt.js";
import { systemClock } from "../drivers/clock.js";

const EVENT = "roomgate/v1/s1/event";
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function session(over: Partial<SessionOptions> = {}): MqttSession {
  let n = 0;
  const s = new MqttSession({
    url: "mqtt://127.0.0.1:1",
    clientId: "roomgate-agent-s1",
    keepaliveSec: 5,
    will: { topic: "roomgate/v1/s1/agent/state", payload: { state: "lost" } },
    outboxLimit: 100,
    eventTopic: EVENT,
    eventId: () => `9-${++n}`,
    logger: memoryLogger(),
    clock: fakeClock(),
    ...over,
  });
  cleanups.push(() => s.stop());
  return s;
}

const names = (s: MqttSession): string[] => s.owed.map((m) => String(m.payload.id ?? m.payload.type));

describe("outbox drop policy", () => {
  it("drops the oldest ordinary event first; alarms, audit and responses only when nothing else is left", () => {
    const s = session({ outboxLimit: 3 });
    s.publishOwed(EVENT, { type: "health", n: 1 });
    s.publishOwed(EVENT, { type: "alarm.raised", n: 2 });
    s.publishOwed(EVENT, { type: "driver", n: 3 });
    s.publishOwed("roomgate/v1/s1/res/op-anna", { id: "c-1", status: "ok" });
    expect(names(s)).toEqual(["alarm.raised", "driver", "c-1"]);
    s.publishOwed(EVENT, { type: "command", n: 5 });
    expect(names(s)).toEqual(["alarm.raised", "c-1", "command"]);
    s.publishOwed(EVENT, { type: "alarm.cleared", n: 6 });
    expect(names(s)).toEqual(["c-1", "command", "alarm.cleared"]);
    expect(s.droppedUnreported).toEqual({ full: 3, age: 0 });
  });

  it("bounds the outbox by bytes as well as by count", () => {
    const s = session({ outboxMaxBytes: 3_500 });
    for (let i = 0; i < 6; i++) s.publishOwed(EVENT, { type: "driver", i, pad: "x".repeat(1000) });
    expect(s.owed.map((m) => m.payload.i)).toEqual([3, 4, 5]);
    expect(s.droppedUnreported.full).toBe(3);
  });

  it("drops what is older than the age bound, whatever its priority", async () => {
    const clock = fakeClock();
    const s = session({ clock, outboxMaxAgeMs: 60_000 });
    s.publishOwed(EVENT, { type: "alarm.raised", n: 1 });
    await clock.tickAsync(30_000);
    s.publishOwed(EVENT, { type: "health", n: 2 });
    await clock.tickAsync(30_001);
    s.publishOwed(EVENT, { type: "health", n: 3 });
    expect(s.owed.map((m) => m.payload.n)).toEqual([2, 3]);
    expect(s.droppedUnreported).toEqual({ full: 0, age: 1 });
  });
});

describe("the drop count across a restart", () => {
  it("survives kill -9 (a new session on the same disk), is reported once the broker is back, then never again", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-drops-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = session({ outboxLimit: 2, outboxDir: dir, clock: systemClock });
    for (let i = 1; i <= 5; i++) first.publishOwed(EVENT, { id: `1-${i}`, type: "driver" });
    expect(names(first)).toEqual(["1-4", "1-5"]);
    // No clean stop: the process dies. The log is all the next run has.
    (first as unknown as { log: { close(): void } }).log.close();
    cleanups.pop();

    const broker = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger() });
    cleanups.push(() => broker.close());
    const second = session({ url: broker.url, outboxLimit: 2, outboxDir: dir, clock: systemClock });
    expect(names(second)).toEqual(["1-4", "1-5"]);
    expect(second.droppedUnreported).toEqual({ full: 3, age: 0 });
    const w = await Watcher.connect(broker.url, EVENT);
    cleanups.push(() => w.close());
    second.start();
    const notice = await w.waitFor((m) => m.json.type === "outbox.overflow");
    expect(notice.json).toMatchObject({ id: "9-1", type: "outbox.overflow", data: { dropped: 3, full: 3, age: 0 } });
    await new Promise<void>((resolve) => (second.outboxSize === 0 ? resolve() : second.once("drained", () => resolve())));
    expect(w.seen.map((m) => m.json.id)).toEqual(["1-4", "1-5", "9-1"]);
    await second.stop();
    cleanups.pop();

    const third = session({ outboxDir: dir });
    expect(third.droppedUnreported).toEqual({ full: 0, age: 0 });
    expect(third.outboxSize).toBe(0);
  });
});
