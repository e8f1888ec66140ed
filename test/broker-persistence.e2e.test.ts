/**
 * What survives a broker restart with the on-disk store (the default of `roomgate broker`): retained
 * messages (the fleet's last health, state and alarms) and persistent sessions: a clean-session=false
 * client's subscriptions and the QoS 1 messages queued for it while it was away. The memory store is
 * the control: the same steps lose everything. A second broker on the same directory is refused.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import levelPersistence from "aedes-persistence-level";
import { ClassicLevel } from "classic-level";
import { afterEach, describe, expect, it } from "vitest";
import { matrixUsers, S } from "../broker/acl.cases.js";
import type { PersistenceChoice } from "../broker/persistence.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { memoryLogger } from "./helpers/logger.js";
import { arrival, connectAs } from "./helpers/mqtt-users.js";

const dirs: string[] = [];
const running: RunningBroker[] = [];
afterEach(async () => {
  for (const b of running.splice(0)) await b.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(persistence: PersistenceChoice): Promise<RunningBroker> {
  const b = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger(), persistence, auth: { users: await matrixUsers() } });
  running.push(b);
  return b;
}

async function stop(b: RunningBroker): Promise<void> {
  running.splice(running.indexOf(b), 1);
  await b.close();
}

/** Before the restart: retained health, and three events queued for an operator that is away. */
async function beforeRestart(b: RunningBroker): Promise<void> {
  const op = await connectAs(b.url, "op-1", "op-1-desk", { clean: false });
  await op.subscribeAsync(`${S}/event`, { qos: 1 });
  await op.endAsync();
  const agent = await connectAs(b.url, "agent-s1");
  await agent.publishAsync(`${S}/dev/cam1/health`, JSON.stringify({ status: "fault" }), { qos: 1, retain: true });
  for (const n of [1, 2, 3]) await agent.publishAsync(`${S}/event`, `queued-${n}`, { qos: 1 });
  await agent.endAsync();
}

describe("broker restart", () => {
  it("keeps retained messages and a persistent session's queued QoS 1 messages on disk", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-broker-store-"));
    dirs.push(dir);
    const first = await start({ type: "level", dir });
    expect(first.store).toBe(`level ${dir}`);
    await beforeRestart(first);
    await stop(first);

    const second = await start({ type: "level", dir });
    // The operator comes back with its session: no re-subscribe, the queue is delivered in order.
    const op = await connectAs(second.url, "op-1", "op-1-desk", { clean: false });
    try {
      await arrival(op, "queued-3");
      expect(op.got).toEqual(["queued-1", "queued-2", "queued-3"]);
      const mon = await connectAs(second.url, "mon-1");
      await mon.subscribeAsync(`${S}/dev/+/health`, { qos: 1 });
      await arrival(mon, JSON.stringify({ status: "fault" }));
      await mon.endAsync(true);
      expect(second.fleet.devicesByHealth().fault).toBe(1); // the fleet view is rebuilt from the store too
    } finally {
      await op.endAsync(true);
    }
  });

  it("moves the retained messages an earlier version kept inside LevelDB into the retained log, once", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-broker-store-"));
    dirs.push(dir);
    const db = new ClassicLevel<string, Buffer>(dir);
    await db.open();
    const old = levelPersistence(db) as { storeRetained(p: object): Promise<void> };
    await old.storeRetained({ cmd: "publish", topic: `${S}/dev/cam1/health`, payload: Buffer.from(JSON.stringify({ status: "fault" })), qos: 1, retain: true });
    await db.close();
    for (const round of [1, 2]) {
      const b = await start({ type: "level", dir });
      const mon = await connectAs(b.url, "mon-1");
      await mon.subscribeAsync(`${S}/dev/+/health`, { qos: 1 });
      await arrival(mon, JSON.stringify({ status: "fault" }));
      await mon.endAsync(true);
      expect(b.storeStats().retained, `round ${round}`).toBe(1);
      await stop(b);
    }
    const after = new ClassicLevel<string, Buffer>(dir);
    await after.open();
    const left = await after.keys({ gte: "retained:", lt: "retained;" }).all();
    await after.close();
    expect(left).toEqual([]); // moved, not copied: LevelDB holds sessions only now
  });

  it("loses both with the memory store (the control)", async () => {
    const first = await start({ type: "memory" });
    await beforeRestart(first);
    await stop(first);
    const second = await start({ type: "memory" });
    const op = await connectAs(second.url, "op-1", "op-1-desk", { clean: false });
    try {
      expect(op.got).toEqual([]);
      expect(second.fleet.devicesByHealth().fault).toBe(0);
    } finally {
      await op.endAsync(true);
    }
  });

  it("refuses a second broker on the same store, saying why", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-broker-store-"));
    dirs.push(dir);
    await start({ type: "level", dir });
    const err = await start({ type: "level", dir }).then(() => undefined, (e: unknown) => e as Error & { code?: string });
    expect(err?.code).toBe("bad_config");
    expect(err?.message).toContain(dir);
    expect(err?.message).toContain("is another broker using it?");
  });
});
