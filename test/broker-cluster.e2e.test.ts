/**
 * Two broker instances sharing one Redis (`roomgate broker --cluster redis://...`): a site's agent on
 * instance A, an operator and a monitor on instance B. Commands, responses and retained health cross
 * between them, a persistent session moves from one instance to the other with its queue, and both
 * instances' fleet views see the same fleet. Redis is Debian's redis-server, started by the test.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { matrixUsers, S } from "../broker/acl.cases.js";
import type { FleetView } from "../broker/fleet-view.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { logged, memoryLogger, type LogRecord } from "./helpers/logger.js";
import { arrival, connectAs, subscribeCode, type RecordingClient } from "./helpers/mqtt-users.js";
import { startRedis, type RedisServer } from "./helpers/redis.js";
import { describeWith } from "./helpers/tools.js";
import { within } from "./helpers/within.js";

/** Resolves once `holds()` is true of the view (now or after one of its changes); bounded. */
function settles(view: FleetView, holds: () => boolean, ms = 3000): Promise<void> {
  if (holds()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      view.off("change", check);
      reject(new Error(`the fleet view did not settle within ${ms} ms: ${JSON.stringify(view.devicesByHealth())}`));
    }, ms);
    const check = () => {
      if (!holds()) return;
      clearTimeout(timer);
      view.off("change", check);
      resolve();
    };
    view.on("change", check);
  });
}

describeWith("redis-server")("a two-instance cluster through Redis", () => {
  let redis: RedisServer;
  let a: RunningBroker;
  let b: RunningBroker;
  const clients: RecordingClient[] = [];
  const records: LogRecord[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    const users = await matrixUsers();
    const start = (instance: string) =>
      startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger(records, { instance }), persistence: { type: "redis", url: redis.url }, auth: { users } });
    a = await start("A");
    b = await start("B");
  }, 30_000);
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true);
    await a?.close();
    await b?.close();
    await redis?.stop();
  });

  const on = async (broker: RunningBroker, user: string, clientId?: string, opts = {}) => {
    const c = await connectAs(broker.url, user, clientId, opts);
    clients.push(c);
    return c;
  };

  it("names Redis as its store", () => {
    expect(a.store).toBe(`redis 127.0.0.1:${redis.port}`);
  });

  it("carries a command from B to the agent on A and its response back", async () => {
    const agent = await on(a, "agent-s1");
    expect(await subscribeCode(agent, `${S}/cmd/+`)).toBe(1);
    const op = await on(b, "op-1");
    expect(await subscribeCode(op, `${S}/res/op-1`)).toBe(1);
    const cmd = JSON.stringify({ id: "x-1", device: "cam1", action: "preset.recall", args: { preset: 2 } });
    await op.publishAsync(`${S}/cmd/op-1`, cmd, { qos: 1 });
    await arrival(agent, cmd);
    const res = JSON.stringify({ id: "x-1", status: "ok" });
    await agent.publishAsync(`${S}/res/op-1`, res, { qos: 1 });
    await arrival(op, res);
  });

  it("gives a monitor on B the health the agent retained on A, then its live updates", async () => {
    const agent = await on(a, "agent-s1", "roomgate-agent-s1");
    const fault = JSON.stringify({ status: "fault", code: "overheat" });
    await agent.publishAsync(`${S}/dev/wall/health`, fault, { qos: 1, retain: true });
    const mon = await on(b, "mon-1");
    expect(await subscribeCode(mon, `${S}/dev/+/health`)).toBe(1);
    await arrival(mon, fault); // retained, stored in Redis by A, read by B
    const ok = JSON.stringify({ status: "ok" });
    await agent.publishAsync(`${S}/dev/wall/health`, ok, { qos: 1, retain: true });
    await arrival(mon, ok);
    // Each instance's fleet view follows the same fan-out (for /metrics: max() across instances).
    await Promise.all([a, b].map((x) => settles(x.fleet, () => x.fleet.devicesByHealth().ok === 1 && x.fleet.devicesByHealth().fault === 0)));
  });

  it("moves a persistent session from A to B with the QoS 1 messages queued while it was away", async () => {
    // Each step bounded and named. aedes acknowledges away-n before A stores and fans it out, so the
    // fan-out can reach B while B resumes the session: before broker/connack-first.ts it went out
    // ahead of the CONNACK and the reconnect to B hung (broker/connack-first.test.ts shows it).
    const first = await within(connectAs(a.url, "op-1", "op-1-desk", { clean: false }), 5000, "op-1-desk connecting to A");
    await within(first.subscribeAsync(`${S}/event`, { qos: 1 }), 5000, "op-1-desk subscribing on A");
    await within(first.endAsync(), 5000, "op-1-desk leaving A");
    const agent = await within(on(a, "agent-s1", "roomgate-agent-s1"), 5000, "the agent connecting to A");
    for (const n of [1, 2]) await within(agent.publishAsync(`${S}/event`, `away-${n}`, { qos: 1 }), 5000, `A acknowledging away-${n}`);
    const back = await within(on(b, "op-1", "op-1-desk", { clean: false }), 5000, "op-1-desk reconnecting to B");
    await arrival(back, "away-2");
    expect(back.got).toEqual(["away-1", "away-2"]);
  });

  it("outlives a Redis outage: both instances keep running and carry messages again once Redis is back", async () => {
    const agent = await on(a, "agent-s1", "roomgate-agent-s1");
    const mon = await on(b, "mon-1");
    expect(await subscribeCode(mon, `${S}/event`)).toBe(1);
    await redis.stop();
    // The instances notice (a refused reconnect is what used to kill a broker), then Redis comes back empty.
    await logged(records, (r) => r.msg === "redis connection error (retrying)" && /ECONNREFUSED/.test(JSON.stringify(r.obj)), 10_000, "a refused Redis reconnect");
    redis = await startRedis(redis.port);
    // Redis pub/sub keeps nothing for a subscriber that is not there: a message published before B has
    // its subscriptions back is gone for B, so "once Redis is back" is once B says so.
    await logged(records, (r) => r.msg === "redis subscriptions restored" && r.bindings.instance === "B", 10_000, "B's Redis subscriptions restored");
    await agent.publishAsync(`${S}/event`, "after-outage", { qos: 1 });
    await arrival(mon, "after-outage", 15_000);
    expect(a.aedes.closed).toBe(false);
    expect(b.aedes.closed).toBe(false);
  }, 30_000);
});
