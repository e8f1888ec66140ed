/**
 * The broker's HTTP listener: MQTT over WebSocket with the same users and ACLs as TCP (what the
 * browser console uses), and the Prometheus endpoint /metrics (monitor or admin only) whose numbers
 * follow the traffic and the retained fleet state.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matrixUsers, passwordOf, S, S2 } from "../broker/acl.cases.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { memoryLogger } from "./helpers/logger.js";
import { arrival, connectAs, connectOutcome, subscribeCode, type RecordingClient } from "./helpers/mqtt-users.js";

const log = memoryLogger();
let broker: RunningBroker;
let ws: string;
let http: string;

beforeAll(async () => {
  broker = await startBroker({
    host: "127.0.0.1",
    port: 0,
    http: { host: "127.0.0.1", port: 0, websocketPath: "/mqtt", metrics: true },
    logger: log,
    auth: { users: await matrixUsers() },
  });
  http = `http://127.0.0.1:${broker.http!.port}`;
  ws = `ws://127.0.0.1:${broker.http!.port}/mqtt`;
});
afterAll(() => broker?.close());

const basic = (user: string, pw = passwordOf(user)) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}` });

/** One sample of the exposition text, e.g. sample(text, 'roomgate_fleet_devices{status="ok"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function metrics(user = "mon-1"): Promise<string> {
  const res = await fetch(`${http}/metrics`, { headers: basic(user) });
  expect(res.status).toBe(200);
  return res.text();
}

describe("MQTT over WebSocket", () => {
  it("carries messages between a browser-style client and TCP clients, under the same ACLs", async () => {
    const op = await connectAs(ws, "op-1");
    const agent = await connectAs(broker.url, "agent-s1");
    try {
      expect(await subscribeCode(op, `${S}/dev/+/health`)).toBe(1);
      expect(await subscribeCode(op, `${S2}/dev/+/health`)).toBe(128);
      expect(await subscribeCode(agent, `${S}/cmd/+`)).toBe(1);
      await agent.publishAsync(`${S}/dev/cam1/health`, "ws-health", { qos: 1 });
      await arrival(op, "ws-health");
      await op.publishAsync(`${S}/cmd/op-1`, "ws-command", { qos: 1 });
      await arrival(agent, "ws-command");
    } finally {
      await op.endAsync(true);
      await agent.endAsync(true);
    }
  });

  it("refuses a wrong password and a missing username exactly as TCP does", async () => {
    expect(await connectOutcome(ws, { username: "op-1", password: "wrong" })).toBe(5);
    expect(await connectOutcome(ws, {})).toBe(5);
  });

  it("upgrades only at its path", async () => {
    expect(await connectOutcome(`ws://127.0.0.1:${broker.http!.port}/other`, { username: "op-1", password: passwordOf("op-1") })).not.toBe("connected");
    const res = await fetch(`${http}/nothing-here`);
    expect(res.status).toBe(404);
  });
});

describe("/metrics", () => {
  it("asks for credentials, and refuses an operator and a wrong password with a log line", async () => {
    const none = await fetch(`${http}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Basic /);
    expect((await fetch(`${http}/metrics`, { headers: basic("op-1") })).status).toBe(401);
    expect((await fetch(`${http}/metrics`, { headers: basic("mon-1", "wrong") })).status).toBe(401);
    expect(log.records.filter((r) => r.msg === "metrics request refused").length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(log.records)).not.toContain("wrong");
  });

  it("counts clients, fleet health, alarms, commands, responses and denials as they happen", async () => {
    const agent = await connectAs(broker.url, "agent-s1");
    const op = await connectAs(ws, "op-1");
    let mon: RecordingClient | undefined;
    try {
      const before = await metrics();
      expect(sample(before, 'roomgate_broker_clients{role="operator",listener="ws"}')).toBe(1);
      expect(sample(before, 'roomgate_broker_clients{role="agent",listener="tcp"}')).toBe(1);

      await agent.publishAsync(`${S}/agent/state`, JSON.stringify({ state: "online", bootSeq: 1, version: "t", ts: "2026-01-01T00:00:00Z" }), { qos: 1, retain: true });
      await agent.publishAsync(`${S}/dev/cam1/health`, JSON.stringify({ status: "ok" }), { qos: 1, retain: true });
      await agent.publishAsync(`${S}/dev/cam2/health`, JSON.stringify({ status: "unreachable" }), { qos: 1, retain: true });
      await agent.publishAsync(`${S}/alarm/cam2-unreachable`, JSON.stringify({ severity: "major" }), { qos: 1, retain: true });
      await op.publishAsync(`${S}/cmd/op-1`, JSON.stringify({ id: "c1", device: "cam1", action: "preset.recall" }), { qos: 1 });
      await agent.publishAsync(`${S}/res/op-1`, JSON.stringify({ id: "c1", status: "ok" }), { qos: 1 });
      await agent.publishAsync(`${S}/res/op-1`, JSON.stringify({ id: "c2", status: "timeout" }), { qos: 1 });
      mon = await connectAs(broker.url, "mon-1");
      expect(await subscribeCode(mon, `${S}/cmd/+`)).toBe(128);

      const after = await metrics("root");
      expect(sample(after, 'roomgate_fleet_agents{state="online"}')).toBe(1);
      expect(sample(after, 'roomgate_fleet_devices{status="ok"}')).toBe(1);
      expect(sample(after, 'roomgate_fleet_devices{status="unreachable"}')).toBe(1);
      expect(sample(after, 'roomgate_fleet_alarms_active{severity="major"}')).toBe(1);
      // Counters since `before` (the WebSocket tests above sent traffic too).
      const delta = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0);
      expect(delta("roomgate_broker_commands_total")).toBe(1);
      expect(delta('roomgate_broker_command_responses_total{status="ok"}')).toBe(1);
      expect(delta('roomgate_broker_command_responses_total{status="timeout"}')).toBe(1);
      expect(delta('roomgate_broker_messages_received_total{kind="dev/health"}')).toBe(2);
      expect(sample(after, 'roomgate_broker_denied_total{operation="subscribe",reason="monitor"}')).toBeGreaterThanOrEqual(1);
      expect(sample(after, "roomgate_broker_process_resident_memory_bytes")).toBeGreaterThan(0);

      await agent.publishAsync(`${S}/alarm/cam2-unreachable`, "", { qos: 1, retain: true });
      expect(sample(await metrics(), 'roomgate_fleet_alarms_active{severity="major"}')).toBe(0);
    } finally {
      await agent.endAsync(true);
      await op.endAsync(true);
      await mon?.endAsync(true);
    }
  });
});
