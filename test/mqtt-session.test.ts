/**
 * The agent's MQTT session against a real broker: what a monitoring script sees across a broker
 * outage (retained topics republished, owed events replayed with `historical: true`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startBroker } from "../broker/server.js";
import type { RunningBroker } from "../broker/server.js";
import { MqttSession } from "../agent/mqtt-session.js";
import { systemClock } from "../drivers/clock.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";
import { freePort } from "./helpers/net.js";

const logger = memoryLogger();
const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function broker(port = 0): Promise<RunningBroker> {
  const b = await startBroker({ host: "127.0.0.1", port, logger });
  cleanup.push(() => b.close());
  return b;
}

function session(url: string, outboxLimit = 100): MqttSession {
  const s = new MqttSession({
    url,
    clientId: "roomgate-agent-test-site",
    keepaliveSec: 5,
    will: { topic: "roomgate/v1/test-site/agent/state", payload: { state: "lost", bootSeq: 7 } },
    outboxLimit,
    eventTopic: "roomgate/v1/test-site/event",
    logger,
    clock: systemClock,
    backoff: { initialMs: 20, maxMs: 100 },
  });
  cleanup.push(() => s.stop());
  return s;
}

function connected(s: MqttSession): Promise<void> {
  return new Promise((resolve) => (s.connected ? resolve() : s.once("connected", () => resolve())));
}

describe("MqttSession", () => {
  it("publishes nothing before connected, then retained topics in the order they were set", async () => {
    const b = await broker();
    const s = session(b.url);
    s.setRetained("roomgate/v1/test-site/agent/state", { state: "online", bootSeq: 7 });
    s.setRetained("roomgate/v1/test-site/dev/cam/health", { status: "ok" });
    const w = await Watcher.connect(b.url, "roomgate/v1/test-site/#");
    cleanup.push(() => w.close());
    expect(w.seen).toEqual([]);
    s.start();
    const health = await w.waitFor((m) => m.topic.endsWith("/health"));
    const birthIndex = w.seen.findIndex((m) => m.topic.endsWith("/agent/state"));
    expect(birthIndex).toBeGreaterThanOrEqual(0);
    expect(birthIndex).toBeLessThan(w.seen.indexOf(health));
  });

  it("republishes retained topics to a broker that lost them, and replays owed events as historical", async () => {
    const b1 = await broker();
    const port = b1.port;
    const s = session(b1.url);
    s.setRetained("roomgate/v1/test-site/agent/state", { state: "online", bootSeq: 7 });
    const w1 = await Watcher.connect(b1.url, "roomgate/v1/test-site/event");
    cleanup.push(() => w1.close());
    s.start();
    await connected(s);
    s.publishOwed("roomgate/v1/test-site/event", { ts: 1, type: "live" });
    const live = await w1.waitFor((m) => m.json.type === "live");
    expect(live.json.historical).toBeUndefined();

    const lost = new Promise<void>((resolve) => s.once("disconnected", () => resolve()));
    await b1.close();
    await lost;
    // While the broker is away the events are kept, not dropped.
    s.publishOwed("roomgate/v1/test-site/event", { ts: 2, type: "during-outage" });
    expect(s.outboxSize).toBe(1);

    // A new, empty broker on the same port: nothing retained survives in it.
    const b2 = await broker(port);
    const w = await Watcher.connect(b2.url, "roomgate/v1/test-site/#");
    cleanup.push(() => w.close());
    const birth = await w.waitFor((m) => m.topic.endsWith("/agent/state"), 5000, "birth republished");
    expect(birth.json).toEqual({ state: "online", bootSeq: 7 });
    const replayed = await w.waitFor((m) => m.topic.endsWith("/event") && m.json.type === "during-outage");
    expect(replayed.json.historical).toBe(true);
    expect(s.outboxSize).toBe(0);

    // A late subscriber still finds the birth retained.
    const late = await Watcher.connect(b2.url, "roomgate/v1/test-site/agent/state");
    cleanup.push(() => late.close());
    const retained = await late.waitFor(() => true);
    expect(retained.retain).toBe(true);
  });

  it("keeps the newest events when the outbox overflows and reports how many were dropped", async () => {
    const b = await broker();
    const s = session(b.url, 3);
    for (let i = 0; i < 5; i++) s.publishOwed("roomgate/v1/test-site/event", { ts: i, type: `e${i}` });
    expect(s.outboxSize).toBe(3);
    const w = await Watcher.connect(b.url, "roomgate/v1/test-site/event");
    cleanup.push(() => w.close());
    s.start();
    const overflow = await w.waitFor((m) => m.json.type === "outbox.overflow");
    expect(overflow.json.data).toEqual({ dropped: 2, full: 2, age: 0 });
    await w.waitFor((m) => m.json.type === "e4");
    expect(w.seen.map((m) => m.json.type).filter((t: string) => t.startsWith("e"))).toEqual(["e2", "e3", "e4"]);
  });

  it("leaves a last will of `lost` when the connection dies, and a clean `offline` on stop", async () => {
    const b = await broker();
    const s = session(b.url);
    s.setRetained("roomgate/v1/test-site/agent/state", { state: "online", bootSeq: 7 });
    s.start();
    await connected(s);
    const w = await Watcher.connect(b.url, "roomgate/v1/test-site/agent/state");
    cleanup.push(() => w.close());
    await w.waitFor((m) => m.json.state === "online");
    // Kill the agent's socket from the broker side: the broker publishes the will.
    for (const client of Object.values((b.aedes as unknown as { clients: Record<string, { id: string; conn: { destroy(): void } }> }).clients)) {
      if (client.id === "roomgate-agent-test-site") client.conn.destroy();
    }
    const will = await w.next((m) => m.json.state === "lost", 5000, "last will");
    expect(will.json).toEqual({ state: "lost", bootSeq: 7 });
    // It reconnects by itself and is born again.
    await w.next((m) => m.json.state === "online", 5000, "rebirth after reconnect");
    const mark = w.seen.length;
    await s.stop({ topic: "roomgate/v1/test-site/agent/state", payload: { state: "offline", bootSeq: 7 } });
    const off = await w.waitFor((m) => m.json.state === "offline", 5000, "offline", mark);
    expect(off.json.bootSeq).toBe(7);
  });

  it("delivers the events it still owes before a clean stop", async () => {
    const b = await broker();
    const s = session(b.url);
    s.start();
    await connected(s);
    const w = await Watcher.connect(b.url, "roomgate/v1/test-site/event");
    cleanup.push(() => w.close());
    for (let i = 0; i < 20; i++) s.publishOwed("roomgate/v1/test-site/event", { ts: i, type: `last-${i}` });
    await s.stop();
    expect(s.outboxSize).toBe(0);
    const last = await w.waitFor((m) => m.json.type === "last-19");
    expect(last.json.historical).toBeUndefined();
  });

  it("keeps trying when the broker is down at start, and is born once it comes up", async () => {
    const port = await freePort();
    const s = session(`mqtt://127.0.0.1:${port}`);
    s.setRetained("roomgate/v1/test-site/agent/state", { state: "online", bootSeq: 7 });
    s.publishOwed("roomgate/v1/test-site/event", { ts: 1, type: "before-broker" });
    s.start();
    expect(s.connected).toBe(false);
    const b = await broker(port);
    await connected(s);
    const w = await Watcher.connect(b.url, "roomgate/v1/test-site/#");
    cleanup.push(() => w.close());
    expect((await w.waitFor((m) => m.topic.endsWith("/agent/state"))).json.state).toBe("online");
    await new Promise<void>((resolve) => (s.outboxSize === 0 ? resolve() : s.once("drained", () => resolve())));
  });

  it("keeps owing messages in memory when the outbox disk fails, without throwing", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-session-"));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const s = new MqttSession({
      url: "mqtt://127.0.0.1:1", clientId: "roomgate-agent-disk", keepaliveSec: 5,
      will: { topic: "roomgate/v1/test-site/agent/state", payload: { state: "lost", bootSeq: 1 } },
      outboxLimit: 10, eventTopic: "roomgate/v1/test-site/event", outboxDir: dir, logger, clock: systemClock,
    });
    // The disk fails (as a full or read-only file system would) after the log was opened.
    const log = (s as unknown as { log: { append: () => void } }).log;
    log.append = () => {
      throw Object.assign(new Error("no space left on device"), { code: "ENOSPC" });
    };
    expect(() => s.publishOwed("roomgate/v1/test-site/event", { ts: 1, type: "x" })).not.toThrow();
    expect(s.outboxSize).toBe(1);
    expect(logger.records.some((r) => typeof r.obj === "object" && (r.obj as { code?: string }).code === "ENOSPC")).toBe(true);
  });
});
